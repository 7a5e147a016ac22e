"""What the status bar says: the poller's state, folded from its events, and the words for it.

Pure: no widgets. ``PollStatus.after(event, now)`` returns the state after a poller event;
``describe(status, now, ...)`` turns it into the status bar's parts at a given moment, so the
countdowns can be redrawn every second without any new event.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo

from rich.cells import cell_len

from queuewatch.model import PartFailure
from queuewatch.poller import (
    Allowance,
    BackingOff,
    Connected,
    Connecting,
    PollerEvent,
    PollFailed,
    PollStarted,
    Scheduled,
    SnapshotReceived,
)
from queuewatch.present import fmt_age
from queuewatch.source import LiveState, RateStatus

#: How many intervals without a successful update make the data stale.
STALE_AFTER_INTERVALS = 2.0

_KIND_WORDS = {"rate_limited": "rate limited", "unavailable": "Genesys unavailable"}


@dataclass(frozen=True, slots=True)
class PollStatus:
    """The poller as the status bar knows it. Times are ``clock()`` values unless named ``_wall``."""

    label: str
    interval: float
    stretched_to: float | None = None
    """The interval in force when the request budget stretched the one asked for."""
    connected: bool = False
    paused: bool = False
    polling: bool = False
    updated_at: float | None = None
    updated_wall: datetime | None = None
    next_poll_at: float | None = None
    backoff: BackingOff | None = None
    failure: PollFailed | None = None
    partial: tuple[PartFailure, ...] = ()
    rate: RateStatus | None = None
    allowance: Allowance | None = None
    resumed_at: float | None = None
    """When polling was last resumed after a pause."""
    live: LiveState | None = None
    """How the live figures came in the last snapshot (push or poll), when the source says."""

    def after(self, event: PollerEvent, now: float) -> PollStatus:
        """The state once ``event`` has happened at ``now``."""
        match event:
            case Connecting():
                return replace(self, connected=False)
            case Connected():
                return replace(self, connected=True, backoff=None)
            case PollStarted():
                return replace(self, polling=True)
            case SnapshotReceived(
                snapshot=snapshot, rate=rate, next_poll_at=next_poll_at, allowance=allowance, live=live
            ):
                return replace(
                    self,
                    allowance=allowance,
                    polling=False,
                    updated_at=now,
                    updated_wall=snapshot.taken_at,
                    next_poll_at=next_poll_at,
                    backoff=None,
                    failure=None,
                    partial=snapshot.errors,
                    rate=rate,
                    live=live,
                )
            case BackingOff():
                return replace(self, backoff=event)
            case PollFailed(retry_at=retry_at):
                return replace(self, polling=False, backoff=None, failure=event, next_poll_at=retry_at)
            case Scheduled(next_poll_at=next_poll_at, paused=paused, interval=interval):
                return replace(
                    self,
                    next_poll_at=next_poll_at,
                    paused=paused,
                    interval=interval,
                    stretched_to=event.effective_interval,
                )

    def stale(self, now: float) -> bool:
        """True when the last good update is older than two intervals (or there never was one)."""
        if self.updated_at is None:
            return self.failure is not None or self.backoff is not None
        interval = self.stretched_to or self.interval
        return now - self.updated_at > STALE_AFTER_INTERVALS * interval

    def overdue(self, now: float) -> bool:
        """Stale although polling has been on for two intervals: something is wrong (data left
        old by a pause is stale, but not overdue until two intervals after resuming)."""
        if self.paused or not self.stale(now):
            return False
        if self.resumed_at is None:
            return True
        return now - self.resumed_at > STALE_AFTER_INTERVALS * (self.stretched_to or self.interval)

    def with_paused(self, paused: bool, now: float) -> PollStatus:
        """The state once polling is paused, or resumed, at ``now``."""
        resumed = self.paused and not paused
        return replace(self, paused=paused, resumed_at=now if resumed else self.resumed_at)


def stale_reason(status: PollStatus) -> str:
    """Why no fresh data has come, in a few words (the status bar has the details and countdown)."""
    if status.backoff is not None:
        return _KIND_WORDS.get(status.backoff.kind, status.backoff.message)
    if status.failure is not None:
        return status.failure.message
    if status.paused:
        return "paused (p resumes)"
    if status.polling:
        return "waiting for Genesys to reply"
    return "no new data"


def stale_since(status: PollStatus, now: float, tz: tzinfo | None = None) -> str | None:
    """``10:42:07``, the time of the last good update, when the data on screen is stale; None while
    it is fresh, or when there never was any (nothing on screen to mark)."""
    if not status.stale(now) or status.updated_wall is None:
        return None
    return status.updated_wall.astimezone(tz).strftime("%H:%M:%S")


def stale_banner(status: PollStatus, now: float, tz: tzinfo | None = None) -> str:
    """What stands above a stale table: ``STALE since 10:42:07 (1 min) — Genesys unavailable; the
    figures are from then``; empty when ``stale_since`` is None."""
    since = stale_since(status, now, tz)
    if since is None or status.updated_at is None:
        return ""
    age = fmt_age(now - status.updated_at)
    return f"STALE since {since} ({age}) — {stale_reason(status)}; the figures are from then"


@dataclass(frozen=True, slots=True)
class StatusParts:
    """The status bar's words. ``problem`` is empty when all is well."""

    label: str
    updated: str
    stale: bool
    next: str
    rate: str
    count: str
    problem: str = ""
    problem_fatal: bool = False
    hidden: str = ""
    """``3 breaching hidden``: queues in breach that the filters keep out of sight."""
    shorter: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Shorter ways to say a part of the first line, longest first (for a narrow terminal)."""


#: The first line's parts, in the order they are shown.
LINE_PARTS = ("label", "stale", "updated", "next", "rate", "count", "hidden")
#: The parts that give way when the first line is too narrow, the first to give way first: each
#: takes its shorter forms in turn, then goes. The staleness and the queue count never give way.
GIVE_WAY = ("rate", "label", "next", "updated", "hidden")
#: Cells between two parts of the first line; the STALE badge has one cell of padding each side.
GAP = 2
_PADDING = {"stale": 2}


def fit_line(parts: StatusParts, width: int) -> dict[str, str]:
    """What each part of the first line says in ``width`` cells ("" where it gives way).

    The least important parts give way first (``GIVE_WAY``), by whole forms, so nothing is ever
    cut in the middle of a word; the staleness and the queue count always stay.
    """
    texts = {
        "label": parts.label,
        "stale": "STALE" if parts.stale else "",
        "updated": parts.updated,
        "next": parts.next,
        "rate": parts.rate,
        "count": parts.count,
        "hidden": parts.hidden,
    }

    def used() -> int:
        shown = [cell_len(text) + _PADDING.get(key, 0) for key, text in texts.items() if text]
        return sum(shown) + GAP * max(0, len(shown) - 1)

    for key in GIVE_WAY:
        forms = iter(parts.shorter.get(key, ()))
        while texts[key] and used() > width:
            texts[key] = next(forms, "")
        if used() <= width:
            break
    return texts


def _seconds_until(at: float, now: float) -> int:
    return max(0, math.ceil(at - now))


def _updated(status: PollStatus, now: float, tz: tzinfo | None) -> tuple[str, ...]:
    if status.updated_at is None or status.updated_wall is None:
        return ("connecting…" if not status.connected else "loading queues…",)
    clock = status.updated_wall.astimezone(tz).strftime("%H:%M:%S")
    age = fmt_age(now - status.updated_at)
    return f"updated {clock}, {age} ago", f"updated {age} ago", f"{age} ago"


def _next(status: PollStatus, now: float) -> tuple[str, ...]:
    if status.paused:
        return ("paused",)
    live = status.live
    if live is not None and live.mode == "push" and status.backoff is None:
        if live.last_event_at is None:
            return ("push · no event yet",)
        age = fmt_age(now - live.last_event_at)
        return f"push · last event {age} ago", f"push · {age} ago"
    if status.polling and status.backoff is None:
        return ("updating…",)
    if status.backoff is not None or status.next_poll_at is None:
        return ("",)
    countdown = f"next in {_seconds_until(status.next_poll_at, now)} s"
    if live is not None:
        polled = status.stretched_to or status.interval
        countdown = f"polling every {polled:g} s · {countdown}"
    if status.stretched_to is not None:
        every = f"every {status.stretched_to:.0f} s"
        return f"{countdown} ({every} to stay within the request budget)", f"{countdown} ({every})", countdown
    return (countdown,)


#: How the status bar says where the allowance comes from (Genesys no longer reports it).
_ALLOWANCE_WORDS = {"assumed": "assumed", "lowered": "lowered after a 429"}


def _rate(rate: RateStatus | None, allowance: Allowance | None) -> tuple[str, ...]:
    """``req 42/300 per min (assumed)``: requests in the last minute against the allowance."""
    if rate is None:
        return ("",)
    if allowance is None:
        return f"req {rate.last_minute} per min", f"req {rate.last_minute}"
    counted = f"req {rate.last_minute}/{allowance.per_minute}"
    return f"{counted} per min ({_ALLOWANCE_WORDS[allowance.basis]})", f"{counted} per min", counted


def _count(visible: int, total: int, media: str | None = None) -> str:
    noun = "queue" if total == 1 else "queues"
    count = f"{total} {noun}" if visible == total else f"{visible} of {total} {noun}"
    return f"{media} · {count}" if media else count


def _backoff(backoff: BackingOff, now: float) -> str:
    what = _KIND_WORDS.get(backoff.kind, backoff.message)
    remaining = _seconds_until(backoff.retry_at, now)
    when = f"retrying in {remaining} s" if remaining else "retrying now"
    return f"{what} — {when} (attempt {backoff.attempt})"


def _failure(failure: PollFailed, now: float) -> str:
    if failure.fatal:
        return f"{failure.message} — restart queuewatch once fixed"
    if failure.retry_at is None:
        return failure.message
    return f"{failure.message} — asking again in {fmt_age(failure.retry_at - now)}"


def _partial(failures: tuple[PartFailure, ...]) -> str:
    described = []
    for failure in failures:
        scope = f" for {len(failure.queue_ids)} queues" if failure.queue_ids else ""
        described.append(f"{failure.part} failed{scope}: {failure.message}")
    return "partial data — " + "; ".join(described)


def _problem(status: PollStatus, now: float) -> str:
    if status.backoff is not None:
        return _backoff(status.backoff, now)
    if status.failure is not None:
        return _failure(status.failure, now)
    if status.partial:
        return _partial(status.partial)
    live = status.live
    if live is not None and live.note:
        again = ""
        if live.push_again_at is not None:
            again = f"; trying push again in {fmt_age(max(0.0, live.push_again_at - now))}"
        return f"{live.note} — polling instead{again}"
    return ""


def _hidden(count: int) -> str:
    return f"{count} breaching hidden" if count > 0 else ""


def describe(
    status: PollStatus,
    now: float,
    visible: int,
    total: int,
    tz: tzinfo | None = None,
    media: str | None = None,
    *,
    hidden_breaching: int = 0,
) -> StatusParts:
    """The status bar's parts at ``now``; ``visible`` of ``total`` queues pass the filters (the name
    filter and, if any, the ``media`` type), which hide ``hidden_breaching`` queues in breach.
    Clock times are shown in ``tz`` (None: this machine's zone)."""
    updated, next_poll, rate = (
        _updated(status, now, tz),
        _next(status, now),
        _rate(status.rate, status.allowance),
    )
    hidden = _hidden(hidden_breaching) if status.updated_at is not None else ""
    return StatusParts(
        label=status.label,
        updated=updated[0],
        stale=status.stale(now),
        next=next_poll[0],
        rate=rate[0],
        count=_count(visible, total, media) if status.updated_at is not None else "",
        problem=_problem(status, now),
        problem_fatal=status.failure is not None and status.failure.fatal,
        hidden=hidden,
        shorter={
            "updated": updated[1:],
            "next": next_poll[1:],
            "rate": rate[1:],
            "hidden": (f"{hidden_breaching} hidden",) if hidden else (),
        },
    )
