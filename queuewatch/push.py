"""Live figures by push: queue observation events over the Notifications API, polling as the fallback.

:class:`PushSource` is a ``QueueSource`` wrapped around the REST adapter (``GenesysSource``). The
queue listing and today's aggregates still come from REST; live figures come from
``v2.analytics.queues.{id}.observations`` events (``queuewatch.events``), folded per queue into
memory by one reader thread per channel, so ``observe()`` answers from memory without a request.

Everything that changes the channels happens inside ``observe()``, in the poller's thread, so the
poller's schedule and backoff rules apply to it unchanged (a failed channel creation is retried
like a failed query, ``Retry-After`` and all), and nothing else talks to Genesys:

- channels for every visible queue, :attr:`PushSettings.topics_per_channel` (1,000) topics each
  (5,000 queues = 5 channels), at most :attr:`~PushSettings.max_channels` (20);
- subscriptions kept in step with the queue listing: a queue added is subscribed (on a channel with
  room, or a new one), a queue removed is unsubscribed; a rename changes nothing (topics go by id);
- after every (re)connect, one observation query for that channel's queues (the *resync*), so
  nothing is missed between subscribing and the first event; an event that arrives while it runs
  wins over its reply;
- a heartbeat watchdog: with nothing on ``channel.metadata`` for one heartbeat period a ping is
  sent, for two the channel is dropped and replaced;
- a dropped socket, a channel near its 24-hour end (:attr:`~PushSettings.renew_before_s`) or a
  ``v2.system.socket_closing`` are met with a new channel, subscribed, connected and resynced
  before the old one is closed, so the screen has no gap.

The events as the SDK models them carry conversation figures only (no routing statuses), so a
*periodic* resync also refreshes the agent columns and heals anything a lost event left wrong:
every :attr:`~PushSettings.resync_every` seconds, by default as often as 50 requests a minute allow
and at most every 15 s (5,000 queues: every 60 s). Set it to 0 to resync only on (re)connects.

Modes: ``push`` never polls for live figures (a failure is raised to the poller, which backs off
and says so); ``auto`` falls back to polling when channels cannot be had (refused, permission
missing, more queues than channels can hold) or the socket has failed
:attr:`~PushSettings.failures_to_fall_back` times within :attr:`~PushSettings.failure_window_s`, says
so through :meth:`PushSource.live_state`, and tries push again after
:attr:`~PushSettings.push_again_s`.

A bad message (malformed, unknown, hostile) is counted, logged once per kind, and skipped; nothing
from a message can stop a reader thread.

The WebSocket client is ``websockets`` (its threaded ``websockets.sync.client``): see README's
dependency table and ``bench/websocket_clients.py`` for why.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol
from urllib.parse import urlsplit

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI, WebSocketException
from websockets.sync.client import ClientConnection, connect

from queuewatch.errors import BadResponse, PermissionMissing, SourceError, Unavailable
from queuewatch.events import (
    MAX_MESSAGE_BYTES,
    PING,
    BadEvent,
    Heartbeat,
    QueueObserved,
    SocketClosing,
    parse_message,
    queue_topic,
)
from queuewatch.model import AgentActivity, Agents, Live, QueueInfo, QueueLive, QueueToday, live_total
from queuewatch.regions import is_loopback
from queuewatch.source import (
    BatchFailure,
    ChannelInfo,
    LiveState,
    NotificationChannels,
    PartResult,
    QueueSource,
    RateStatus,
)

log = logging.getLogger(__name__)
#: websockets' own connection log: only its warnings reach the log file.
_WS_LOG = logging.getLogger("queuewatch.push.websocket")
_WS_LOG.setLevel(logging.WARNING)


@dataclass(frozen=True, slots=True)
class PushSettings:
    mode: Literal["auto", "push"] = "auto"
    """``push``: live figures only by push; ``auto``: fall back to polling when push fails."""
    topics_per_channel: int = 1000
    """Topics (queues) per channel: Genesys allows 1,000."""
    max_channels: int = 20
    """Channels per OAuth client: Genesys allows 20 (a 21st replaces the oldest unconnected one)."""
    heartbeat_s: float = 30.0
    """Genesys's heartbeat period: a ping after one silent period, a new channel after two."""
    renew_before_s: float = 600.0
    """Replace a channel this long before its 24-hour end."""
    resync_every: float | None = None
    """Seconds between full observation queries (agents, and healing); None: automatic; 0: only on connect."""
    resync_budget: float = 50.0
    """Requests a minute the automatic resync cadence may spend."""
    min_resync_every: float = 15.0
    """The automatic resync cadence is never shorter than this."""
    failures_to_fall_back: int = 3
    """``auto``: socket failures within ``failure_window_s`` before polling takes over."""
    failure_window_s: float = 300.0
    push_again_s: float = 300.0
    """``auto``: while polling, try push again after this long."""
    connect_timeout: float = 10.0
    """Seconds to open a WebSocket."""


class PushAdapter(QueueSource, NotificationChannels, Protocol):
    """What the push source needs of the REST adapter (``GenesysSource`` is one)."""


class Socket(Protocol):
    """The part of a WebSocket client connection the push source uses."""

    def recv(self, timeout: float | None = None) -> str | bytes: ...

    def send(self, message: str) -> None: ...

    def close(self) -> None: ...


def open_socket(uri: str, timeout: float) -> Socket:
    """Open a WebSocket with ``websockets``' threaded client. Raises ``Unavailable``."""
    try:
        return _connect(uri, timeout)
    except (InvalidHandshake, InvalidURI, WebSocketException, OSError, TimeoutError) as error:
        host = urlsplit(uri).netloc or "the notification service"
        raise Unavailable(f"cannot open the notification WebSocket at {host}: {_first_line(error)}") from None


def _connect(uri: str, timeout: float) -> ClientConnection:
    return connect(
        uri,
        open_timeout=timeout,
        close_timeout=2,
        max_size=MAX_MESSAGE_BYTES * 4,
        proxy=None,
        logger=_WS_LOG,
        legacy=True,
    )


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__


class ChannelRefused(SourceError):
    """Channels cannot be had (refused, permission missing, more queues than channels hold)."""

    kind = "push_refused"


class ChannelLost(Unavailable):
    """A channel's socket closed or fell silent, and a new one could not be had yet."""

    kind = "push_lost"


# --- per-queue memory -----------------------------------------------------------------------------


@dataclass
class _Media:
    waiting: int = 0
    interacting: int = 0
    alerting: int = 0
    oldest: float | None = None
    """Epoch seconds the oldest waiting conversation started waiting; None: unknown or none waits."""
    oldest_known: bool = True


@dataclass
class _Queue:
    media: dict[str, _Media] = field(default_factory=dict)
    agents: Agents = field(default_factory=Agents)
    members: int | None = None
    detail: tuple[tuple[str, str, float], ...] = ()
    """Waiting conversations of the last resync: (id, media, epoch seconds waiting since)."""
    detail_valid: bool = False
    conversations_at: float = -math.inf
    """``clock()`` of the last event that set conversation figures."""
    agents_at: float = -math.inf
    known: bool = False

    def fold(self, event: QueueObserved, now: float) -> None:
        for name, observed in event.media.items():
            media = self.media.setdefault(name, _Media())
            waiting_before = media.waiting
            if observed.waiting is not None:
                media.waiting = observed.waiting
            if observed.interacting is not None:
                media.interacting = observed.interacting
            if observed.alerting is not None:
                media.alerting = observed.alerting
            if observed.oldest_waiting_at is not None:
                media.oldest, media.oldest_known = observed.oldest_waiting_at, True
            elif media.waiting == 0:
                media.oldest, media.oldest_known = None, True
            elif waiting_before == 0:
                # Someone waits now, and the event did not say since when.
                media.oldest, media.oldest_known = None, False
        if event.media:
            self.conversations_at = now
            self.detail_valid = False
        if event.agents is not None:
            self.agents, self.agents_at = event.agents, now
        if event.members is not None:
            self.members = event.members
        self.known = self.known or bool(event.media)

    def resynced(self, live: QueueLive, started: float, wall: float) -> None:
        if self.conversations_at < started:
            self.media = {
                name: _Media(
                    waiting=figures.waiting or 0,
                    interacting=figures.interacting or 0,
                    alerting=figures.alerting or 0,
                    oldest=wall - figures.longest_wait_s
                    if figures.waiting and figures.longest_wait_s is not None
                    else None,
                    oldest_known=not figures.waiting or figures.longest_wait_s is not None,
                )
                for name, figures in live.by_media.items()
            }
            self.detail = tuple((cid, media, wall - secs) for cid, media, secs in live.waiting_detail)
            self.detail_valid = True
        if self.agents_at < started:
            self.agents = live.agents
            self.members = live.members
        self.known = True

    def live(self, wall: float) -> QueueLive:
        by_media: dict[str, Live] = {}
        for name, media in self.media.items():
            longest: float | None = 0.0
            if media.waiting:
                longest = max(0.0, wall - media.oldest) if media.oldest is not None else None
            by_media[name] = Live(media.waiting, longest, media.interacting, media.alerting)
        total = live_total(by_media)
        detail: tuple[tuple[str, str, float], ...] = ()
        if self.detail_valid:
            detail = tuple((cid, media, max(0.0, wall - since)) for cid, media, since in self.detail)
        return QueueLive(total, self.agents, self.members, by_media, detail)


# --- one channel and its socket -------------------------------------------------------------------


class _Channel:
    """One notification channel: its topics (by queue id), its socket, and the thread reading it."""

    def __init__(self, info: ChannelInfo, queue_ids: Iterable[str], now: float) -> None:
        self.info = info
        self.queue_ids: set[str] = set(queue_ids)
        self.socket: Socket | None = None
        self.thread: threading.Thread | None = None
        self.last_metadata = now
        self.pinged_at: float | None = None
        self.closing = False
        """``v2.system.socket_closing`` arrived: replace this channel."""
        self.lost: str | None = None
        """Why the socket ended, once it has (set by the reader)."""
        self.retired = False
        """We closed it on purpose (replaced, or the source is closing)."""

    def close(self) -> None:
        self.retired = True
        socket = self.socket
        if socket is not None:
            try:
                socket.close()
            except Exception as error:  # noqa: BLE001 - closing a broken socket may fail in any way
                log.debug("closing a channel's socket: %s", error)


# --- the source -----------------------------------------------------------------------------------


class PushSource:
    """Live figures by push (see the module docstring). Thread-safe as the poller uses it."""

    def __init__(
        self,
        inner: PushAdapter,
        settings: PushSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        open_socket: Callable[[str, float], Socket] = open_socket,
    ) -> None:
        self.inner = inner
        self.settings = settings or PushSettings()
        self.label = inner.label
        self.timezone = inner.timezone
        self._clock = clock
        self._wall = wall_clock
        self._open_socket = open_socket
        self._lock = threading.Lock()
        self._queues: dict[str, _Queue] = {}
        self._channels: list[_Channel] = []
        self._needs_resync: set[str] = set()
        self._resync_due = -math.inf
        self._mode: Literal["push", "poll"] = "push"
        self._note = ""
        self._push_again_at: float | None = None
        self._failures: deque[float] = deque()
        self._wakeup: Callable[[], None] | None = None
        self._events = 0
        self._bad = 0
        self._bad_logged: set[str] = set()
        self._last_event_at: float | None = None
        self._closed = False
        self._resync_every = self.settings.min_resync_every

    def __repr__(self) -> str:
        return f"PushSource(label={self.label!r}, mode={self.settings.mode!r})"

    # --- QueueSource --------------------------------------------------------------------------------

    def list_queues(self) -> list[QueueInfo]:
        return self.inner.list_queues()

    def today(self, queues: Sequence[QueueInfo]) -> PartResult[QueueToday]:
        return self.inner.today(queues)

    def agent_activity(self, queue_ids: Sequence[str]) -> PartResult[tuple[AgentActivity, ...]]:
        """Agents one by one, for the detail screen: not in the events, so from REST."""
        return self.inner.agent_activity(queue_ids)

    def rate_status(self) -> RateStatus:
        return self.inner.rate_status()

    def cost(self, queues: int) -> int:
        """Requests one listing or aggregates fetch takes (live figures: see ``live_state``)."""
        return self.inner.cost(queues)

    def observe(self, queues: Sequence[QueueInfo]) -> PartResult[QueueLive]:
        if self._closed:
            raise Unavailable("the connection to Genesys Cloud is closed")
        self._resync_every = self._resync_cadence(len(queues))
        if self._mode == "poll":
            self._maybe_push_again(queues)
            if self._mode == "poll":
                return self.inner.observe(queues)
        try:
            self._maintain(queues)
        except SourceError as error:
            if not isinstance(error, ChannelLost):
                self._failed(error.message)
            if self.settings.mode == "auto" and self._gives_up(error):
                self._fall_back(error)
                return self.inner.observe(queues)
            raise
        return self._answer(queues)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            channels, self._channels = self._channels, []
        for channel in channels:
            channel.close()
        self.inner.close()

    # --- LiveReporting ------------------------------------------------------------------------------

    def live_state(self) -> LiveState:
        with self._lock:
            per_minute = 0.0
            if self._mode == "push" and self._resync_every > 0 and self._queues:
                per_minute = 60.0 * self.inner.cost(len(self._queues)) / self._resync_every
            return LiveState(
                mode=self._mode,
                last_event_at=self._last_event_at,
                note=self._note,
                requests_per_minute=per_minute,
                events=self._events,
                bad_events=self._bad,
                push_again_at=self._push_again_at,
                heartbeat_at=min((c.last_metadata for c in self._channels), default=None),
            )

    def set_wakeup(self, wakeup: Callable[[], None]) -> None:
        self._wakeup = wakeup

    # --- modes ----------------------------------------------------------------------------------------

    def _gives_up(self, error: SourceError) -> bool:
        """``auto``: does this failure mean polling should take over?"""
        if isinstance(error, ChannelRefused | PermissionMissing):
            return True
        if isinstance(error, BadResponse) and error.status is not None and 400 <= error.status < 500:
            return True
        return len(self._failures) >= self.settings.failures_to_fall_back

    def _fall_back(self, error: SourceError) -> None:
        log.warning("push unavailable, polling instead: %s", error.message)
        self._drop_channels()
        with self._lock:
            self._mode = "poll"
            self._note = f"push unavailable: {error.message}"
            self._push_again_at = self._clock() + self.settings.push_again_s
            self._queues.clear()

    def _maybe_push_again(self, queues: Sequence[QueueInfo]) -> None:
        if self.settings.mode != "auto" or self._push_again_at is None or self._clock() < self._push_again_at:
            return
        with self._lock:
            self._mode, self._failures = "push", deque()
        try:
            self._maintain(queues)
        except SourceError as error:
            self._fall_back(error)
            return
        log.info("push available again")
        with self._lock:
            self._note, self._push_again_at = "", None

    def _failed(self, why: str) -> None:
        now = self._clock()
        self._failures.append(now)
        while self._failures and self._failures[0] < now - self.settings.failure_window_s:
            self._failures.popleft()
        log.warning("push: %s", why)

    # --- keeping the channels in step -----------------------------------------------------------------

    def _maintain(self, queues: Sequence[QueueInfo]) -> None:
        now, wall = self._clock(), self._wall()
        lost: list[str] = []
        for channel in list(self._channels):
            reason = channel.lost
            silent = now - channel.last_metadata
            if reason is None and silent >= 2 * self.settings.heartbeat_s:
                reason = f"no heartbeat for {silent:.1f} s"
            if reason is not None:
                self._remove(channel)
                self._failed(reason)
                lost.append(reason)
            elif silent >= self.settings.heartbeat_s and channel.pinged_at is None and channel.socket:
                channel.pinged_at = now
                try:
                    channel.socket.send(PING)
                except (ConnectionClosed, WebSocketException, OSError, RuntimeError) as error:
                    channel.lost = f"ping failed: {_first_line(error)}"
        if (
            lost
            and self.settings.mode == "auto"
            and len(self._failures) >= self.settings.failures_to_fall_back
        ):
            raise ChannelLost(
                f"the notification socket failed {len(self._failures)} times in "
                f"{self.settings.failure_window_s:g} s (last: {lost[-1]})"
            )
        ending = [
            c
            for c in self._channels
            if c.closing
            or (c.info.expires_at is not None and wall >= c.info.expires_at - self.settings.renew_before_s)
        ]
        for channel in ending:
            self._replace(channel)
        wanted = {q.id: q for q in queues}
        self._unsubscribe(set(self._assigned()) - set(wanted))
        missing = [q for q in wanted if q not in self._assigned()]
        if missing:
            try:
                self._subscribe(missing)
            except SourceError as error:
                if lost:
                    raise ChannelLost(f"notification channel lost ({lost[0]}): {error.message}") from None
                raise

    def _assigned(self) -> dict[str, _Channel]:
        return {queue_id: c for c in self._channels for queue_id in c.queue_ids}

    def _subscribe(self, queue_ids: list[str]) -> None:
        """Put these queues on channels with room, or on new ones."""
        per = max(1, self.settings.topics_per_channel)
        pending = list(queue_ids)
        for channel in self._channels:
            room = per - len(channel.queue_ids)
            if room > 0 and pending and not channel.closing:
                chosen, pending = pending[:room], pending[room:]
                self._put_topics(channel, channel.queue_ids | set(chosen))
                channel.queue_ids |= set(chosen)
                self._resync(chosen)
        while pending:
            if len(self._channels) >= self.settings.max_channels:
                raise ChannelRefused(
                    f"{len(queue_ids) + sum(len(c.queue_ids) for c in self._channels)} queues need more than "
                    f"{self.settings.max_channels} channels of {per} topics"
                )
            chosen, pending = pending[:per], pending[per:]
            self._add(self._open(chosen))

    def _unsubscribe(self, queue_ids: set[str]) -> None:
        if not queue_ids:
            return
        for channel in list(self._channels):
            gone = channel.queue_ids & queue_ids
            if not gone:
                continue
            keep = channel.queue_ids - gone
            if keep:
                self._put_topics(channel, keep)
                channel.queue_ids = keep
            else:
                self._remove(channel)
        with self._lock:
            for queue_id in queue_ids:
                self._queues.pop(queue_id, None)
        self._needs_resync -= queue_ids

    def _open(self, queue_ids: Sequence[str]) -> _Channel:
        """Create a channel for these queues, subscribe, connect, and start reading it."""
        try:
            info = self.inner.create_channel()
        except BadResponse as error:
            if error.status is not None and 400 <= error.status < 500:
                raise ChannelRefused(
                    f"Genesys Cloud refused a notification channel: {error.message}"
                ) from None
            raise
        except PermissionMissing as error:
            raise ChannelRefused(f"Genesys Cloud refused a notification channel: {error.message}") from None
        _check_uri(info.connect_uri)
        channel = _Channel(info, queue_ids, self._clock())
        self._put_topics(channel, set(queue_ids))
        channel.socket = self._open_socket(info.connect_uri, self.settings.connect_timeout)
        channel.last_metadata = self._clock()
        reader = threading.Thread(
            target=self._read, args=(channel,), name=f"queuewatch-push-{info.id[:8]}", daemon=True
        )
        channel.thread = reader
        reader.start()
        self._resync(queue_ids)
        return channel

    def _put_topics(self, channel: _Channel, queue_ids: set[str]) -> None:
        states = self.inner.subscribe(channel.info.id, [queue_topic(q) for q in sorted(queue_ids)])
        missing = sorted({p for s in states if not s.permitted for p in s.missing_permissions})
        if missing:
            raise PermissionMissing(missing[0], "the queue observation topic")
        refused = [s for s in states if not s.permitted]
        if refused and len(refused) == len(states):
            reason = refused[0].reason or "no reason given"
            raise ChannelRefused(f"Genesys Cloud refused every queue topic ({reason})")
        for state in refused:
            self._bad_event("refused", f"topic {state.topic}: {state.reason or 'refused'}")

    def _replace(self, old: _Channel) -> None:
        """A new channel for ``old``'s queues, connected and resynced before ``old`` is closed."""
        why = "socket closing" if old.closing else "channel ending"
        try:
            new = self._open(sorted(old.queue_ids))
        except SourceError as error:
            log.warning("could not replace a channel (%s) yet: %s", why, error.message)
            return
        log.info("channel replaced (%s)", why)
        self._add(new)
        self._remove(old)

    def _add(self, channel: _Channel) -> None:
        with self._lock:
            closed = self._closed
            if not closed:
                self._channels.append(channel)
        if closed:
            channel.close()  # the source closed while this channel was being opened

    def _remove(self, channel: _Channel) -> None:
        with self._lock:
            self._channels = [c for c in self._channels if c is not channel]
        channel.close()

    def _drop_channels(self) -> None:
        with self._lock:
            channels, self._channels = self._channels, []
        for channel in channels:
            channel.close()
        self._needs_resync.clear()

    # --- resync and the answer ------------------------------------------------------------------------

    def _resync(self, queue_ids: Iterable[str]) -> None:
        self._needs_resync.update(queue_ids)

    def _resync_cadence(self, queues: int) -> float:
        every = self.settings.resync_every
        if every is not None:
            return every
        per_resync = self.inner.cost(max(1, queues))
        return max(self.settings.min_resync_every, 60.0 * per_resync / max(1.0, self.settings.resync_budget))

    def _answer(self, queues: Sequence[QueueInfo]) -> PartResult[QueueLive]:
        now = self._clock()
        periodic = self._resync_every > 0 and now >= self._resync_due
        needed = any(q.id in self._needs_resync for q in queues)
        pending = [q for q in queues if periodic or q.id in self._needs_resync]
        failures: tuple[BatchFailure, ...] = ()
        if pending:
            started = self._clock()
            try:
                result = self.inner.observe(pending)
            except SourceError as error:
                if needed or not error.retryable:
                    raise
                # Only the periodic resync failed: the events still flow; try again next period.
                log.warning("periodic resync failed (figures by push go on): %s", error.message)
                self._resync_due = now + self._resync_every
                result = PartResult()
            wall = self._wall()
            with self._lock:
                for queue_id, live in result.values.items():
                    self._queues.setdefault(queue_id, _Queue()).resynced(live, started, wall)
            failed = result.failed_ids
            self._needs_resync -= {q.id for q in pending if q.id not in failed}
            if periodic:
                self._resync_due = now + self._resync_every
            failures = result.failures
        wall = self._wall()
        with self._lock:
            values = {
                q.id: state.live(wall)
                for q in queues
                if (state := self._queues.get(q.id)) is not None and state.known
            }
        return PartResult(values, failures)

    # --- the reader threads -----------------------------------------------------------------------------

    def _read(self, channel: _Channel) -> None:
        socket = channel.socket
        assert socket is not None
        try:
            while not channel.retired:
                message = socket.recv()
                self._on_message(channel, message)
        except (ConnectionClosed, WebSocketException, OSError, RuntimeError, TimeoutError) as error:
            if not channel.retired:
                channel.lost = f"the socket closed ({_first_line(error)})"
        except Exception as error:
            log.exception("notification reader failed")
            channel.lost = f"the reader failed ({type(error).__name__})"
        if not channel.retired:
            self._wake()

    def _on_message(self, channel: _Channel, message: str | bytes) -> None:
        now = self._clock()
        try:
            parsed = parse_message(message, self._wall())
        except BadEvent as error:
            self._bad_event(error.kind, error.detail)
            return
        if isinstance(parsed, Heartbeat):
            channel.last_metadata, channel.pinged_at = now, None
        elif isinstance(parsed, SocketClosing):
            channel.closing = True
            self._wake()
        elif isinstance(parsed, QueueObserved):
            if parsed.queue_id not in channel.queue_ids:
                self._bad_event(
                    "unknown", f"an event for a queue this channel does not watch ({parsed.queue_id})"
                )
                return
            try:
                with self._lock:
                    self._queues.setdefault(parsed.queue_id, _Queue()).fold(parsed, now)
                    self._events += 1
                    self._last_event_at = now
            except Exception as error:  # noqa: BLE001 - one bad event must not stop the reader
                self._bad_event("internal", f"{type(error).__name__}: {error}")
                return
            self._wake()

    def _bad_event(self, kind: str, detail: str) -> None:
        with self._lock:
            self._bad += 1
            first = kind not in self._bad_logged
            self._bad_logged.add(kind)
        if first:
            log.warning(
                "skipped a %s notification (%s); more of this kind are counted, not logged", kind, detail
            )

    def _wake(self) -> None:
        wakeup = self._wakeup
        if wakeup is not None:
            wakeup()


def _check_uri(uri: str) -> None:
    """The WebSocket address a channel reply gives: wss, or ws only to loopback (the simulator)."""
    parts = urlsplit(uri)
    if parts.scheme == "wss" or (parts.scheme == "ws" and parts.hostname and is_loopback(parts.hostname)):
        return
    raise ChannelRefused(f"refusing the notification WebSocket address {uri[:100]!r}: not wss://")


__all__ = [
    "ChannelLost",
    "ChannelRefused",
    "PushSettings",
    "PushSource",
    "open_socket",
]
