"""Feeds of the dashboard that read a collector's entries instead of polling Genesys.

- ``RedisFeed``: the live stream (``queuewatch --from redis://…``). Reads the ``latest`` picture
  (whole at once), then ``XREAD BLOCK`` after it; reconnects with backoff by itself, saying so
  (``BackingOff``); says when the collector has gone quiet or stopped (``PollFailed``); a malformed
  or hostile entry is refused with the reason (``PollFailed`` of kind ``bad_entry``) and skipped,
  and the picture is read whole again.
- ``ReplayFeed`` (``queuewatch replay``): a recording played back, from a SQLite file or from the
  stream (``recording.Recording``): pause, play, step, jump, go to a time.

Both emit the poller's events (``feed.Feed``), so the app runs them as it runs the ``Poller``.
Neither imports the Genesys SDK.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from queuewatch.feed import AlertsReplayed, FeedEvent, FeedKind, ReplayMoved
from queuewatch.poller import (
    BackingOff,
    Connected,
    Connecting,
    PollFailed,
    Scheduled,
    SnapshotReceived,
)
from queuewatch.redisstream import (
    RedisTarget,
    StreamKeys,
    describe_error,
    error_detail,
    read_after,
    read_latest,
)
from queuewatch.stream import (
    AlertsRaised,
    Assembler,
    BadEntry,
    Change,
    CollectorStatus,
    Decoded,
    Gap,
    Meta,
    Picture,
    decode,
)

if TYPE_CHECKING:
    import redis

    from queuewatch.recording import Recording

log = logging.getLogger("queuewatch.feeds")

#: How long the collector may say nothing, in its intervals, before a viewer says it has gone quiet.
QUIET_AFTER_INTERVALS = 2.0
#: And never less than this many seconds (a collector publishes every interval, heartbeat or not).
QUIET_AFTER_MIN = 10.0


def _ids(entry_id: bytes) -> str:
    return entry_id.decode("ascii", "replace")


def _id_key(entry_id: bytes) -> tuple[int, int] | None:
    ms, _, seq = entry_id.partition(b"-")
    return (int(ms), int(seq or 0)) if ms.isdigit() and (not seq or seq.isdigit()) else None


def _later(a: bytes, b: bytes) -> bytes:
    """The later of two entry ids (``a`` if either is not an id, such as ``$``)."""
    ka, kb = _id_key(a), _id_key(b)
    return b if ka is not None and kb is not None and kb > ka else a


class RedisFeed:
    """The collector's stream, live. See the module's docstring."""

    kind: FeedKind = "collector"

    def __init__(
        self,
        redis_factory: Callable[[], redis.Redis],
        target: RedisTarget,
        keys: StreamKeys,
        emit: Callable[[FeedEvent], None],
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        block_ms: int = 1000,
        max_backoff: float = 15.0,
    ) -> None:
        self._factory = redis_factory
        self.target = target
        self.keys = keys
        self._emit = emit
        self._clock = clock
        self._wall = wall_clock
        self._block_ms = block_ms
        self._max_backoff = max_backoff
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._paused = False
        self._refresh = False
        self._assembler = Assembler()
        self._last_id = b"0-0"
        self._heard_at: float | None = None
        self._quiet_said = False
        self._expect_until: float | None = None
        self._interval: float | None = None
        self._connected_said = False
        self._client: redis.Redis | None = None
        self.refused = 0
        """Entries refused as malformed so far."""
        self._once = False

    # --- control -------------------------------------------------------------------------------------

    @property
    def interval(self) -> float:
        return self._assembler.meta.interval

    @property
    def paused(self) -> bool:
        return self._paused

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    def pause(self) -> None:
        """Hold the picture on screen (entries are not read); resume reads the latest whole."""
        with self._lock:
            self._paused = True
        self._emit(Scheduled(None, True, self.interval))
        self._wake.set()

    def resume(self) -> None:
        with self._lock:
            self._paused, self._refresh = False, True
        self._emit(Scheduled(None, False, self.interval))
        self._wake.set()

    def refresh_now(self) -> float | None:
        """Read the latest picture again now (and reconnect at once if Redis was lost)."""
        with self._lock:
            self._paused, self._refresh = False, True
        self._wake.set()
        return None

    def set_interval(self, seconds: float) -> float:
        """The collector sets the interval: it stays as it is."""
        return self.interval

    def watch_agents(self, queue_ids: Sequence[str]) -> None:
        """Agents one by one are not published (a collector would have to ask for every queue's)."""

    def state_line(self) -> str:
        return (
            f"source=redis {self.target.shown} stream={self.keys.stream} last_id={_ids(self._last_id)} "
            f"paused={self._paused} refused={self.refused}"
        )

    # --- the loop ------------------------------------------------------------------------------------

    def run(self, *, once: bool = False) -> None:
        """Read until ``stop()`` (or the first picture, if ``once``); never raises."""
        self._once = once
        self._emit(Connecting())
        attempt = 0
        while not self._stopping.is_set():
            try:
                client = self._factory()
                self._client = client
                client.ping()
                self._read_latest(client)
                attempt = 0
                self._follow(client)
            except Exception as error:  # noqa: BLE001 - a lost Redis (or any error) is said and retried
                if self._stopping.is_set():
                    break
                attempt += 1
                kind, message = describe_error(error, self.target)
                delay = random.uniform(0.5, min(self._max_backoff, 2.0**attempt))
                log.warning("%s (%s); retry %d in %.1f s", message, error_detail(error), attempt, delay)
                if kind in ("auth", "permission"):
                    self._emit(PollFailed("redis", kind, message, retry_at=self._clock() + delay))
                else:
                    self._emit(BackingOff("redis", "redis", message, delay, attempt, self._clock() + delay))
                self._sleep(delay)
            finally:
                client_now, self._client = self._client, None
                if client_now is not None:
                    client_now.close()

    def _sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (by the clock), cut short by ``stop`` or ``refresh_now``."""
        deadline = self._clock() + seconds
        while not self._stopping.is_set():
            with self._lock:
                if self._refresh:
                    return
            remaining = deadline - self._clock()
            if remaining <= 0:
                return
            self._wake.wait(min(remaining, 0.5))
            self._wake.clear()

    def _read_latest(self, client: redis.Redis) -> None:
        """The latest picture, whole; or say that there is none yet."""
        with self._lock:
            self._refresh = False
        found = read_latest(client, self.keys)
        if found is None:
            self._assembler.reset()
            self._last_id = b"$"
            self._emit(
                PollFailed(
                    "collector",
                    "collector",
                    f"no picture in {self.keys.latest} yet: is `queuewatch collect` running with this --org?",
                )
            )
            return
        entry_id, fields = found
        try:
            entry = decode(fields)
        except BadEntry as error:
            self._refuse(entry_id, error, "the latest picture", resync=False)
            self._last_id = _later(entry_id, self._last_id) if entry_id != b"0-0" else b"$"
            return
        if not isinstance(entry, Picture):
            self._refuse(entry_id, BadEntry("it is not a full picture"), "the latest picture", resync=False)
            self._last_id = _later(entry_id, self._last_id)
            return
        self._last_id = _later(entry_id, self._last_id)  # never back over entries refused
        if (entry.run, entry.seq) != (self._assembler.run, self._assembler.seq):
            self._apply([entry])

    def _follow(self, client: redis.Redis) -> None:
        while not self._stopping.is_set():
            with self._lock:
                paused, refresh = self._paused, self._refresh
            if refresh:
                self._read_latest(client)
                continue
            if paused:
                self._wake.wait(0.5)
                self._wake.clear()
                continue
            batch = read_after(client, self.keys, self._last_id, block_ms=self._block_ms)
            if self._stopping.is_set():
                return
            decoded: list[Decoded] = []
            for entry_id, fields in batch:
                self._last_id = entry_id
                try:
                    decoded.append(decode(fields, held=self._held_after(decoded)))
                except BadEntry as error:
                    self._refuse(entry_id, error, "an entry")
            if decoded:
                self._apply(decoded)
            self._check_quiet()

    def _held_after(self, decoded: list[Decoded]) -> tuple[str | None, int | None]:
        """The (run, seq) of the picture held once ``decoded`` (not yet applied) are."""
        for entry in reversed(decoded):
            if isinstance(entry, Picture | Change):
                return entry.run, entry.seq
        return self._assembler.run, self._assembler.seq

    def _refuse(self, entry_id: bytes, error: BadEntry, what: str, *, resync: bool = True) -> None:
        """Say why an entry is refused; read the latest picture whole again (what follows a refused
        entry may not follow on from the picture held)."""
        self.refused += 1
        message = f"refused {what} ({_ids(entry_id)}) of {self.keys.stream}: {error}"
        log.warning("%s", message)
        self._emit(PollFailed("stream", "bad_entry", message))
        if resync:
            with self._lock:
                self._refresh = True

    def _apply(self, entries: list[Decoded]) -> None:
        """Move the picture on by these entries; one ``SnapshotReceived`` for the newest."""
        self._heard_at = self._clock()
        self._quiet_said = False
        newest = None
        for entry in entries:
            if isinstance(entry, CollectorStatus):
                self._status(entry)
                continue
            if isinstance(entry, AlertsRaised):
                continue  # a live viewer judges each snapshot by its own thresholds and mutes
            try:
                snapshot = self._assembler.apply(entry)
            except Gap:
                with self._lock:
                    self._refresh = True
                continue
            if snapshot is not None:
                newest = snapshot
                self._expect_until = None
        if newest is None:
            return
        meta = self._assembler.meta
        if not self._connected_said:
            self._connected_said = True
            self._emit(Connected(meta.label, meta.timezone))
        if meta.interval != self._interval:
            self._interval = meta.interval
            self._emit(Scheduled(self._local(meta.next_at), False, meta.interval))
        self._emit(SnapshotReceived(newest, meta.rate, self._local(meta.next_at), meta.allowance))
        if self._once:
            self.stop()

    def _status(self, status: CollectorStatus) -> None:
        retry_at = self._local(status.retry_at)
        if retry_at is not None:
            self._expect_until = retry_at
        if status.event == "backing_off":
            delay = max(0.0, (retry_at or self._clock()) - self._clock())
            attempt = status.attempt or 1
            self._emit(BackingOff(status.part, status.kind, status.message, delay, attempt, retry_at or 0.0))
        elif status.event == "failed":
            self._emit(PollFailed(status.part, status.kind, status.message, retry_at=retry_at))
        elif status.event == "stopped":
            self._emit(PollFailed("collector", "collector", "the collector stopped"))
            self._expect_until = float("inf")

    def _local(self, when: datetime | None) -> float | None:
        """A wall-clock time of the collector's as a ``clock()`` time here."""
        if when is None:
            return None
        return self._clock() + (when - self._wall()).total_seconds()

    def _check_quiet(self) -> None:
        """Say once when the collector has published nothing for a while (it is gone, or stuck)."""
        if self._heard_at is None or self._quiet_said:
            return
        now = self._clock()
        quiet = max(QUIET_AFTER_MIN, QUIET_AFTER_INTERVALS * self.interval)
        due = self._heard_at + quiet
        if self._expect_until is not None:
            due = max(due, self._expect_until + self.interval)
        if now < due:
            return
        self._quiet_said = True
        message = f"nothing from the collector for {now - self._heard_at:.0f} s: is it running?"
        log.warning("%s", message)
        self._emit(PollFailed("collector", "collector", message))


class ReplayFeed:
    """A recording played back (``queuewatch replay``); see ``recording.Recording``.

    Plays at recorded speed from ``start`` (None: the beginning). Controls: ``pause``/``resume``,
    ``step`` (one snapshot on), ``jump(seconds)`` (±), ``go_to(time)``. Each move emits the picture
    at the new time (``SnapshotReceived``) and ``ReplayMoved``; playing or stepping forward also emits
    the alerts recorded in between (``AlertsReplayed``: shown, never rung). A jump shows none.
    """

    kind: FeedKind = "replay"

    def __init__(
        self,
        recording: Recording,
        emit: Callable[[FeedEvent], None],
        *,
        start: datetime | None = None,
        clock: Callable[[], float] = time.monotonic,
        speed: float = 1.0,
        autoplay: bool = True,
    ) -> None:
        self.recording = recording
        self._emit = emit
        self._clock = clock
        self._speed = speed
        self._start = start
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._commands: list[tuple[str, float | datetime | None]] = []
        self._playing = autoplay
        self._pos: int | None = None
        """The recording's time (ms) of the picture on screen."""
        self._meta = Meta()
        self._connected_said = False
        self.moves = 0
        """Pictures shown so far (for tests and benchmarks)."""

    # --- control -------------------------------------------------------------------------------------

    @property
    def interval(self) -> float:
        return self._meta.interval

    @property
    def paused(self) -> bool:
        return not self._playing

    def _command(self, name: str, value: float | datetime | None = None) -> None:
        with self._lock:
            self._commands.append((name, value))
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    def pause(self) -> None:
        self._command("pause")

    def resume(self) -> None:
        self._command("play")

    def refresh_now(self) -> float | None:
        """``r`` in a replay: one snapshot on."""
        self._command("step")
        return None

    def step(self) -> None:
        self._command("step")

    def jump(self, seconds: float) -> None:
        self._command("jump", seconds)

    def go_to(self, when: datetime) -> None:
        self._command("go", when)

    def set_interval(self, seconds: float) -> float:
        return self.interval

    def watch_agents(self, queue_ids: Sequence[str]) -> None:
        """A recording has no agents one by one."""

    def state_line(self) -> str:
        return f"source=replay pos={self._pos} playing={self._playing}"

    # --- the loop ------------------------------------------------------------------------------------

    def run(self, *, once: bool = False) -> None:
        """Play until ``stop()`` (or show the first picture only, if ``once``); never raises (a
        failure is said, and the replay waits)."""
        self._emit(Connecting())
        try:
            span = self.recording.span()
        except Exception as error:  # noqa: BLE001 - said on the status bar
            self._fail(error, fatal=True)
            return
        if span is None:
            self._emit(PollFailed("recording", "recording", "the recording holds no snapshot", fatal=True))
            return
        start = _ms(self._start) if self._start is not None else span[0]
        self._do("go", start)
        if once:
            return
        played_from = self._clock()
        while not self._stopping.is_set():
            with self._lock:
                commands, self._commands = self._commands, []
            for name, value in commands:
                self._do(name, value)
                played_from = self._clock()
            if self._playing and self._pos is not None:
                played_from = self._play(played_from)
            self._wake.wait(0.1 if self._playing else 1.0)
            self._wake.clear()

    def _play(self, since: float) -> float:
        """At recorded speed: the next snapshot once its time has come. Returns when the time
        played so far was counted from."""
        assert self._pos is not None
        try:
            following = self.recording.next_after(self._pos)
        except Exception as error:  # noqa: BLE001 - said on the status bar
            self._fail(error)
            self._playing = False
            return since
        if following is None:
            self._playing = False
            self._moved("end of the recording")
            return since
        due = since + (following - self._pos) / 1000 / self._speed
        if self._clock() < due:
            return since
        self._show(following, alerts=True)
        return due

    def _do(self, name: str, value: float | int | datetime | None) -> None:
        try:
            if name == "pause":
                self._playing = False
                self._moved()
            elif name == "play":
                self._playing = True
                self._moved()
            elif name == "step":
                self._playing = False
                following = self.recording.next_after(self._pos) if self._pos is not None else None
                if following is None:
                    self._moved("end of the recording")
                else:
                    self._show(following, alerts=True)
            elif name == "jump" and isinstance(value, float | int) and self._pos is not None:
                self._show(self._pos + int(value * 1000), alerts=False)
            elif name == "go" and isinstance(value, datetime):
                self._show(_ms(value), alerts=False)
            elif name == "go" and isinstance(value, int):
                self._show(value, alerts=False)
        except Exception as error:  # noqa: BLE001 - said on the status bar; the replay goes on
            self._fail(error)

    def _fail(self, error: Exception, *, fatal: bool = False) -> None:
        log.error("reading the recording failed", exc_info=error)
        message = f"cannot read the recording: {error_detail(error)}"
        self._emit(PollFailed("recording", "recording", message, fatal=fatal))

    def _show(self, ms: int, *, alerts: bool) -> None:
        """The picture at ``ms`` (the last snapshot at or before it), and, if ``alerts``, what was
        alerted since the one on screen."""
        found = self.recording.picture_at(ms)
        note = ""
        if found is None:
            span = self.recording.span()
            if span is None:
                return
            note = "nothing recorded before that: the beginning"
            found = self.recording.picture_at(span[0])
            if found is None:
                return
        pos, meta, snapshot = found
        self._meta = meta
        previous, self._pos = self._pos, pos
        self.moves += 1
        if not self._connected_said:
            self._connected_said = True
            self._emit(Connected(meta.label, meta.timezone))
            self._emit(Scheduled(None, not self._playing, meta.interval))
        self._emit(SnapshotReceived(snapshot, meta.rate, None, meta.allowance))
        if alerts and previous is not None and pos > previous:
            for raised in self.recording.alerts_between(previous, pos):
                self._emit(AlertsReplayed(raised.at, raised.alerts))
        self._moved(note, snapshot.taken_at)

    def _moved(self, note: str = "", at: datetime | None = None) -> None:
        span = self.recording.span()
        self._emit(
            ReplayMoved(
                at if at is not None else (_time(self._pos) if self._pos is not None else None),
                self._playing,
                _time(span[0]) if span else None,
                _time(span[1]) if span else None,
                self._speed,
                note,
            )
        )


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)
