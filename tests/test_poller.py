"""The poller's schedule and backoff rules, with a scripted source (pure units).

The same rules are exercised against the simulator over HTTP in test_fault_matrix.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from tenacity import RetryCallState, Retrying

from queuewatch.errors import PermissionMissing, RateLimited, SourceError, Unavailable
from queuewatch.model import AgentActivity, Live, QueueInfo, QueueLive, QueueToday, Today
from queuewatch.poller import (
    BackingOff,
    Connected,
    Poller,
    PollerEvent,
    PollerSettings,
    PollFailed,
    RequestLedger,
    Scheduled,
    SnapshotReceived,
    backoff_wait,
    budget_stretch,
    within_budget,
)
from queuewatch.source import BatchFailure, PartResult, RateStatus
from tests.clocks import FakeClock, until
from tests.fakes import SteppedClock

QUEUES = [QueueInfo("q1", "Sales"), QueueInfo("q2", "Billing")]


def state_after(error: BaseException, attempt: int) -> RetryCallState:
    state = RetryCallState(Retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = attempt
    state.set_exception((type(error), error, None))
    return state


def test_retry_after_is_honoured_exactly() -> None:
    wait = backoff_wait(60)
    assert wait(state_after(RateLimited(12, "/x"), 1)) == 12.0
    assert wait(state_after(RateLimited(90, "/x"), 7)) == 90.0


def test_backoff_without_retry_after_is_jittered_and_capped() -> None:
    wait = backoff_wait(60, lambda: 5.0)
    first = [wait(state_after(Unavailable("down"), 1)) for _ in range(200)]
    outage = [wait(state_after(Unavailable("down"), 12)) for _ in range(200)]
    late = [wait(state_after(RateLimited(None, "/x"), 12)) for _ in range(200)]
    assert all(0 <= w <= 2 for w in first)
    assert all(0 <= w <= 5 for w in outage), "an outage never costs more than one interval"
    assert max(outage) > 2.5
    assert all(0 <= w <= 60 for w in late)
    assert len({round(w, 3) for w in late}) > 50, "full jitter spreads the waits"
    assert max(late) > 30


@dataclass
class Scripted:
    """A source whose calls follow a script: each call pops the next outcome (or repeats the last)."""

    observe_script: list[object] = field(default_factory=list)
    today_script: list[object] = field(default_factory=list)
    label: str = "scripted"
    timezone: str = "UTC"
    calls: list[str] = field(default_factory=list)
    closed: bool = False

    def _next(self, script: list[object], default: object) -> object:
        outcome = script.pop(0) if script else default
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def list_queues(self) -> list[QueueInfo]:
        self.calls.append("queues")
        return list(QUEUES)

    def observe(self, queues: Sequence[QueueInfo]) -> PartResult[QueueLive]:
        self.calls.append("observe")
        default = PartResult({q.id: QueueLive(live=Live(waiting=1)) for q in queues})
        return self._next(self.observe_script, default)  # type: ignore[return-value]

    def today(self, queues: Sequence[QueueInfo]) -> PartResult[QueueToday]:
        self.calls.append("today")
        default = PartResult({q.id: QueueToday(today=Today(offered=3)) for q in queues})
        return self._next(self.today_script, default)  # type: ignore[return-value]

    def agent_activity(self, queue_ids: Sequence[str]) -> PartResult[tuple[AgentActivity, ...]]:
        self.calls.append("agents")
        return PartResult({q: () for q in queue_ids})

    def rate_status(self) -> RateStatus:
        return RateStatus()

    def cost(self, queues: int) -> int:
        return 1

    def close(self) -> None:
        self.closed = True


@dataclass
class Started:
    """A poller running in its thread on a fake clock, and what it said, each with the clock's time."""

    poller: Poller
    clock: FakeClock
    thread: threading.Thread
    timed: list[tuple[float, PollerEvent]]

    @property
    def events(self) -> list[PollerEvent]:
        return [event for _, event in self.timed]

    def when(self, kind: type[PollerEvent], nth: int = 0) -> float:
        """The clock's time of the ``nth`` event of ``kind``."""
        return [at for at, event in self.timed if isinstance(event, kind)][nth]

    def stop(self) -> None:
        self.poller.stop()
        self.thread.join(2)
        assert not self.thread.is_alive(), "the poller stops promptly"


def start_poller(source: Scripted, settings: PollerSettings | None = None) -> Started:
    clock = FakeClock()
    timed: list[tuple[float, PollerEvent]] = []

    def emit(event: PollerEvent) -> None:
        timed.append((clock(), event))

    poller = Poller(lambda: source, emit, settings, clock=clock, wall_clock=clock.datetime, wait=clock.wait)
    thread = threading.Thread(target=poller.run, daemon=True)
    thread.start()
    return Started(poller, clock, thread, timed)


def run_poller(
    source: Scripted, settings: PollerSettings, until: Callable[[list[PollerEvent]], bool]
) -> Started:
    """Run the poller on a fake clock, jumping to each wake-up, until ``until(events)``; then stop it."""
    started = start_poller(source, settings)
    try:
        started.clock.run_until(lambda: until(started.events))
    finally:
        started.stop()
    return started


def snapshots(events: list[PollerEvent]) -> list[SnapshotReceived]:
    return [e for e in events if isinstance(e, SnapshotReceived)]


def test_once_gives_one_snapshot_with_today() -> None:
    source = Scripted()
    events: list[PollerEvent] = []
    Poller(lambda: source, events.append).run(once=True)
    (ready,) = snapshots(events)
    assert [q.waiting for q in ready.snapshot.queues] == [1, 1]
    assert [q.today.offered for q in ready.snapshot.queues] == [3, 3]
    assert source.calls == ["queues", "observe", "today"]
    assert source.closed
    assert isinstance(events[1], Connected)


def test_rate_limit_backs_off_for_retry_after_then_recovers() -> None:
    source = Scripted(observe_script=[RateLimited(1, "/obs")])
    run = run_poller(source, PollerSettings(interval=1), lambda ev: bool(snapshots(ev)))
    backoff = next(e for e in run.events if isinstance(e, BackingOff))
    assert (backoff.kind, backoff.delay, backoff.attempt) == ("rate_limited", 1.0, 1)
    assert run.when(SnapshotReceived) - run.when(BackingOff) == 1.0, "recovers after exactly Retry-After"


def test_an_unexpected_error_is_reported_and_the_poll_tried_again_after_a_minute() -> None:
    """A bug in queuewatch itself: the poller says so, stays up, and tries again 60 s later."""
    source = Scripted(observe_script=[ZeroDivisionError("division by zero")])
    run = run_poller(source, PollerSettings(interval=5), lambda ev: bool(snapshots(ev)))
    (failed,) = [e for e in run.events if isinstance(e, PollFailed)]
    assert (failed.part, failed.kind, failed.fatal) == ("poll", "internal", False)
    assert failed.message == "unexpected ZeroDivisionError: division by zero"
    assert failed.retry_at == run.when(PollFailed) + 60
    assert run.when(SnapshotReceived) == failed.retry_at, "tried again after 60 s, not before"
    assert source.calls == ["queues", "observe", "observe", "today"]
    assert not any(isinstance(e, BackingOff) for e in run.events), "not retried in a loop"


def test_permission_missing_on_aggregates_keeps_live_figures() -> None:
    denied = PermissionMissing("analytics:conversationAggregate:view", "/aggregates")
    source = Scripted(today_script=[denied])
    events: list[PollerEvent] = []
    Poller(lambda: source, events.append).run(once=True)
    (ready,) = snapshots(events)
    assert [q.waiting for q in ready.snapshot.queues] == [1, 1]
    assert [q.today.offered for q in ready.snapshot.queues] == [None, None], "unknown, not zero"
    assert "analytics:conversationAggregate:view" in ready.snapshot.errors[0].message
    assert source.calls.count("today") == 1, "a 403 is not retried in a loop"


def test_one_failed_batch_is_partial_not_zero() -> None:
    partial = PartResult(
        {"q1": QueueLive(live=Live(waiting=4))}, (BatchFailure(("q2",), Unavailable("502")),)
    )
    source = Scripted(observe_script=[partial])
    events: list[PollerEvent] = []
    Poller(lambda: source, events.append).run(once=True)
    (ready,) = snapshots(events)
    by_id = {q.id: q for q in ready.snapshot.queues}
    assert by_id["q1"].waiting == 4
    assert by_id["q2"].waiting is None
    assert ready.snapshot.partial and ready.snapshot.errors[0].queue_ids == ("q2",)


def test_credentials_rejected_at_connect_is_reported_not_raised() -> None:
    from queuewatch.errors import AuthError

    def connect() -> Scripted:
        raise AuthError("rejected")

    events: list[PollerEvent] = []
    Poller(connect, events.append).run(once=True)
    failed = [e for e in events if isinstance(e, PollFailed)]
    assert failed and failed[0].kind == "auth" and failed[0].fatal


def test_pause_refresh_and_interval_changes_are_scheduled() -> None:
    source = Scripted()
    run = start_poller(source, PollerSettings(interval=30))
    try:
        run.clock.run_until(lambda: snapshots(run.events))
        run.poller.pause()
        run.clock.run_until(lambda: any(isinstance(e, Scheduled) and e.paused for e in run.events))
        paused_at = run.clock()
        run.clock.run_until(lambda: run.clock() >= paused_at + 120)
        assert len(snapshots(run.events)) == 1, "no poll while paused, however long"
        assert run.poller.set_interval(0.2) == 1.0, "clamped to the minimum"
        run.poller.refresh_now()
        run.clock.run_until(lambda: len(snapshots(run.events)) >= 2)
        assert not run.poller.paused, "refresh now polls at once, even when paused, and resumes"
    finally:
        run.stop()


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    until(condition, timeout=timeout)


def test_refresh_during_a_retry_after_waits_for_it_and_says_when() -> None:
    clock = SteppedClock(100.0)
    call_times: list[float] = []
    source = Scripted(observe_script=[RateLimited(60, "/obs")])
    observe = source.observe

    def timed_observe(queues: Sequence[QueueInfo]) -> PartResult[QueueLive]:
        call_times.append(clock.now)
        return observe(queues)

    source.observe = timed_observe  # type: ignore[method-assign]
    events: list[PollerEvent] = []
    poller = Poller(lambda: source, events.append, PollerSettings(interval=5), clock=clock, wait=clock.wait)
    thread = threading.Thread(target=poller.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: any(isinstance(e, BackingOff) for e in events))
        assert call_times == [100.0]
        clock.now = 130.0
        assert poller.refresh_now() == 160.0, "the poll comes when Genesys's wait is over"
        wait_until(lambda: any(isinstance(e, Scheduled) and e.next_poll_at == 160.0 for e in events))
        assert call_times == [100.0], "no request the server would refuse"
        clock.now = 160.0
        wait_until(lambda: bool(snapshots(events)))
        assert call_times == [100.0, 160.0]
    finally:
        poller.stop()
        thread.join(2)


def test_refresh_after_a_partial_retry_after_waits_for_it_too() -> None:
    clock = SteppedClock(100.0)
    throttled = PartResult(
        {"q1": QueueLive(live=Live(waiting=4))}, (BatchFailure(("q2",), RateLimited(20, "/o")),)
    )
    source = Scripted(observe_script=[throttled])
    events: list[PollerEvent] = []
    poller = Poller(lambda: source, events.append, PollerSettings(interval=5), clock=clock, wait=clock.wait)
    thread = threading.Thread(target=poller.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: bool(snapshots(events)))
        assert snapshots(events)[0].next_poll_at == 120.0
        assert poller.refresh_now() == 120.0
        clock.now = 120.0
        wait_until(lambda: len(snapshots(events)) == 2)
        assert source.calls.count("observe") == 2
        assert snapshots(events)[1].snapshot.queues[1].waiting == 1, "q2 answered this time"
        assert poller.refresh_now() is None, "no wait asked for any more: at once"
        wait_until(lambda: len(snapshots(events)) == 3)
    finally:
        poller.stop()
        thread.join(2)


@pytest.mark.parametrize("error", [Unavailable("down"), RateLimited(None, "/x")])
def test_stop_during_backoff_is_prompt(error: SourceError) -> None:
    """On a clock that never moves, a backoff never ends by itself: only ``stop`` can end the run."""
    source = Scripted(observe_script=[error] * 50)
    run = start_poller(source, PollerSettings(interval=1, max_backoff=60))
    until(lambda: any(isinstance(e, BackingOff) for e in run.events), "a backoff", timeout=5)
    assert run.clock.sleeping(), "backing off"
    run.stop()
    assert source.closed


def test_snapshot_time_is_the_wall_clock() -> None:
    source = Scripted()
    events: list[PollerEvent] = []
    frozen = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    Poller(lambda: source, events.append, wall_clock=lambda: frozen).run(once=True)
    assert snapshots(events)[0].snapshot.taken_at == frozen


def test_budget_stretches_the_cadence_only_when_needed() -> None:
    settings = PollerSettings()
    assert budget_stretch(1, settings, 5, 300) == 1.0, "100 queues fit easily"
    assert budget_stretch(10, settings, 5, 300) == 1.0, "1,000 queues: 142 requests/min fit in 270"
    stretch = budget_stretch(50, settings, 5, 300)
    per_minute = 60 * 50 * (1 / (5 * stretch) + 1 / (30 * stretch) + 1 / (300 * stretch))
    assert stretch > 2.5
    assert per_minute == pytest.approx(0.9 * 300)
    assert budget_stretch(50, settings, 5, 3000) == 1.0, "a larger allowance needs no stretch"


def test_the_ledger_finds_the_first_moment_a_poll_fits_the_minute() -> None:
    ledger = RequestLedger()
    ledger.add(0.0, 150)  # the first poll at 5,000 queues: listing, live figures, aggregates
    ledger.add(13.0, 50)
    ledger.add(26.0, 50)
    assert ledger.spent(30.0) == 250
    assert ledger.room_at(20, 270, 30.0) == 30.0
    assert ledger.room_at(50, 270, 39.0) == 60.0, "wait for the first 150 to stop counting"
    assert ledger.room_at(300, 270, 39.0) == 86.0, "more than the budget: a quiet minute first"
    assert ledger.spent(61.0) == 100


def test_ten_minutes_at_5000_queues_never_spend_more_than_the_budget_in_any_minute() -> None:
    """The schedule the poller follows (its stretch, then ``within_budget``), replayed for ten
    minutes at 5,000 queues with the documented 300 requests a minute: the listing and the day's
    aggregates are counted, and no minute holds more than 90 % of the allowance."""
    settings = PollerSettings()
    per_part = 50
    stretch = budget_stretch(per_part, settings, settings.interval, 300)
    budget = int(settings.budget_share * 300)
    ledger = RequestLedger()
    made: list[tuple[float, int]] = []
    now, today_due, queues_due, polls = 0.0, 0.0, 0.0, 0
    while now < 600:
        spent = per_part
        if now >= queues_due:
            spent += per_part
            queues_due = now + settings.queues_every * stretch
        if now >= today_due:
            spent += per_part
            today_due = now + settings.today_every * stretch
        ledger.add(now, spent)
        made.append((now, spent))
        polls += 1
        ready = now + settings.interval * stretch

        def cost(when: float, today: float = today_due, listing: float = queues_due) -> int:
            return per_part * (1 + (when >= today) + (when >= listing))

        now = within_budget(ledger, ready, cost, budget)
    for start, _ in made:
        minute = sum(count for when, count in made if start <= when < start + 60)
        assert minute <= budget, (start, minute)
    assert polls >= 36, "the cadence stays close to the stretched one (13 s; 15 s with whole minutes)"
