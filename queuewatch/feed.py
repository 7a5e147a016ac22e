"""What the dashboard runs in its worker thread: a feed of the poller's events.

The ``Poller`` is one feed (it polls Genesys itself); ``feeds.RedisFeed`` reads a collector's
stream and ``feeds.ReplayFeed`` plays a recording. The app runs ``run()`` in a thread worker,
calls the controls from its own thread, and gets everything through ``emit``: the poller's events
(``SnapshotReady``, ``BackingOff``, ``PollFailed``, ``Scheduled`` ...) and, from a replay, the two
below. Pure: no textual, no Redis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
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

    def run(self) -> None:
        """Emit events until ``stop()``; never raises."""
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
