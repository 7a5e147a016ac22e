"""A small, deterministic ``QueueSource`` for the dashboard's tests, and a way to build the app on it.

``FakeSource`` serves whatever queues the test set last (as ``QueueStats``) and can be scripted to
fail its next calls (``RateLimited``, ``Unavailable`` ...). It is thread-safe: the poller calls it
from its own thread while the test changes it from the event loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget

from queuewatch.errors import SourceError
from queuewatch.model import (
    AgentActivity,
    Agents,
    Live,
    MediaStats,
    QueueInfo,
    QueueLive,
    QueueStats,
    QueueToday,
    Snapshot,
    Today,
)
from queuewatch.poller import PollerSettings
from queuewatch.source import PartResult, RateStatus
from queuewatch.thresholds import Thresholds
from queuewatch.tui.app import QueuewatchApp
from queuewatch.tui.widgets import QueueTable
from tests.clocks import FakeClock

FROZEN_WALL = datetime(2026, 3, 2, 14, 5, 0, tzinfo=UTC)


def queue(
    id: str,
    name: str,
    *,
    waiting: int | None = 0,
    longest: float | None = None,
    interacting: int | None = 0,
    idle: int | None = 2,
    on_queue: int | None = 5,
    not_responding: int | None = 0,
    off_queue: int | None = 1,
    offered: int | None = 100,
    answered: int | None = 95,
    abandoned: int | None = 2,
    abandon_rate: float | None = 0.02,
    service_level: float | None = 0.9,
    sl_target: float | None = 0.8,
    asa: float | None = 12.0,
    aht: float | None = 245.0,
    by_media: Mapping[str, MediaStats] | None = None,
    waiting_detail: tuple[tuple[str, str, float], ...] = (),
) -> QueueStats:
    """A queue's figures in one line; everything not given is ordinary and calm."""
    return QueueStats(
        id=id,
        name=name,
        waiting=waiting,
        longest_wait_s=longest,
        interacting=interacting,
        agents=Agents(
            idle=idle,
            interacting=interacting,
            not_responding=not_responding,
            off_queue=off_queue,
            on_queue=on_queue,
        ),
        today=Today(
            offered=offered,
            answered=answered,
            abandoned=abandoned,
            abandon_rate=abandon_rate,
            service_level=service_level,
            sl_target=sl_target,
            asa_s=asa,
            aht_s=aht,
        ),
        by_media=by_media or {},
        waiting_detail=waiting_detail,
    )


def sample_queues() -> list[QueueStats]:
    """A handful of queues covering calm, warning, critical, unknown and markup-looking names."""
    return [
        queue("q-sales", "[VIP] Sales", waiting=3, longest=75.0, idle=1),
        queue(
            "q-support",
            "Support EMEA",
            waiting=16,
            longest=200.0,
            idle=0,
            abandon_rate=0.12,
            service_level=0.55,
            abandoned=14,
            offered=120,
            answered=90,
        ),
        queue("q-billing", "Billing", waiting=0, longest=None, idle=3),
        queue("q-retention", "Retention and win-back team for premium accounts", waiting=1, longest=20.0),
        queue(
            "q-new",
            "New queue (no figures yet)",
            waiting=None,
            longest=None,
            interacting=None,
            idle=None,
            on_queue=None,
            not_responding=None,
            off_queue=None,
            offered=None,
            answered=None,
            abandoned=None,
            abandon_rate=None,
            service_level=None,
            asa=None,
            aht=None,
        ),
    ]


class FakeSource:
    """A scripted ``QueueSource``: set the queues, queue up failures, count the calls."""

    def __init__(self, queues: Iterable[QueueStats] = (), label: str = "fake", timezone: str = "UTC") -> None:
        self.label = label
        self.timezone = timezone
        self._lock = threading.Lock()
        self._queues = list(queues)
        self._agents: dict[str, tuple[AgentActivity, ...]] = {}
        self.activity_asked: list[tuple[str, ...]] = []
        self._failures: list[Exception] = []
        self._failing: SourceError | None = None
        self.observe_calls = 0
        self.closed = threading.Event()

    # --- scripting, from the test ---------------------------------------------------------------------

    def set_queues(self, queues: Iterable[QueueStats]) -> None:
        with self._lock:
            self._queues = list(queues)

    def update(self, queue_id: str, **changes: Any) -> None:
        """Change some fields of one queue (``waiting=``, ``longest_wait_s=`` ...)."""
        with self._lock:
            self._queues = [replace(q, **changes) if q.id == queue_id else q for q in self._queues]

    def set_agents(self, queue_id: str, agents: Iterable[AgentActivity]) -> None:
        """What ``agent_activity`` says of one queue's agents."""
        with self._lock:
            self._agents[queue_id] = tuple(agents)

    def fail_next(self, *errors: Exception) -> None:
        """The next calls of ``observe`` raise these, in order (a ``SourceError``, or a bug)."""
        with self._lock:
            self._failures.extend(errors)

    def fail_until_further_notice(self, error: SourceError | None) -> None:
        """Every call of ``observe`` raises ``error`` until this is called again with None."""
        with self._lock:
            self._failing = error

    # --- the QueueSource protocol ---------------------------------------------------------------------

    def list_queues(self) -> list[QueueInfo]:
        with self._lock:
            return [QueueInfo(id=q.id, name=q.name) for q in self._queues]

    def observe(self, queues: Sequence[QueueInfo]) -> PartResult[QueueLive]:
        with self._lock:
            self.observe_calls += 1
            if self._failures:
                raise self._failures.pop(0)
            if self._failing is not None:
                raise self._failing
            stats = {q.id: q for q in self._queues}
        values = {
            q.id: QueueLive(
                live=Live(waiting=s.waiting, longest_wait_s=s.longest_wait_s, interacting=s.interacting),
                agents=s.agents,
                by_media={media: figures.live for media, figures in s.by_media.items()},
                waiting_detail=s.waiting_detail,
            )
            for q in queues
            if (s := stats.get(q.id)) is not None
        }
        return PartResult(values=values)

    def today(self, queues: Sequence[QueueInfo]) -> PartResult[QueueToday]:
        with self._lock:
            stats = {q.id: q for q in self._queues}
        return PartResult(
            values={
                q.id: QueueToday(
                    today=stats[q.id].today,
                    by_media={media: figures.today for media, figures in stats[q.id].by_media.items()},
                )
                for q in queues
                if q.id in stats
            }
        )

    def agent_activity(self, queue_ids: Sequence[str]) -> PartResult[tuple[AgentActivity, ...]]:
        with self._lock:
            self.activity_asked.append(tuple(queue_ids))
            return PartResult(values={q: self._agents.get(q, ()) for q in queue_ids})

    def rate_status(self) -> RateStatus:
        with self._lock:
            return RateStatus(last_minute=42)

    def cost(self, queues: int) -> int:
        return 1

    def close(self) -> None:
        self.closed.set()


class SteppedClock(FakeClock):
    """A monotonic clock that moves only when the test moves it (``clock.now += 11``); the poller
    sleeping on it (``wait``) wakes as soon as it moves."""

    def __init__(self, start: float = 1000.0) -> None:
        super().__init__(start)

    @property
    def now(self) -> float:
        return self()

    @now.setter
    def now(self, value: float) -> None:
        self.advance(value - self())


def make_app(
    source: FakeSource,
    *,
    interval: float = 5.0,
    thresholds: Thresholds | None = None,
    frozen: bool = False,
    clock: Callable[[], float] | None = None,
    **options: Any,
) -> QueuewatchApp:
    """The dashboard on ``source``; ``frozen`` stops both clocks (for snapshots). ``clock`` is the
    poller's and the status bar's; a ``FakeClock`` also stamps the snapshots and is what the poller
    sleeps on, so its backoffs and intervals follow it."""
    if frozen:
        options.setdefault("wall_clock", lambda: FROZEN_WALL)
        options.setdefault("tz", UTC)
    if isinstance(clock, FakeClock):
        options.update(clock=clock, wait=clock.wait)
        options.setdefault("wall_clock", clock.datetime)
    elif clock is not None:
        options["clock"] = clock
    if frozen:
        options.setdefault("clock", lambda: 1000.0)
    options.setdefault("connect", lambda: source)
    return QueuewatchApp(
        label=source.label,
        poller_settings=PollerSettings(interval=interval, today_every=1.0),
        thresholds=thresholds or Thresholds(),
        **options,
    )


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Let the app run until ``condition()`` holds; fail the test after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {condition}")
        await asyncio.sleep(0.01)  # the app handles its messages meanwhile; a pilot pause would redraw
    await pilot.pause()


async def wait_for_snapshot(
    pilot: Pilot[Any], app: QueuewatchApp, than: Snapshot | None = None, timeout: float = 30.0
) -> None:
    """Wait until the app has applied a snapshot newer than ``than`` (any, if None)."""
    await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot is not than, timeout)


def poller_ended(app: QueuewatchApp, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """An event set when the app's poller has returned from ``run`` (its thread is free to end)."""
    ended = threading.Event()
    run = app.poller.run

    def run_then_say_so(*, once: bool = False) -> None:
        try:
            run(once=once)
        finally:
            ended.set()

    monkeypatch.setattr(app.poller, "run", run_then_say_so)
    return ended


def displayed(widget: Widget) -> bool:
    """Whether ``widget`` is displayed now (read afresh: a key press may have changed it)."""
    return widget.display


def screen_of(app: QueuewatchApp) -> Screen[Any]:
    """The screen on top now (read afresh: a key press may have changed it)."""
    return app.screen


def media_of(app: QueuewatchApp) -> str | None:
    """The media type filter in force now (read afresh: a key press may have changed it)."""
    return app.media


def shown(app: QueuewatchApp, queue_id: str, column: str) -> str:
    """The text a cell shows, mark included."""
    return app.query_one(QueueTable).cell(queue_id, column).shown


def order(app: QueuewatchApp) -> list[str]:
    """Queue ids in the order the table shows them."""
    return app.query_one(QueueTable).row_keys
