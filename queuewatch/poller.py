"""The polling schedule: what to fetch when, how to back off, and what to tell the UI.

Plain threading, no Textual. ``Poller.run()`` blocks; the dashboard runs it in a thread worker and
the snapshot CLI's ``--watch`` runs it in the main thread. Everything the poller has to say goes
through ``emit`` as one of the events below; it never touches the UI itself.

Cadence: live observations every ``interval`` seconds, today's aggregates every ``today_every``,
the queue list every ``queues_every``. The next poll is armed only once the last one has ended,
so polls never overlap. If that cadence would spend more than ``budget_share`` of the request
allowance, all three are stretched by the same factor, and the UI is told. Genesys no longer
reports the allowance (the ``inin-ratelimit-*`` headers were removed in June 2021), so it is the
documented 300 requests per minute per token (``assumed_allowance``), lowered when a 429 shows the
real one to be smaller (``AllowanceEstimate``). Retries go through tenacity: a ``Retry-After`` is
honoured exactly, anything else backs off exponentially with full jitter, capped at ``max_backoff``
for throttling and at the live interval for outages (see ``_wait_backoff``). Credentials
and permission errors are not retried in a loop: they are reported, and tried again only after
``blocked_retry`` seconds.

The poller is the boundary for errors: an exception of any other type, at connect or during a
poll (a bug here, or something the adapter failed to translate), is caught, logged with its
traceback (the log redacts secrets), and reported as ``PollFailed(kind="internal")`` whose
message is ``unexpected <Type>: <one redacted line>``; the poller tries again after
``internal_retry`` seconds. Only ``KeyboardInterrupt`` and ``SystemExit`` pass through.

A source whose live figures come by push (``LiveReporting``, see ``queuewatch.push``) costs nothing
per live poll: the poller then fetches today's figures every ``push_today_every`` instead, plans the
budget with the source's own live cost, and polls as soon as the source says events arrived (at
most every ``push_min_gap``), besides every interval.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, stop_never
from tenacity.wait import wait_base, wait_random_exponential

from queuewatch.errors import ConfigError, PermissionMissing, RateLimited, SourceError
from queuewatch.model import (
    AgentActivity,
    PartFailure,
    QueueInfo,
    QueueStats,
    QueueToday,
    Snapshot,
    build_snapshot,
    keep_unchanged,
)
from queuewatch.redact import unexpected
from queuewatch.source import (
    DOCUMENTED_ALLOWANCE,
    LiveReporting,
    LiveState,
    PartResult,
    QueueSource,
    RateStatus,
)

T = TypeVar("T")
log = logging.getLogger(__name__)

MIN_INTERVAL = 1.0


@dataclass(frozen=True, slots=True)
class PollerSettings:
    interval: float = 5.0
    """Seconds between live polls (minimum 1)."""
    today_every: float = 30.0
    """Seconds between fetches of today's aggregates."""
    queues_every: float = 300.0
    """Seconds between fetches of the queue list."""
    max_backoff: float = 60.0
    """Cap of the exponential backoff, in seconds."""
    blocked_retry: float = 300.0
    """After a credentials or permission error, wait this long before asking again."""
    internal_retry: float = 60.0
    """After an unexpected error (a bug, or one the adapter did not translate), wait this long."""
    max_attempts: int | None = None
    """Give up a call after this many attempts (None: keep trying, as the dashboard does)."""
    budget_share: float = 0.9
    """Plan to spend at most this share of the per-minute request allowance."""
    assumed_allowance: int = DOCUMENTED_ALLOWANCE
    """Requests per minute per token to plan for. Genesys no longer reports it, so this is its
    documented default (the config file's ``requests_per_minute``)."""
    throttle_memory: float = 300.0
    """Seconds a lowered allowance (after a 429) holds without a further 429."""
    min_interval: float = MIN_INTERVAL
    """The shortest interval ``set_interval`` accepts (lowered only by accelerated soak runs)."""
    push_today_every: float = 60.0
    """Seconds between fetches of today's aggregates while live figures come by push."""
    push_min_gap: float = 0.5
    """By push, a new snapshot at most this often (and at least 1 s per 2,500 queues)."""


# --- the request allowance ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Allowance:
    """The requests per minute the cadence is planned against, and where the figure comes from:
    ``assumed`` (the documented allowance, or the configured one) or ``lowered`` (a 429 showed the
    real one to be smaller)."""

    per_minute: int = DOCUMENTED_ALLOWANCE
    basis: Literal["assumed", "lowered"] = "assumed"


#: The window Genesys counts requests over, in seconds.
BUDGET_WINDOW_S = 60.0


class RequestLedger:
    """The requests the poller made over the last minute, by when.

    The cadence is stretched so that it spends ``budget_share`` of the allowance *on average*;
    that alone is not enough, because the queue listing, today's aggregates and a live poll can
    land in the same minute (at 5,000 queues: 50 requests each, and the first minute has all
    three). The next poll is therefore also timed so that no minute holds more than the budget,
    the listing and the aggregates counted as well as the live figures.
    """

    def __init__(self, window: float = BUDGET_WINDOW_S) -> None:
        self.window = window
        self._made: deque[tuple[float, int]] = deque()

    def add(self, at: float, requests: int) -> None:
        if requests > 0:
            self._made.append((at, requests))

    def spent(self, now: float) -> int:
        """Requests made in the minute up to ``now``."""
        self._forget(now)
        return sum(count for _, count in self._made)

    def room_at(self, requests: int, budget: int, at: float) -> float:
        """The earliest time from ``at`` when ``requests`` more keep every minute within ``budget``.

        When ``requests`` alone exceed the budget, the time everything made so far stops counting.
        """
        self._forget(at - self.window)
        counting = [(when, count) for when, count in self._made if when > at - self.window]
        total = sum(count for _, count in counting)
        if total + requests <= budget:
            return at
        for when, count in counting:
            total -= count
            if total + requests <= budget:
                return when + self.window
        return counting[-1][0] + self.window

    def _forget(self, now: float) -> None:
        while self._made and self._made[0][0] <= now - self.window:
            self._made.popleft()


def within_budget(ledger: RequestLedger, at: float, cost: Callable[[float], int], budget: int) -> float:
    """The earliest time from ``at`` for a poll that costs ``cost(time)`` requests (more when the
    aggregates or the listing fall due with it) to keep every minute within ``budget``."""
    first = ledger.room_at(cost(at), budget, at)
    return first if cost(first) == cost(at) else ledger.room_at(cost(first), budget, first)


class AllowanceEstimate:
    """The allowance to plan against: the assumed one, until a 429 shows it is smaller.

    A 429 lowers it to the requests that got through in the minute before it, but never by more
    than half at a time: a 429 can also come from a limit that is not per minute
    (concurrent analytics queries, the org-wide allowance shared with other apps), and one of those
    must not freeze the dashboard. It returns to the assumed allowance once ``memory`` seconds pass
    without a 429. Times are the poller's clock. Not thread-safe: the poller's thread owns it.
    """

    def __init__(self, assumed: int, memory: float = 300.0) -> None:
        self.assumed = max(1, assumed)
        self.memory = memory
        self._lowered: int | None = None
        self._at = 0.0

    def current(self, now: float) -> Allowance:
        if self._lowered is None or now - self._at >= self.memory:
            return Allowance(self.assumed, "assumed")
        return Allowance(self._lowered, "lowered")

    def throttled(self, got_through: int, now: float) -> Allowance:
        """A 429 arrived when ``got_through`` requests of the last minute had not been refused;
        the allowance from now on."""
        current = self.current(now)
        estimate = max(1, got_through, math.ceil(current.per_minute / 2))
        if estimate < current.per_minute:
            self._lowered, self._at = estimate, now
        elif current.basis == "lowered":
            self._at = now
        return self.current(now)


# --- events ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Connecting:
    """The source is being set up (SDK import, first token)."""


@dataclass(frozen=True, slots=True)
class Connected:
    label: str
    timezone: str | None = None
    """The zone whose midnight starts "today" (the source's)."""


@dataclass(frozen=True, slots=True)
class PollStarted:
    """A poll began; the UI may show that it is updating."""


@dataclass(frozen=True, slots=True)
class SnapshotReceived:
    snapshot: Snapshot
    rate: RateStatus
    next_poll_at: float | None
    """``time.monotonic()`` value of the next poll, or None while paused."""
    allowance: Allowance = Allowance()
    """The allowance the cadence was planned against."""
    live: LiveState | None = None
    """How the live figures came (push or poll), when the source says."""


@dataclass(frozen=True, slots=True)
class BackingOff:
    """A call failed with a retryable error; the poller waits ``delay`` seconds and tries again."""

    part: str
    kind: str
    message: str
    delay: float
    attempt: int
    retry_at: float
    """``time.monotonic()`` value of the retry."""


@dataclass(frozen=True, slots=True)
class PollFailed:
    """A call failed in a way retrying will not fix soon (credentials, permissions, bad config)."""

    part: str
    kind: str
    message: str
    fatal: bool = False
    """True when the poller has stopped for good (nothing will change without a restart)."""
    retry_at: float | None = None


@dataclass(frozen=True, slots=True)
class Scheduled:
    """The next poll moved (interval changed, paused, resumed, refresh asked for)."""

    next_poll_at: float | None
    paused: bool
    interval: float
    """The interval asked for."""
    effective_interval: float | None = None
    """The interval in force, when the request budget stretched it; None when it did not."""


def budget_stretch(
    cost: int,
    settings: PollerSettings,
    interval: float,
    allowance: int,
    *,
    live_per_minute: float | None = None,
    today_every: float | None = None,
) -> float:
    """How much to stretch the cadence so it spends at most ``budget_share`` of ``allowance``.

    ``cost`` is the requests one live poll (or one aggregates fetch, or one listing) takes;
    ``live_per_minute``, when given, is what the live figures cost instead (push).
    Returns 1.0 when the cadence fits.
    """
    live = 60 * cost / interval if live_per_minute is None else live_per_minute
    today = today_every or settings.today_every
    per_minute = live + 60 * cost * (1 / today + 1 / settings.queues_every)
    budget = settings.budget_share * max(1, allowance)
    return max(1.0, per_minute / budget)


PollerEvent = Connecting | Connected | PollStarted | SnapshotReceived | BackingOff | PollFailed | Scheduled


class _Stopped(Exception):
    """Raised inside a backoff sleep when the poller is asked to stop."""


class _CallFailed(Exception):
    """A call gave up (not retryable, or out of attempts): which part, and the error."""

    def __init__(self, part: str, error: SourceError) -> None:
        super().__init__(error.message)
        self.part = part
        self.error = error


class _wait_backoff(wait_base):
    """How long to wait before trying a failed call again.

    - 429 with ``Retry-After``: exactly that.
    - 429 without it: exponential backoff with full jitter, capped at ``max_backoff``: the
      throttle is caused by load, so the load must drop.
    - Anything else (5xx, timeouts, dropped connections): the same, but capped at ``outage_cap()``
      (the live interval), because our load did not cause the outage and the picture must be fresh
      again within one interval of Genesys coming back.
    """

    def __init__(self, max_backoff: float, outage_cap: Callable[[], float] | None = None) -> None:
        self.throttled = wait_random_exponential(multiplier=1, max=max_backoff)
        self.max_backoff = max_backoff
        self.outage_cap = outage_cap

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, RateLimited):
            if error.retry_after is not None:
                return float(error.retry_after)
            return float(self.throttled(retry_state))
        cap = min(self.max_backoff, self.outage_cap()) if self.outage_cap else self.max_backoff
        return float(wait_random_exponential(multiplier=1, max=cap)(retry_state))


def backoff_wait(max_backoff: float = 60.0, outage_cap: Callable[[], float] | None = None) -> wait_base:
    """Retry-After when given, else exponential backoff with full jitter (see ``_wait_backoff``)."""
    return _wait_backoff(max_backoff, outage_cap)


def _retryable(error: BaseException) -> bool:
    return isinstance(error, SourceError) and error.retryable


#: ``PollFailed.kind`` of an error the poller did not expect (not a ``QueuewatchError``).
INTERNAL = "internal"


@dataclass
class _State:
    queues: list[QueueInfo] | None = None
    queues_due: float = 0.0
    today: Mapping[str, QueueToday] | None = None
    today_at: datetime | None = None
    today_failed: frozenset[str] = frozenset()
    today_due: float = 0.0
    today_errors: tuple[PartFailure, ...] = ()
    last: dict[str, QueueStats] = field(default_factory=dict)
    """The figures of the last snapshot, by queue id: unchanged queues are handed over as the same
    objects, so the UI can tell them by identity."""


class Poller:
    """Polls a ``QueueSource`` on a schedule and reports through ``emit``.

    ``connect`` builds the source; it runs in the poller's thread, so a slow import or the first
    token request never blocks the caller. ``clock`` (monotonic seconds) schedules polls and
    backoffs, and ``wait(event, seconds)`` is how the poller sleeps on it: it returns when
    ``event`` is set or ``seconds`` of ``clock`` time have passed (tests pass a fake clock's, so
    no test waits on the wall clock). ``wall_clock`` stamps the snapshots. Control methods
    (``stop``, ``refresh_now``, ``pause``, ``resume``, ``set_interval``) are safe to call from any
    thread. It is the dashboard's feed when it polls Genesys itself (``queuewatch.feed.Feed``).
    """

    kind: Literal["genesys"] = "genesys"

    def __init__(
        self,
        connect: Callable[[], QueueSource],
        emit: Callable[[PollerEvent], None],
        settings: PollerSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        wait: Callable[[threading.Event, float], bool] = threading.Event.wait,
    ) -> None:
        self._connect = connect
        self._emit = emit
        self.settings = settings or PollerSettings()
        self._interval = max(self.settings.min_interval, self.settings.interval)
        self._clock = clock
        self._wall = wall_clock
        self._wait = wait
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._paused = False
        self._refresh = False
        self._hold_until = 0.0
        """``clock()`` time before which Genesys asked not to be called (a 429's ``Retry-After``)."""
        self._state = _State()
        self._source: QueueSource | None = None
        self._stretch = 1.0
        self._ledger = RequestLedger()
        self._allowance = AllowanceEstimate(self.settings.assumed_allowance, self.settings.throttle_memory)
        self._watched: tuple[str, ...] = ()
        self._nudged = False
        self._push_gap: float | None = None

    # --- control, from any thread ------------------------------------------------------------------

    @property
    def interval(self) -> float:
        return self._interval

    @property
    def paused(self) -> bool:
        return self._paused

    def stop(self) -> None:
        """Stop polling; a call in flight is abandoned, a backoff wait ends at once."""
        self._stopping.set()
        self._wake.set()
        source = self._source
        if source is not None:
            source.close()

    def refresh_now(self) -> float | None:
        """Poll now: cut a backoff or the wait for the next poll short (and resume if paused).

        Not while Genesys has asked to wait (a 429's ``Retry-After``): a request then would only
        be refused again. The poll comes as soon as that wait is over, and the ``clock()`` time of
        it is returned; None when the poll is now.
        """
        with self._lock:
            self._refresh = True
            self._paused = False
            hold = self._hold_until
        self._wake.set()
        return hold if hold > self._clock() else None

    def pause(self) -> None:
        with self._lock:
            self._paused = True
        self._wake.set()

    def resume(self) -> None:
        with self._lock:
            self._paused = False
        self._wake.set()

    def watch_agents(self, queue_ids: Sequence[str]) -> None:
        """Fetch these queues' agents one by one with every live poll (the queue in detail);
        empty: none."""
        with self._lock:
            self._watched = tuple(queue_ids)

    def set_interval(self, seconds: float) -> float:
        """Change the live interval (clamped to at least one second); returns the new value."""
        with self._lock:
            self._interval = max(self.settings.min_interval, float(seconds))
        self._wake.set()
        return self._interval

    def nudge(self) -> None:
        """New live figures arrived (push): poll soon, if ``push_min_gap`` has passed. Any thread."""
        with self._lock:
            self._nudged = True
        self._wake.set()

    def state_line(self) -> str:
        """One line on where the poller is, for a diagnostic report (any thread may ask)."""
        with self._lock:
            paused, interval, refresh = self._paused, self._interval, self._refresh
            held = max(0.0, self._hold_until - self._clock())
        source = self._source
        return (
            f"source={source.label if source is not None else 'connecting'} paused={paused} "
            f"interval={interval:g}s stretch={self._stretch:.2f} refresh_asked={refresh} "
            f"retry_after_left={held:.0f}s "
            f"stopping={self._stopping.is_set()} wake_set={self._wake.is_set()} "
            f"queues={len(self._state.queues) if self._state.queues is not None else 'none'}"
        )

    # --- the loop -----------------------------------------------------------------------------------

    def run(self, *, once: bool = False) -> None:
        """Connect, then poll until ``stop()`` (or after one poll if ``once``).

        Never raises: whatever goes wrong is emitted as an event, and the loop carries on.
        """
        source: QueueSource | None = None
        try:
            self._emit(Connecting())
            source = self._connect_until_done(once)
            if source is None:
                return
            self._source = source
            if isinstance(source, LiveReporting):
                source.set_wakeup(self.nudge)
            self._emit(Connected(source.label, source.timezone))
            while not self._stopping.is_set():
                try:
                    not_before = self._poll(source)
                except _Stopped:
                    raise
                except Exception as error:
                    log.error("poll failed unexpectedly", exc_info=error)
                    not_before = None if once else self._clock() + self.settings.internal_retry
                    failed = PollFailed("poll", INTERNAL, unexpected(error), fatal=once, retry_at=not_before)
                    self._emit(failed)
                if not_before is None or once:
                    return
                self._sleep_until(not_before)
        except _Stopped:
            return
        finally:
            if source is not None:
                self._close(source)

    @staticmethod
    def _close(source: QueueSource) -> None:
        try:
            source.close()
        except Exception as error:
            log.error("closing the source failed", exc_info=error)

    def _connect_until_done(self, once: bool) -> QueueSource | None:
        while not self._stopping.is_set():
            try:
                return self._with_retries("connect", self._connect)
            except _CallFailed as failed:
                error = failed.error
                retry_at = None if once else self._clock() + self.settings.blocked_retry
                self._emit(PollFailed("connect", error.kind, error.message, fatal=once, retry_at=retry_at))
            except ConfigError as error:
                self._emit(PollFailed("connect", "config", error.message, fatal=True))
                return None
            except _Stopped:
                raise
            except Exception as error:
                log.error("connecting failed unexpectedly", exc_info=error)
                retry_at = None if once else self._clock() + self.settings.internal_retry
                self._emit(PollFailed("connect", INTERNAL, unexpected(error), fatal=once, retry_at=retry_at))
            if retry_at is None:
                return None
            self._sleep_until(retry_at)
        return None

    def _poll(self, source: QueueSource) -> float | None:
        """One poll. Returns the earliest monotonic time of the next one, or None to stop."""
        self._emit(PollStarted())
        with self._lock:
            self._nudged = False
        state = self._state
        now = self._clock()
        not_before = now
        try:
            if state.queues is None or now >= state.queues_due:
                queues = self._with_retries("queues", source.list_queues)
                if queues is None:
                    return None
                self._ledger.add(self._clock(), source.cost(len(queues)))
                state.queues = queues
                state.queues_due = self._clock() + self.settings.queues_every * self._stretch
            queues = state.queues
            live = self._with_retries("observations", lambda: source.observe(queues))
            self._ledger.add(self._clock(), source.cost(len(queues)))
            if live is None:
                return None
            taken_at = self._wall()
            live_state = source.live_state() if isinstance(source, LiveReporting) else None
            push = live_state is not None and live_state.mode == "push"
            today_every = self.settings.push_today_every if push else self.settings.today_every
            if now >= state.today_due:
                self._fetch_today(source, queues, today_every)
                self._ledger.add(self._clock(), source.cost(len(queues)))
        except _CallFailed as failed:
            retry_at = self._clock() + max(self.settings.blocked_retry, self._interval)
            self._emit(PollFailed(failed.part, failed.error.kind, failed.error.message, retry_at=retry_at))
            return retry_at
        except ConfigError as error:
            self._emit(PollFailed("config", "config", error.message, fatal=True))
            return None

        activity, activity_errors = self._agent_activity(source)
        errors = [*self._failures("observations", live), *state.today_errors, *activity_errors]
        limited = [f.error for f in live.failures if isinstance(f.error, RateLimited)]
        if limited:
            self._note_throttled()
        for throttle in limited:
            if throttle.retry_after is not None:
                not_before = max(not_before, self._clock() + throttle.retry_after)
        with self._lock:
            self._hold_until = max(self._hold_until, not_before)
        missing = [q.id for q in queues if q.id not in live.values and q.id not in live.failed_ids]
        if missing:
            # The API said nothing about these queues: most likely deleted since the last listing.
            state.queues_due = 0.0
        snapshot = build_snapshot(
            queues,
            live.values,
            state.today,
            taken_at=taken_at,
            errors=errors,
            today_at=state.today_at,
            today_failed=state.today_failed,
            agent_activity=activity,
        )
        snapshot = keep_unchanged(snapshot, state.last)
        state.last = {q.id: q for q in snapshot.queues}
        rate = source.rate_status()
        allowance = self._allowance.current(self._clock())
        self._stretch = budget_stretch(
            source.cost(len(queues)),
            self.settings,
            self._interval,
            allowance.per_minute,
            live_per_minute=live_state.requests_per_minute if push and live_state is not None else None,
            today_every=today_every,
        )
        self._push_gap = max(self.settings.push_min_gap, len(queues) / 2500) if push else None
        next_at = max(not_before, self._clock() + self._interval * self._stretch)
        self._emit(SnapshotReceived(snapshot, rate, None if self._paused else next_at, allowance, live_state))
        return not_before

    def _note_throttled(self) -> None:
        """A 429 arrived: lower the allowance the cadence is planned against."""
        source = self._source
        if source is not None:
            rate = source.rate_status()
            self._allowance.throttled(rate.last_minute - rate.refused_last_minute, self._clock())

    def _agent_activity(
        self, source: QueueSource
    ) -> tuple[Mapping[str, tuple[AgentActivity, ...]], list[PartFailure]]:
        """The watched queues' agents, tried once: a failure leaves them out of this snapshot (and
        says so), never holds up the queues' figures."""
        with self._lock:
            watched = self._watched
        if not watched:
            return {}, []
        self._ledger.add(self._clock(), len(watched))
        try:
            result = source.agent_activity(watched)
        except SourceError as error:
            if isinstance(error, RateLimited):
                self._note_throttled()
            return {}, [PartFailure("agents", error.kind, error.message, watched)]
        return result.values, self._failures("agents", result)

    def _fetch_today(self, source: QueueSource, queues: Sequence[QueueInfo], every: float) -> None:
        state = self._state
        state.today_due = self._clock() + every * self._stretch
        try:
            today = self._with_retries("aggregates", lambda: source.today(queues))
        except _CallFailed as failed:
            if not isinstance(failed.error, PermissionMissing):
                raise
            error = failed.error
            # Live figures still work: show them, say what is missing, ask again much later.
            state.today_due = self._clock() + self.settings.blocked_retry
            state.today, state.today_at, state.today_failed = None, None, frozenset()
            state.today_errors = (PartFailure("aggregates", error.kind, error.message),)
            return
        if today is None:
            return
        if any(isinstance(f.error, RateLimited) for f in today.failures):
            self._note_throttled()
        state.today = today.values
        state.today_at = self._wall()
        state.today_failed = today.failed_ids
        state.today_errors = tuple(self._failures("aggregates", today))

    @staticmethod
    def _failures(part: str, result: PartResult[T]) -> list[PartFailure]:
        return [PartFailure(part, f.error.kind, f.error.message, tuple(f.queue_ids)) for f in result.failures]

    def _with_retries(self, part: str, call: Callable[[], T]) -> T | None:
        """Run ``call`` with backoff on retryable errors. None when stopped while waiting."""

        def before_sleep(rs: RetryCallState) -> None:
            error = rs.outcome.exception() if rs.outcome is not None else None
            delay = rs.upcoming_sleep
            kind = error.kind if isinstance(error, SourceError) else "error"
            message = str(error) if error is not None else "failed"
            if isinstance(error, RateLimited):
                self._note_throttled()
            if isinstance(error, RateLimited) and error.retry_after is not None:
                with self._lock:
                    self._hold_until = self._clock() + delay
            self._emit(BackingOff(part, kind, message, delay, rs.attempt_number, self._clock() + delay))

        attempts = self.settings.max_attempts
        retrying = Retrying(
            retry=retry_if_exception(_retryable),
            stop=stop_after_attempt(attempts) if attempts else stop_never,
            wait=backoff_wait(self.settings.max_backoff, lambda: self._interval),
            sleep=self._backoff_sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            return retrying(call)
        except _Stopped:
            return None
        except SourceError as error:
            if isinstance(error, RateLimited):
                self._note_throttled()
            raise _CallFailed(part, error) from error

    def _backoff_sleep(self, seconds: float) -> None:
        deadline = self._clock() + seconds
        while True:
            if self._stopping.is_set():
                raise _Stopped
            remaining = deadline - self._clock()
            with self._lock:
                refresh, self._refresh = self._refresh, False
                held = self._clock() < self._hold_until  # the wait is a Retry-After: refresh cannot cut it
            if remaining <= 0 or (refresh and not held):
                return
            if refresh:  # say when the poll asked for will come instead
                stretched = self._interval * self._stretch if self._stretch > 1 else None
                self._emit(Scheduled(deadline, False, self._interval, stretched))
            self._wait(self._wake, min(remaining, 1.0))
            self._wake.clear()

    def _within_budget(self, at: float) -> float:
        """``at``, or later if the poll due then would make a minute hold more requests than the
        budget (``budget_share`` of the allowance), counting the parts due with it."""
        source, queues = self._source, self._state.queues
        if source is None or queues is None:
            return at
        budget = int(self.settings.budget_share * self._allowance.current(self._clock()).per_minute)
        state, per_part, watched = self._state, source.cost(len(queues)), len(self._watched)

        def cost(when: float) -> int:
            return per_part * (1 + (when >= state.today_due) + (when >= state.queues_due)) + watched

        return within_budget(self._ledger, at, cost, budget)

    def _sleep_until(self, not_before: float) -> None:
        """Wait for the next poll: ``interval`` after the last one ended, never before ``not_before``.

        Honours pause, refresh-now and interval changes made while waiting; a refresh asked for
        while Genesys has asked to wait comes when that wait is over. By push, comes back early
        once events have arrived and ``push_min_gap`` has passed.
        """
        ended = self._clock()
        last: Scheduled | None = None
        while not self._stopping.is_set():
            with self._lock:
                hold, refresh = self._hold_until, self._refresh
                if refresh and self._clock() >= hold:
                    self._refresh = False
                    return
                paused, interval, nudged = self._paused, self._interval, self._nudged
            effective = interval * self._stretch
            due = None if paused else self._within_budget(max(ended + effective, not_before))
            if refresh:  # as soon as Genesys allows, and the request budget
                soonest = self._within_budget(max(not_before, hold))
                due = soonest if due is None else min(due, soonest)
            scheduled = Scheduled(due, paused, interval, effective if self._stretch > 1 else None)
            if scheduled != last:
                last = scheduled
                self._emit(scheduled)
            now = self._clock()
            if due is not None and now >= due:
                with self._lock:
                    self._refresh = False  # this poll is the one asked for
                return
            early = None
            if nudged and due is not None and self._push_gap is not None:
                early = max(ended + self._push_gap, not_before)
                if now >= early:
                    return
            wait = 1.0 if due is None else min(1.0, due - now, early - now if early is not None else 1.0)
            self._wait(self._wake, wait)
            self._wake.clear()
