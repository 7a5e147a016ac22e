"""The fault matrix, for the poller that feeds both the dashboard and ``snapshot --watch``.

Real poller, real source, real SDK, real HTTP, against the simulator with faults switched on and
off. For each fault: the poller stays up, says what is wrong in plain words, never turns a failure
into zeros, and recovers within one interval of the fault clearing. (The dashboard's side of the
same faults, what the supervisor sees, is in test_tui_faults.py.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from queuewatch.genesys import Credentials, GenesysSource, SourceSettings
from queuewatch.poller import (
    BackingOff,
    Poller,
    PollerEvent,
    PollerSettings,
    PollFailed,
    SnapshotReceived,
)
from queuewatch.simulator import ContactCentre, Scenario, SimulatorServer, generate_scenario
from queuewatch.simulator.scenario import during_business_hours

INTERVAL = 1.0


@dataclass
class Run:
    server: SimulatorServer
    poller: Poller
    events: list[PollerEvent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshots(self) -> list[SnapshotReceived]:
        with self.lock:
            return [e for e in self.events if isinstance(e, SnapshotReceived)]

    def of(self, kind: type) -> list:
        with self.lock:
            return [e for e in self.events if isinstance(e, kind)]

    def wait_for(self, predicate: Callable[[], object], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.02)
        raise AssertionError(f"timed out; last events: {self.events[-5:]}")

    def mark(self) -> int:
        with self.lock:
            return len(self.events)

    def since(self, mark: int) -> list[PollerEvent]:
        with self.lock:
            return self.events[mark:]

    def clean_snapshot_since(self, mark: int) -> Callable[[], bool]:
        return lambda: any(
            isinstance(e, SnapshotReceived) and not e.snapshot.partial for e in self.since(mark)
        )


def start_run(server: SimulatorServer, **source_options: object) -> tuple[Run, threading.Thread]:
    options = {"label": "sim", "connect_timeout": 0.5, "read_timeout": 0.5, **source_options}
    settings = SourceSettings(base_url=server.base_url, **options)  # type: ignore[arg-type]
    run = Run(server, None)  # type: ignore[arg-type]

    def emit(event: PollerEvent) -> None:
        with run.lock:
            run.events.append(event)

    run.poller = Poller(
        lambda: GenesysSource(settings, Credentials("id", "secret")),
        emit,
        PollerSettings(interval=INTERVAL, today_every=INTERVAL, blocked_retry=60),
    )
    thread = threading.Thread(target=run.poller.run, daemon=True)
    thread.start()
    run.wait_for(run.snapshots)
    return run, thread


@pytest.fixture
def run(centre: ContactCentre) -> Iterator[Run]:
    with SimulatorServer(centre, port=0) as server:
        the_run, thread = start_run(server)
        yield the_run
        the_run.poller.stop()
        thread.join(3)
        assert not thread.is_alive(), "the poller stops within a second or so"


def recovers(run: Run, faults: dict[str, object], kind: str) -> BackingOff:
    """Switch a fault on until the poller backs off, switch it off, and see it recover."""
    mark = run.mark()
    run.server.faults.update(faults)
    run.wait_for(lambda: any(isinstance(e, BackingOff) for e in run.since(mark)))
    backoff = next(e for e in run.since(mark) if isinstance(e, BackingOff))
    assert backoff.kind == kind
    assert "\n" not in backoff.message
    assert not any(isinstance(e, PollFailed) for e in run.since(mark)), "a retryable fault is not a failure"
    run.server.faults.reset()
    cleared = run.mark()
    run.wait_for(run.clean_snapshot_since(cleared), timeout=INTERVAL + 5)
    return backoff


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors(run: Run, status: int) -> None:
    backoff = recovers(run, {"fail_rate": 1.0, "fail_status": status}, "unavailable")
    assert str(status) in backoff.message


def test_rate_limit_storm_with_retry_after(run: Run) -> None:
    backoff = recovers(run, {"rate_limit_next": 1000, "retry_after": 1}, "rate_limited")
    assert backoff.delay == 1.0, "Retry-After is honoured exactly"
    assert "retry after 1 s" in backoff.message


def test_rate_limit_storm_without_retry_after(run: Run) -> None:
    backoff = recovers(run, {"rate_limit_next": 1000, "retry_after": None}, "rate_limited")
    assert 0 <= backoff.delay <= 60


def test_slow_replies(run: Run) -> None:
    backoff = recovers(run, {"hang_s": 2.0}, "unavailable")
    assert "did not answer" in backoff.message


def test_dropped_connections(run: Run) -> None:
    recovers(run, {"drop_rate": 1.0}, "unavailable")


def test_malformed_json(run: Run) -> None:
    recovers(run, {"malformed_rate": 1.0}, "bad_response")


def test_token_expiring_mid_run(centre: ContactCentre) -> None:
    with SimulatorServer(centre, port=0, token_ttl=1) as server:
        run, thread = start_run(server)
        try:
            mark = run.mark()
            time.sleep(2.5)
            run.wait_for(run.clean_snapshot_since(mark))
            assert not [e for e in run.since(mark) if isinstance(e, (PollFailed, BackingOff))]
            assert server.stats()["by_path"].get("POST /oauth/token", 0) >= 2, "a new token was fetched"
        finally:
            run.poller.stop()
            thread.join(3)


def test_credentials_revoked(run: Run) -> None:
    mark = run.mark()
    run.server.accept_logins(False)
    run.server.revoke_tokens()
    run.wait_for(lambda: any(isinstance(e, PollFailed) for e in run.since(mark)))
    failed = next(e for e in run.since(mark) if isinstance(e, PollFailed))
    assert failed.kind == "auth" and "credentials" in failed.message
    assert failed.retry_at is not None, "not retried in a loop: the next attempt is much later"
    polls = len(run.snapshots())
    time.sleep(INTERVAL * 1.5)
    assert len(run.snapshots()) == polls and not [e for e in run.since(mark) if isinstance(e, BackingOff)]
    run.server.accept_logins(True)
    cleared = run.mark()
    run.poller.refresh_now()
    run.wait_for(run.clean_snapshot_since(cleared))


def test_permission_missing_on_aggregates_only(run: Run) -> None:
    mark = run.mark()
    run.server.faults.update({"deny": ["analytics:conversationAggregate:view"]})
    run.wait_for(lambda: any(isinstance(e, SnapshotReceived) and e.snapshot.errors for e in run.since(mark)))
    ready = next(e for e in run.since(mark) if isinstance(e, SnapshotReceived) and e.snapshot.errors)
    snap = ready.snapshot
    assert [e.kind for e in snap.errors] == ["permission"]
    assert "analytics:conversationAggregate:view" in snap.errors[0].message
    assert all(q.today.offered is None for q in snap.queues), "unknown, never zero"
    assert all(q.waiting is not None and q.agents.idle is not None for q in snap.queues), "live figures go on"


def test_one_batch_of_several_failing(centre: ContactCentre) -> None:
    with SimulatorServer(centre, port=0) as server:
        run, thread = start_run(server, batch_size=10, concurrency=1)
        try:
            mark = run.mark()
            server.faults.update(
                {"fail_rate": 1.0, "fail_status": 502, "remaining": 1, "paths": ("/observations",)}
            )
            run.wait_for(
                lambda: any(isinstance(e, SnapshotReceived) and e.snapshot.partial for e in run.since(mark))
            )
            snap = next(
                e for e in run.since(mark) if isinstance(e, SnapshotReceived) and e.snapshot.partial
            ).snapshot
            (failure,) = snap.errors
            failed = set(failure.queue_ids)
            assert len(failed) == 10 and failure.part == "observations"
            for queue in snap.queues:
                if queue.id in failed:
                    assert queue.waiting is None and queue.agents.idle is None, "partial is unknown, not zero"
                else:
                    assert queue.waiting is not None
            cleared = run.mark()
            run.wait_for(run.clean_snapshot_since(cleared), timeout=INTERVAL + 5)
        finally:
            run.poller.stop()
            thread.join(3)


def test_queue_deleted_between_listing_and_querying() -> None:
    from queuewatch.simulator import default_scenario

    with SimulatorServer(ContactCentre(during_business_hours(default_scenario()), seed=5), port=0) as server:
        run, thread = start_run(server)
        try:
            gone = run.snapshots()[-1].snapshot.queues[0]
            mark = run.mark()
            server.centre.delete_queue(gone.id)

            def without_it() -> bool:
                return any(
                    isinstance(e, SnapshotReceived) and gone.id not in {q.id for q in e.snapshot.queues}
                    for e in run.since(mark)
                )

            run.wait_for(without_it, timeout=3 * INTERVAL + 2)
            for event in run.since(mark):
                if isinstance(event, SnapshotReceived):
                    for queue in event.snapshot.queues:
                        if queue.id == gone.id:
                            assert queue.waiting is None, "a queue the API said nothing about is unknown"
        finally:
            run.poller.stop()
            thread.join(3)


def test_an_org_with_no_queues() -> None:
    empty = Scenario(name="empty", timezone="UTC", queues=())
    with SimulatorServer(ContactCentre(empty, seed=1), port=0) as server:
        run, thread = start_run(server)
        try:
            snap = run.snapshots()[-1].snapshot
            assert snap.queues == () and snap.errors == ()
        finally:
            run.poller.stop()
            thread.join(3)


def test_five_thousand_queues() -> None:
    with SimulatorServer(ContactCentre(generate_scenario(5000, seed=3), seed=3), port=0) as server:
        run, thread = start_run(server, read_timeout=30.0)
        try:
            snap = run.snapshots()[-1].snapshot
            assert len(snap.queues) == 5000 and not snap.errors
            assert all(q.waiting is not None for q in snap.queues)
        finally:
            run.poller.stop()
            thread.join(5)
