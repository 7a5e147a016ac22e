"""``queuewatch collect``: the org's one Genesys client, publishing every snapshot and alert to Redis.

Headless. The ``Poller`` runs as it does under the dashboard, on the same source (``cli.make_connect``);
its events go through a ``stream.Journal`` (full pictures every ``full_every`` snapshots, deltas
between, alerts, the collector's own news) into a queue that a publisher thread writes to Redis
(``redisstream.add``: one round trip per batch, the stream trimmed by time, the ``latest`` picture
replaced). Polling never waits for Redis.

Start: Redis must answer and take a first entry, and Genesys must give a first snapshot (a
credentials or permission error, or ``start_attempts`` failed tries); otherwise ``run`` returns the
exit code (3 for credentials or permissions, 4 when unreachable) and says why on the log.
After that it keeps going: Genesys failures are published as ``status`` entries (viewers show
them); while Redis is down, entries are held (up to ``max_pending`` batches; beyond that the oldest
are dropped and the next picture is published whole) and it tries again with backoff, logging
when Redis goes and comes back, and publishing a ``gap`` entry that says so. ``stop()`` (SIGTERM)
ends polling, publishes what is held and a ``stopped`` entry, and returns 0.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from queuewatch.poller import (
    BackingOff,
    Connected,
    Poller,
    PollerEvent,
    PollerSettings,
    PollFailed,
    SnapshotReceived,
)
from queuewatch.redisstream import RedisTarget, StreamKeys, add, describe_error, error_detail, last_entry_ms
from queuewatch.source import QueueSource
from queuewatch.stream import FULL_EVERY, Encoded, Journal
from queuewatch.thresholds import Thresholds

if TYPE_CHECKING:
    import redis

log = logging.getLogger("queuewatch.collector")

EXIT_OK, EXIT_AUTH, EXIT_UNAVAILABLE, EXIT_USAGE, EXIT_INTERNAL = 0, 3, 4, 2, 1
_EXIT_BY_KIND = {"auth": EXIT_AUTH, "permission": EXIT_AUTH, "config": EXIT_USAGE, "internal": EXIT_INTERNAL}


@dataclass(frozen=True, slots=True)
class CollectorSettings:
    keys: StreamKeys = field(default_factory=StreamKeys)
    retention_hours: float = 48.0
    """The stream keeps this much history (trimmed by time, approximately)."""
    full_every: int = FULL_EVERY
    """A full picture every this many snapshots (deltas between); a viewer that joins reads the
    ``latest`` key, so this bounds what a replay applies after seeking."""
    max_pending: int = 120
    """Batches held while Redis is down; beyond that the oldest are dropped."""
    start_attempts: int = 4
    """Tries of the first Genesys call before giving up at start."""
    max_redis_backoff: float = 30.0


@dataclass(slots=True)
class _Batch:
    entries: list[Encoded]
    latest: Encoded | None


class Collector:
    """See the module's docstring. ``redis_factory`` makes a new client (after a lost connection)."""

    def __init__(
        self,
        *,
        connect: Callable[[], QueueSource],
        redis_factory: Callable[[], redis.Redis],
        target: RedisTarget,
        settings: CollectorSettings,
        poller_settings: PollerSettings,
        thresholds: Thresholds,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        run_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.keys = settings.keys
        self.target = target
        self._factory = redis_factory
        self._clock = clock
        self._wall = wall_clock
        self.journal = Journal(
            run_id or secrets.token_hex(4),
            thresholds,
            full_every=settings.full_every,
            wall_clock=wall_clock,
            clock=clock,
        )
        self._journal_lock = threading.Lock()
        self.poller = Poller(connect, self._emit, poller_settings, clock=clock, wall_clock=wall_clock)
        self._pending: deque[_Batch] = deque()
        self._pending_lock = threading.Condition()
        self._done = threading.Event()
        self._stopping = threading.Event()
        self._started = threading.Event()
        self._exit = EXIT_OK
        self._lost = 0
        self._floor_ms = 0
        self.published = 0
        """Entries written to Redis so far."""
        self.snapshots = 0
        """Snapshots published so far."""

    # --- control -------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop (SIGTERM): safe from a signal handler or any thread. ``run`` then publishes what is
        held and a ``stopped`` entry, and returns."""
        self._done.set()

    @property
    def started(self) -> bool:
        """The first snapshot has been taken (start-up checks are over)."""
        return self._started.is_set()

    # --- the run -------------------------------------------------------------------------------------

    def run(self) -> int:
        """Collect until ``stop()``; the exit code."""
        r = self._factory()
        try:
            r.ping()
            self._floor_ms = last_entry_ms(r, self.keys)
            with self._journal_lock:
                started = self.journal.status("started", f"collector {self.journal.run} started")
            self._floor_ms, _ = add(
                r, self.keys, [started], None, keep_ms=self._keep_ms, floor_ms=self._floor_ms
            )
        except Exception as error:  # noqa: BLE001 - every Redis failure at start is one line and an exit code
            kind, message = describe_error(error, self.target)
            log.error("cannot start: %s", message)
            r.close()
            return EXIT_AUTH if kind in ("auth", "permission") else EXIT_UNAVAILABLE
        log.info("publishing to %s, stream %s", self.target.shown, self.keys.stream)
        publisher = threading.Thread(target=self._publish_loop, args=(r,), name="publisher", daemon=True)
        poller = threading.Thread(target=self.poller.run, name="poller", daemon=True)
        publisher.start()
        poller.start()
        while not self._done.wait(0.5):
            pass
        self.poller.stop()
        poller.join(timeout=10)
        with self._journal_lock:
            stopped = self.journal.status("stopped", "the collector stopped")
        self._queue(_Batch([stopped], None))
        self._stopping.set()
        with self._pending_lock:
            self._pending_lock.notify_all()
        publisher.join(timeout=15)
        log.info("stopped after %d snapshots (%d entries published)", self.snapshots, self.published)
        return self._exit

    @property
    def _keep_ms(self) -> int:
        return int(self.settings.retention_hours * 3600 * 1000)

    def _emit(self, event: PollerEvent) -> None:
        """In the poller's thread: log, journal, hand over to the publisher."""
        self._log(event)
        if not self._started.is_set() and self._start_failed(event):
            return
        with self._journal_lock:
            entries = self.journal.on_event(event)
            latest = self.journal.latest() if isinstance(event, SnapshotReceived) else None
        if isinstance(event, SnapshotReceived):
            self.snapshots += 1
            if not self._started.is_set():
                log.info("first snapshot: %d queues", len(event.snapshot.queues))
                self._started.set()
        if entries:
            self._queue(_Batch(entries, latest))

    def _start_failed(self, event: PollerEvent) -> bool:
        """Before the first snapshot, a failure ends the collector (with an exit code)."""
        code: int | None = None
        if isinstance(event, PollFailed):
            code = _EXIT_BY_KIND.get(event.kind, EXIT_UNAVAILABLE)
        elif isinstance(event, BackingOff) and event.attempt >= self.settings.start_attempts:
            code = EXIT_UNAVAILABLE
        if code is None:
            return False
        assert isinstance(event, PollFailed | BackingOff)
        log.error("cannot start: Genesys: %s", event.message)
        self._exit = code
        self.poller.stop()
        self._done.set()
        return True

    @staticmethod
    def _log(event: PollerEvent) -> None:
        if isinstance(event, Connected):
            log.info("connected to %s", event.label)
        elif isinstance(event, BackingOff):
            log.warning("%s: %s; retry %d in %.1f s", event.part, event.message, event.attempt, event.delay)
        elif isinstance(event, PollFailed):
            log.error("%s: %s", event.part, event.message)

    # --- publishing ----------------------------------------------------------------------------------

    def _queue(self, batch: _Batch) -> None:
        with self._pending_lock:
            self._pending.append(batch)
            if len(self._pending) > self.settings.max_pending:
                dropped = self._pending.popleft()
                self._lost += len(dropped.entries)
                with self._journal_lock:
                    self.journal.resync()
            self._pending_lock.notify_all()

    def _take(self) -> list[_Batch] | None:
        """Everything pending (waiting for some); None once stopping and nothing is left."""
        with self._pending_lock:
            while not self._pending:
                if self._stopping.is_set():
                    return None
                self._pending_lock.wait(1.0)
            batches = list(self._pending)
            self._pending.clear()
            return batches

    def _put_back(self, batches: list[_Batch]) -> None:
        with self._pending_lock:
            self._pending.extendleft(reversed(batches))
            while len(self._pending) > self.settings.max_pending:
                dropped = self._pending.popleft()
                self._lost += len(dropped.entries)
                with self._journal_lock:
                    self.journal.resync()

    def _publish_loop(self, r: redis.Redis) -> None:
        down_since: datetime | None = None
        attempt = 0
        while True:
            batches = self._take()
            if batches is None:
                break
            entries = [e for b in batches for e in b.entries]
            latest = next((b.latest for b in reversed(batches) if b.latest is not None), None)
            try:
                if down_since is not None:
                    entries = [self._gap_entry(down_since), *entries]
                self._floor_ms, _ = add(
                    r, self.keys, entries, latest, keep_ms=self._keep_ms, floor_ms=self._floor_ms
                )
            except Exception as error:  # noqa: BLE001 - any Redis failure: hold, back off, try again
                if down_since is None:
                    down_since = self._wall()
                attempt += 1
                _, message = describe_error(error, self.target)
                message = f"{message} ({error_detail(error)})"
                self._put_back(batches)
                delay = min(self.settings.max_redis_backoff, 0.5 * 2**attempt)
                if self._stopping.is_set():
                    log.error("%s; %d entries not published", message, sum(len(b.entries) for b in batches))
                    break
                log.error("%s; holding entries, retrying in %.0f s (attempt %d)", message, delay, attempt)
                self._done.wait(delay)
                r.close()
                r = self._factory()
                continue
            if down_since is not None:
                log.info("Redis reachable again: published what was held (%d entries lost)", self._lost)
                down_since, attempt, self._lost = None, 0, 0
            self.published += len(entries)
        r.close()

    def _gap_entry(self, since: datetime) -> Encoded:
        lost = self._lost
        said = f"{lost} entries lost" if lost else "entries held and published late"
        when = since.strftime("%H:%M:%S %Z")
        with self._journal_lock:
            return self.journal.status("gap", f"Redis was unreachable from {when}: {said}")
