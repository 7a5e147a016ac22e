"""What the dashboard runs in its worker thread: a feed of the poller's events.

The ``Poller`` is one feed (it polls Genesys itself); ``feeds.RedisFeed`` reads a collector's
stream and ``feeds.ReplayFeed`` plays a recording. The app runs ``run()`` in a thread worker,
calls the controls from its own thread, and gets everything through ``emit``: the poller's events
(``SnapshotReceived``, ``BackingOff``, ``PollFailed``, ``Scheduled`` ...) and, from a replay, the two
below. Pure: no textual, no Redis.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal, Protocol

from queuewatch.alerts import Alert
from queuewatch.poller import PollerEvent

#: Where a feed's data comes from: Genesys itself, a collector's stream, or a recording.
FeedKind = Literal["genesys", "collector", "replay"]


@dataclass(frozen=True, slots=True)
class AlertsReplayed:
    """Alerts as they were raised at ``at``, in a recording: to be shown, never rung."""

    at: datetime
    alerts: tuple[Alert, ...]


@dataclass(frozen=True, slots=True)
class ReplayMoved:
    """Where a replay stands: the recorded time on screen, playing or paused, and the recording's
    span."""

    at: datetime | None
    playing: bool
    start: datetime | None
    end: datetime | None
    speed: float = 1.0
    note: str = ""
    """Something to say once (``no snapshot before 08:00:00``)."""


FeedEvent = PollerEvent | AlertsReplayed | ReplayMoved


class Feed(Protocol):
    """What the dashboard needs of its source of snapshots. Controls are safe from any thread."""

    @property
    def kind(self) -> FeedKind: ...

    @property
    def interval(self) -> float: ...

    @property
    def paused(self) -> bool: ...

    def run(self, *, once: bool = False) -> None:
        """Emit events until ``stop()`` (or after the first picture, if ``once``); never raises."""
        ...

    def stop(self) -> None: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def refresh_now(self) -> float | None:
        """Fetch now; or the ``clock()`` time it will happen, when it cannot be now."""
        ...

    def set_interval(self, seconds: float) -> float:
        """Ask for another interval; the interval in force afterwards."""
        ...

    def watch_agents(self, queue_ids: Sequence[str]) -> None: ...

    def state_line(self) -> str: ...


_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def resolve_at(text: str, span: tuple[int, int], tz: tzinfo | None) -> datetime:
    """The time ``text`` names within a recording spanning ``span`` (ms since the epoch).

    ``10:42`` or ``10:42:30`` is that clock time in ``tz`` (None: UTC) on the last day of the
    recording that has it at or before the recording's end; ``2026-11-29 10:42`` or an ISO 8601 time
    is that moment. ValueError, saying what is accepted, for anything else.
    """
    zone = tz or UTC
    text = text.strip()
    match = _CLOCK.match(text)
    if match is None:
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"not a time: {text[:40]!r} (10:42, 10:42:30 or 2026-11-29 10:42)") from None
        return when if when.tzinfo is not None else when.replace(tzinfo=zone)
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"not a time of day: {text!r}")
    end = datetime.fromtimestamp(span[1] / 1000, zone)
    day: date = end.date()
    for _ in range(3):
        candidate = datetime.combine(day, time(hour, minute, second), zone)
        if candidate <= end:
            return candidate
        day -= timedelta(days=1)
    return datetime.combine(day, time(hour, minute, second), zone)
