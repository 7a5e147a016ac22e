"""The fault matrix by push: real poller, push source, SDK, HTTP and WebSockets against the simulator.

For each fault of the notification service: what the poller reports (and so what the status bar
says), what the snapshot holds (and so the table), and that it recovers within one interval of the
fault clearing. The simulator's heartbeat and channel life are shortened so this runs in seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from queuewatch.genesys import Credentials, GenesysSource, SourceSettings
from queuewatch.poller import BackingOff, Poller, PollerEvent, PollerSettings, PollFailed, SnapshotReceived
from queuewatch.push import PushSettings, PushSource
from queuewatch.simulator import ContactCentre, SimulatorServer
from queuewatch.simulator.notifications import NotificationSettings
from tests.clocks import until

INTERVAL = 1.0


@dataclass
class PushRun:
    server: SimulatorServer
    poller: Poller
    events: list[PollerEvent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def since(self, mark: int) -> list[PollerEvent]:
        with self.lock:
            return self.events[mark:]

    def mark(self) -> int:
        with self.lock:
            return len(self.events)

    def ready_since(self, mark: int) -> list[SnapshotReceived]:
        return [e for e in self.since(mark) if isinstance(e, SnapshotReceived)]

    def wait_for(self, predicate: Callable[[], object], what: str, timeout: float = 20.0) -> None:
        try:
            until(predicate, what, timeout)
        except AssertionError as error:
            raise AssertionError(f"{error}; last events: {self.since(-4)}") from None

    def pushing_since(self, mark: int) -> Callable[[], bool]:
        def pushing() -> bool:
            return any(
                e.live is not None and e.live.mode == "push" and not e.snapshot.partial
                for e in self.ready_since(mark)
            )

        return pushing

    def requests(self, what: str) -> int:
        return sum(n for path, n in self.server.stats()["by_path"].items() if what in path)


def start(server: SimulatorServer, **push: Any) -> tuple[PushRun, threading.Thread]:
    settings = SourceSettings(base_url=server.base_url, label="sim", connect_timeout=0.5, read_timeout=2.0)
    run = PushRun(server, None)  # type: ignore[arg-type]

    def emit(event: PollerEvent) -> None:
        with run.lock:
            run.events.append(event)

    def connect() -> PushSource:
        return PushSource(GenesysSource(settings, Credentials("id", "secret")), PushSettings(**push))

    run.poller = Poller(
        connect,
        emit,
        PollerSettings(interval=INTERVAL, today_every=INTERVAL, push_min_gap=0.1, blocked_retry=60),
    )
    thread = threading.Thread(target=run.poller.run, daemon=True)
    thread.start()
    run.wait_for(run.pushing_since(0), "the first snapshot by push")
    return run, thread


def make_server(centre: ContactCentre, **notifications: Any) -> SimulatorServer:
    return SimulatorServer(
        centre, port=0, rate_limit=100_000, notifications=NotificationSettings(tick_s=0.05, **notifications)
    )


@pytest.fixture
def pushing(centre: ContactCentre) -> Iterator[PushRun]:
    """A poller by push on a simulator with a 1 s heartbeat; the source's watchdog allows 2 s."""
    with make_server(centre, heartbeat_s=1.0) as server:
        run, thread = start(server, heartbeat_s=1.0, resync_every=0)
        yield run
        run.poller.stop()
        thread.join(3)
        assert not thread.is_alive(), "the poller stops within a second or so"


def no_trouble(run: PushRun, mark: int) -> None:
    """Nothing went wrong in the poller's eyes: no backoff, no failure, no partial snapshot."""
    assert not [e for e in run.since(mark) if isinstance(e, BackingOff | PollFailed)]
    assert not any(e.snapshot.partial for e in run.ready_since(mark))


def test_a_dropped_socket_is_met_within_an_interval(pushing: PushRun) -> None:
    mark, channels = pushing.mark(), pushing.requests("POST /api/v2/notifications/channels")
    pushing.server.notifications.drop_sockets()
    pushing.wait_for(
        lambda: pushing.requests("POST /api/v2/notifications/channels") > channels, "a new channel"
    )
    resumed = pushing.mark()
    pushing.wait_for(pushing.pushing_since(resumed), "a snapshot by push again", timeout=INTERVAL + 5)
    no_trouble(pushing, mark)


def test_socket_closing_moves_channels_with_no_gap(pushing: PushRun) -> None:
    mark, channels = pushing.mark(), pushing.requests("POST /api/v2/notifications/channels")
    pushing.server.notifications.socket_closing(grace_s=30)
    pushing.wait_for(
        lambda: pushing.requests("POST /api/v2/notifications/channels") > channels, "a new channel"
    )
    pushing.wait_for(pushing.pushing_since(pushing.mark()), "a snapshot by push")
    no_trouble(pushing, mark)


def test_a_silenced_heartbeat_means_a_new_channel(pushing: PushRun) -> None:
    mark, channels = pushing.mark(), pushing.requests("POST /api/v2/notifications/channels")
    pushing.server.notifications.set_faults({"silence_heartbeat": True})
    pushing.wait_for(
        lambda: pushing.requests("POST /api/v2/notifications/channels") > channels, "a new channel"
    )
    pushing.server.notifications.reset()
    resumed = pushing.mark()
    pushing.wait_for(pushing.pushing_since(resumed), "a snapshot by push", timeout=INTERVAL + 5)
    no_trouble(pushing, mark)


def test_bad_events_are_counted_and_the_table_goes_on(pushing: PushRun) -> None:
    mark = pushing.mark()
    for text in (
        "{",
        '{"topicName": "v2.analytics.queues.x.observations", "eventBody": {"results": 3}}',
        "[]",
    ):
        pushing.server.notifications.send_raw(text)
    pushing.wait_for(
        lambda: any(e.live is not None and e.live.bad_events >= 3 for e in pushing.ready_since(mark)),
        "the bad events counted",
    )
    no_trouble(pushing, mark)


def test_a_queue_whose_events_stop_is_healed_by_the_periodic_resync(centre: ContactCentre) -> None:
    with make_server(centre) as server:
        run, thread = start(server, resync_every=1.0)
        try:
            quiet = centre.queue_ids()[0]
            server.notifications.set_faults({"mute_queues": [quiet]})
            queries = run.requests("observations/query")
            run.wait_for(lambda: run.requests("observations/query") >= queries + 2, "two more resyncs")
            latest = run.ready_since(0)[-1].snapshot
            assert next(q for q in latest.queues if q.id == quiet).waiting is not None
        finally:
            run.poller.stop()
            thread.join(3)


def test_a_channel_near_its_end_is_replaced_with_no_gap(centre: ContactCentre) -> None:
    with make_server(centre, channel_ttl_s=3.0) as server:
        run, thread = start(server, renew_before_s=2.0, resync_every=0)
        try:
            mark = run.mark()
            run.wait_for(lambda: run.requests("POST /api/v2/notifications/channels") >= 3, "two renewals")
            no_trouble(run, mark)
            assert run.ready_since(mark)[-1].live is not None
        finally:
            run.poller.stop()
            thread.join(3)


def test_refused_channels_poll_in_auto_and_say_so(centre: ContactCentre) -> None:
    with make_server(centre) as server:
        server.notifications.set_faults({"refuse_channels": 400})
        settings = SourceSettings(
            base_url=server.base_url, label="sim", connect_timeout=0.5, read_timeout=2.0
        )
        events: list[PollerEvent] = []
        lock = threading.Lock()

        def emit(event: PollerEvent) -> None:
            with lock:
                events.append(event)

        poller = Poller(
            lambda: PushSource(
                GenesysSource(settings, Credentials("id", "secret")), PushSettings(mode="auto")
            ),
            emit,
            PollerSettings(interval=INTERVAL),
        )
        thread = threading.Thread(target=poller.run, daemon=True)
        thread.start()
        try:

            def snapshots() -> list[SnapshotReceived]:
                with lock:
                    return [e for e in events if isinstance(e, SnapshotReceived)]

            until(snapshots, "a snapshot by polling", timeout=15)
            ready = snapshots()
            assert ready, "figures by polling"
            live = ready[0].live
            assert live is not None and live.mode == "poll"
            assert "refused" in live.note and live.push_again_at is not None
            assert all(q.waiting is not None for q in ready[0].snapshot.queues)
        finally:
            poller.stop()
            thread.join(3)


def test_refused_channels_in_push_mode_are_a_failure_asked_again_later(centre: ContactCentre) -> None:
    with make_server(centre) as server:
        server.notifications.set_faults({"refuse_channels": 403})
        settings = SourceSettings(
            base_url=server.base_url, label="sim", connect_timeout=0.5, read_timeout=2.0
        )
        events: list[PollerEvent] = []
        poller = Poller(
            lambda: PushSource(
                GenesysSource(settings, Credentials("id", "secret")), PushSettings(mode="push")
            ),
            events.append,
            PollerSettings(interval=INTERVAL, blocked_retry=300),
        )
        poller.run(once=True)
        failed = [e for e in events if isinstance(e, PollFailed)]
        assert (
            failed
            and failed[0].kind == "push_refused"
            and "refused a notification channel" in failed[0].message
        )
        assert not [e for e in events if isinstance(e, SnapshotReceived)], "no figures pretend to be live"
