"""The poller with a source whose live figures come by push: cadence, budget, nudges (pure units)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pytest

from queuewatch.model import AgentActivity, Live, QueueInfo, QueueLive, QueueToday, Today
from queuewatch.poller import Poller, PollerEvent, PollerSettings, SnapshotReceived, budget_stretch
from queuewatch.source import LiveReporting, LiveState, PartResult, RateStatus
from tests.push_support import wait_for

QUEUES = [QueueInfo("q1", "Sales"), QueueInfo("q2", "Billing")]


@dataclass
class PushLike:
    """A source that says its live figures come by push (or by polling), and can nudge the poller."""

    mode: str = "push"
    label: str = "push-like"
    timezone: str = "UTC"
    calls: list[str] = field(default_factory=list)
    wakeup: Callable[[], None] | None = None

    def list_queues(self) -> list[QueueInfo]:
        self.calls.append("queues")
        return list(QUEUES)

    def observe(self, queues: Sequence[QueueInfo]) -> PartResult[QueueLive]:
        self.calls.append("observe")
        return PartResult({q.id: QueueLive(live=Live(waiting=2)) for q in queues})

    def today(self, queues: Sequence[QueueInfo]) -> PartResult[QueueToday]:
        self.calls.append("today")
        return PartResult({q.id: QueueToday(today=Today(offered=1)) for q in queues})

    def agent_activity(self, queue_ids: Sequence[str]) -> PartResult[tuple[AgentActivity, ...]]:
        return PartResult({})

    def rate_status(self) -> RateStatus:
        return RateStatus()

    def cost(self, queues: int) -> int:
        return 50

    def close(self) -> None:
        pass

    def live_state(self) -> LiveState:
        return LiveState("push" if self.mode == "push" else "poll", last_event_at=1.0, requests_per_minute=50)

    def set_wakeup(self, wakeup: Callable[[], None]) -> None:
        self.wakeup = wakeup


def start(source: PushLike, settings: PollerSettings) -> tuple[Poller, list[PollerEvent], threading.Thread]:
    events: list[PollerEvent] = []
    poller = Poller(lambda: source, events.append, settings)
    thread = threading.Thread(target=poller.run, daemon=True)
    thread.start()
    return poller, events, thread


def ready(events: list[PollerEvent]) -> list[SnapshotReceived]:
    return [e for e in list(events) if isinstance(e, SnapshotReceived)]


def test_the_fake_is_live_reporting() -> None:
    assert isinstance(PushLike(), LiveReporting)


def test_events_wake_the_poller_and_today_comes_on_its_slower_cadence() -> None:
    source = PushLike()
    settings = PollerSettings(interval=60, today_every=0.001, push_today_every=600, push_min_gap=0.01)
    poller, events, thread = start(source, settings)
    wait_for(lambda: ready(events), "the first snapshot")
    assert source.wakeup is not None
    for n in (2, 3, 4):
        source.wakeup()

        def arrived(n: int = n) -> bool:
            return len(ready(events)) >= n

        wait_for(arrived, f"snapshot {n}, long before the 60 s interval")
    poller.stop()
    thread.join(3)
    assert source.calls.count("today") == 1, "by push, today's figures every push_today_every"
    assert all(e.live is not None and e.live.mode == "push" for e in ready(events))


def test_when_polling_today_keeps_its_own_cadence() -> None:
    source = PushLike(mode="poll")
    settings = PollerSettings(
        interval=1, today_every=0.001, push_today_every=600, min_interval=0.05, assumed_allowance=10**9
    )
    poller, events, thread = start(source, settings)
    poller.set_interval(0.05)
    wait_for(lambda: len(ready(events)) >= 3, "three snapshots")
    poller.stop()
    thread.join(3)
    assert source.calls.count("today") >= 3


def test_pushing_5000_queues_fits_the_budget_that_polling_must_stretch_for() -> None:
    settings = PollerSettings()
    assert budget_stretch(50, settings, 5, 300) == pytest.approx(2.63, abs=0.01)
    assert budget_stretch(50, settings, 5, 300, live_per_minute=50, today_every=60) == 1.0
    per_minute = 50 + 60 * 50 * (1 / 60 + 1 / 300)
    assert per_minute == pytest.approx(110), "resync + aggregates + listing, within 120 a minute"
