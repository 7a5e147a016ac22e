"""The fault matrix, for the poller that feeds both the dashboard and ``snapshot --watch``.

Real poller, real source, real SDK, real HTTP, against the simulator with faults switched on and
off. For each fault: the poller stays up, says what is wrong in plain words, never turns a failure
into zeros, and recovers within one interval of the fault clearing. (The dashboard's side of the
same faults, what the supervisor sees, is in test_tui_live.py.) The poller runs on a fake clock that
jumps to each of its wake-ups: no test waits out a backoff or an interval.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from queuewatch.genesys import Credentials, GenesysSource, SourceSettings
from queuewatch.poller import (
    BackingOff,
    Poller,
    PollerEvent,
    PollerSettings,
    PollFailed,
    Scheduled,
    SnapshotReceived,
)
from queuewatch.simulator import ContactCentre, Scenario, SimulatorServer, generate_scenario
from queuewatch.simulator.scenario import during_business_hours
from tests.clocks import FakeClock

E = TypeVar("E", bound=PollerEvent)

INTERVAL = 1.0
BLOCKED_RETRY = 60.0


@dataclass
class Run:
    """A poller on a fake clock against a simulator, and what it said, each with the clock's time."""

    server: SimulatorServer
    clock: FakeClock
    poller: Poller | None = None
    timed: list[tuple[float, PollerEvent]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def emit(self, event: PollerEvent) -> None:
        with self.lock:
            self.timed.append((self.clock(), event))

    @property
    def events(self) -> list[PollerEvent]:
        with self.lock:
            return [event for _, event in self.timed]

    def snapshots(self) -> list[SnapshotReceived]:
        return self.of(SnapshotReceived)

    def of(self, kind: type[E], since: int = 0) -> list[E]:
        with self.lock:
            return [e for _, e in self.timed[since:] if isinstance(e, kind)]

    def when(self, wanted: PollerEvent) -> float:
        """The clock's time when ``wanted`` was emitted."""
        with self.lock:
            return next(at for at, event in self.timed if event is wanted)

    def mark(self) -> int:
        with self.lock:
            return len(self.timed)

    def since(self, mark: int) -> list[PollerEvent]:
        with self.lock:
            return [event for _, event in self.timed[mark:]]

    def clean_snapshots_since(self, mark: int) -> list[SnapshotReceived]:
        return [e for e in self.of(SnapshotReceived, mark) if not e.snapshot.partial]

    def run_until(self, done: Callable[[], object], timeout: float = 30.0) -> None:
        """Let the poller run, the clock jumping to each of its wake-ups, until ``done()`` (within
        ``timeout`` real seconds: a failure's guard, never a wait)."""
        self.clock.run_until(done, timeout=timeout, limit=10 * BLOCKED_RETRY)

    def stop(self, thread: threading.Thread) -> None:
        assert self.poller is not None
        self.poller.stop()
        thread.join(3)
        assert not thread.is_alive(), "the poller stops within a second or so"


def start_run(
    server: SimulatorServer, clock: FakeClock | None = None, **source_options: Any
) -> tuple[Run, threading.Thread]:
    # Generous timeouts: a busy machine must not turn a healthy reply into a fault.
    options: dict[str, Any] = {"label": "sim", "connect_timeout": 2.0, "read_timeout": 2.0, **source_options}
    settings = SourceSettings(base_url=server.base_url, **options)
    run = Run(server, clock or FakeClock())
    run.poller = Poller(
        lambda: GenesysSource(settings, Credentials("id", "secret")),
        run.emit,
        PollerSettings(interval=INTERVAL, today_every=INTERVAL, blocked_retry=BLOCKED_RETRY),
        clock=run.clock,
        wall_clock=run.clock.datetime,
        wait=run.clock.wait,
    )
    thread = threading.Thread(target=run.poller.run, daemon=True)
    thread.start()
    run.run_until(run.snapshots, timeout=120)  # 5,000 queues take a while on a busy machine
    return run, thread


@pytest.fixture
def run(centre: ContactCentre) -> Iterator[Run]:
    with SimulatorServer(centre, port=0) as server:
        the_run, thread = start_run(server)
        yield the_run
        the_run.stop(thread)


def recovers(run: Run, faults: dict[str, object], kind: str) -> tuple[BackingOff, float]:
    """Switch a fault on until the poller backs off, switch it off, and see it recover.

    Returns the first backoff, and how long (by the poller's clock) the recovery took.
    """
    mark = run.mark()
    run.server.faults.update(faults)
    run.run_until(lambda: run.of(BackingOff, mark))
    backoff = run.of(BackingOff, mark)[0]
    assert backoff.kind == kind
    assert "\n" not in backoff.message
    assert not run.of(PollFailed, mark), "a retryable fault is not a failure"
    run.server.faults.reset()
    cleared, cleared_at = run.mark(), run.clock()
    run.run_until(lambda: run.clean_snapshots_since(cleared))
    return backoff, run.when(run.clean_snapshots_since(cleared)[0]) - cleared_at


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors(run: Run, status: int) -> None:
    backoff, recovery = recovers(run, {"fail_rate": 1.0, "fail_status": status}, "unavailable")
    assert str(status) in backoff.message
    assert recovery <= INTERVAL, "fresh again within one interval of the fault clearing"


def test_rate_limit_storm_with_retry_after(run: Run) -> None:
    backoff, recovery = recovers(run, {"rate_limit_next": 1000, "retry_after": 1}, "rate_limited")
    assert backoff.delay == 1.0, "Retry-After is honoured exactly"
    assert "retry after 1 s" in backoff.message
    assert recovery == 1.0


def test_rate_limit_storm_without_retry_after(run: Run) -> None:
    mark = run.mark()
    backoff, recovery = recovers(run, {"rate_limit_next": 1000, "retry_after": None}, "rate_limited")
    assert 0 <= backoff.delay <= 1, "full jitter, from at most one second at the first attempt"
    assert all(0 <= b.delay <= 60 for b in run.of(BackingOff, mark)), "capped at 60 s"
    assert recovery <= 60


def test_slow_replies(centre: ContactCentre) -> None:
    with SimulatorServer(centre, port=0) as server:
        run, thread = start_run(server, read_timeout=0.5)
        try:
            backoff, recovery = recovers(run, {"hang_s": 3.0}, "unavailable")
            assert "did not answer" in backoff.message
            assert recovery <= INTERVAL
        finally:
            run.stop(thread)


def test_dropped_connections(run: Run) -> None:
    _, recovery = recovers(run, {"drop_rate": 1.0}, "unavailable")
    assert recovery <= INTERVAL


def test_malformed_json(run: Run) -> None:
    _, recovery = recovers(run, {"malformed_rate": 1.0}, "bad_response")
    assert recovery <= INTERVAL


def test_token_expiring_mid_run(centre: ContactCentre) -> None:
    clock = FakeClock()
    with SimulatorServer(centre, port=0, token_ttl=3, clock=clock) as server:
        run, thread = start_run(server, clock)
        try:
            mark, expired_at = run.mark(), clock() + 3
            run.run_until(lambda: [s for s in run.of(SnapshotReceived, mark) if run.when(s) > expired_at])
            assert not run.of(PollFailed, mark) and not run.of(BackingOff, mark)
            assert server.stats()["by_path"].get("POST /oauth/token", 0) >= 2, "a new token was fetched"
        finally:
            run.stop(thread)


def test_credentials_revoked(run: Run) -> None:
    mark = run.mark()
    run.server.accept_logins(False)
    run.server.revoke_tokens()
    run.run_until(lambda: run.of(PollFailed, mark))
    (failed,) = run.of(PollFailed, mark)
    assert failed.kind == "auth" and "credentials" in failed.message
    assert failed.retry_at == run.when(failed) + BLOCKED_RETRY, "not retried in a loop: much later"
    polls = len(run.snapshots())
    run.run_until(lambda: run.clock() >= run.when(failed) + BLOCKED_RETRY - 1)
    assert len(run.snapshots()) == polls and not run.of(BackingOff, mark), "nothing asked meanwhile"
    run.server.accept_logins(True)
    cleared = run.mark()
    run.run_until(lambda: run.clean_snapshots_since(cleared))
    assert run.when(run.clean_snapshots_since(cleared)[0]) == failed.retry_at, "asked again then"


def test_permission_missing_on_aggregates_only(run: Run) -> None:
    mark = run.mark()
    run.server.faults.update({"deny": ["analytics:conversationAggregate:view"]})
    run.run_until(lambda: [e for e in run.of(SnapshotReceived, mark) if e.snapshot.errors])
    ready = next(e for e in run.of(SnapshotReceived, mark) if e.snapshot.errors)
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
            run.run_until(lambda: [e for e in run.of(SnapshotReceived, mark) if e.snapshot.partial])
            ready = next(e for e in run.of(SnapshotReceived, mark) if e.snapshot.partial)
            (failure,) = ready.snapshot.errors
            failed = set(failure.queue_ids)
            assert len(failed) == 10 and failure.part == "observations"
            for queue in ready.snapshot.queues:
                if queue.id in failed:
                    assert queue.waiting is None and queue.agents.idle is None, "partial is unknown, not zero"
                else:
                    assert queue.waiting is not None
            run.run_until(lambda: run.clean_snapshots_since(mark))
            clean = run.clean_snapshots_since(mark)[0]
            assert run.when(clean) == pytest.approx(ready.next_poll_at), "whole again at the next poll"
        finally:
            run.stop(thread)


def test_queue_deleted_between_listing_and_querying() -> None:
    from queuewatch.simulator import default_scenario

    with SimulatorServer(ContactCentre(during_business_hours(default_scenario()), seed=5), port=0) as server:
        run, thread = start_run(server)
        try:
            gone = run.snapshots()[-1].snapshot.queues[0]
            mark = run.mark()
            server.centre.delete_queue(gone.id)

            def without_it() -> list[SnapshotReceived]:
                return [
                    e
                    for e in run.of(SnapshotReceived, mark)
                    if gone.id not in {q.id for q in e.snapshot.queues}
                ]

            run.run_until(without_it)
            assert run.when(without_it()[0]) - run.clock() <= 0
            snapshots = run.of(SnapshotReceived, mark)
            assert len(snapshots) <= 3, "gone within a poll or two, not at the next listing (5 min)"
            for event in snapshots:
                for queue in event.snapshot.queues:
                    if queue.id == gone.id:
                        assert queue.waiting is None, "a queue the API said nothing about is unknown"
        finally:
            run.stop(thread)


def test_an_org_with_no_queues() -> None:
    empty = Scenario(name="empty", timezone="UTC", queues=())
    with SimulatorServer(ContactCentre(empty, seed=1), port=0) as server:
        run, thread = start_run(server)
        try:
            snap = run.snapshots()[-1].snapshot
            assert snap.queues == () and snap.errors == ()
        finally:
            run.stop(thread)


@pytest.mark.parametrize("count", [1000, pytest.param(5000, marks=pytest.mark.soak)])
def test_thousands_of_queues(count: int) -> None:
    """All of them, in batches of 100, and the cadence stretched to the request allowance. The
    README's 5,000 take seconds of CPU (mostly the SDK reading the listing), so the suite runs
    1,000 through the same paths and ``pytest -m soak`` the 5,000."""
    with SimulatorServer(ContactCentre(generate_scenario(count, seed=3), seed=3), port=0) as server:
        run, thread = start_run(server, read_timeout=30.0)
        try:
            snap = run.snapshots()[-1].snapshot
            assert len(snap.queues) == count and not snap.errors
            assert all(q.waiting is not None for q in snap.queues)
            run.run_until(lambda: run.of(Scheduled))
            effective = run.of(Scheduled)[0].effective_interval
            batches = count // 100
            assert effective is not None, f"{batches} requests a second, twice over, would overspend"
            stretch = effective / INTERVAL  # live and today's every INTERVAL, the listing every 300 s
            per_minute = 60 * batches * (2 / (INTERVAL * stretch) + 1 / (300 * stretch))
            assert per_minute == pytest.approx(0.9 * 300), "stretched to spend 90 % of the allowance"
        finally:
            run.stop(thread)
