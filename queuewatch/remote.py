"""Wiring of the collector's commands: ``collect``, ``--from``, ``--record`` and ``replay``.

Like ``cli``, wiring only: the work is in ``collector``, ``feeds``, ``recording`` and ``stream``.
The viewer's paths (``--from``, ``replay``) import neither the Genesys SDK nor ``genesys``.
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from queuewatch.config import Settings
from queuewatch.errors import ConfigError
from queuewatch.poller import PollerEvent, PollerSettings
from queuewatch.redisstream import DEFAULT_ORG, RedisTarget, StreamKeys, client, org_name, target_from
from queuewatch.stream import Journal

if TYPE_CHECKING:
    from queuewatch.feed import Feed, FeedEvent

log = logging.getLogger("queuewatch")

#: ``--retention`` hours, and ``--full-every`` snapshots: the ranges accepted.
RETENTION_RANGE = (1.0, 24.0 * 30)
FULL_EVERY_RANGE = (1, 10_000)


@dataclass(frozen=True, slots=True)
class StreamOptions:
    """Where the stream is: the Redis target and the org's keys."""

    target: RedisTarget
    keys: StreamKeys


def stream_options(url: str | None, org: str | None, env: Mapping[str, str], what: str) -> StreamOptions:
    return StreamOptions(target_from(url, env, what), StreamKeys(org_name(org or DEFAULT_ORG)))


def _stderr_log() -> logging.Handler:
    """The collector logs to stderr (systemd's journal, a container's log), redacted and cleaned."""
    from queuewatch.cli import CleanFormatter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(CleanFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("queuewatch")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


def run_collect(
    settings: Settings,
    stream: StreamOptions,
    *,
    retention_hours: float,
    full_every: int,
    connect: Callable[[], Any],
) -> int:
    """``queuewatch collect``: until SIGTERM or SIGINT; the exit code."""
    from queuewatch.collector import Collector, CollectorSettings

    handler = _stderr_log()
    collector = Collector(
        connect=connect,
        redis_factory=lambda: client(stream.target, name="queuewatch-collector"),
        target=stream.target,
        settings=CollectorSettings(keys=stream.keys, retention_hours=retention_hours, full_every=full_every),
        poller_settings=PollerSettings(
            interval=settings.interval, assumed_allowance=settings.requests_per_minute
        ),
        thresholds=settings.thresholds,
    )

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)
        collector.stop()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return collector.run()
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        logging.getLogger("queuewatch").removeHandler(handler)


class RecordingHook:
    """``--record FILE``: every event of the dashboard's feed, as entries in a SQLite file."""

    def __init__(self, path: Path, settings: Settings, then: Callable[[PollerEvent], None] | None) -> None:
        from queuewatch.recording import SqliteRecorder

        self.recorder = SqliteRecorder(path)
        self.journal = Journal(
            f"record-{int(time.time())}",
            settings.thresholds,
            wall_clock=lambda: datetime.now(UTC),
            clock=time.monotonic,
        )
        self._then = then

    def __call__(self, event: PollerEvent) -> None:
        if self._then is not None:
            self._then(event)
        try:
            self.recorder.write(self.journal.on_event(event))
        except Exception as error:
            log.error("recording failed", exc_info=error)

    def close(self) -> None:
        self.recorder.close()


def viewer_feed(stream: StreamOptions) -> Callable[[Callable[[FeedEvent], None]], Feed]:
    """``--from``: the collector's stream, live."""
    from queuewatch.feeds import RedisFeed

    return lambda emit: RedisFeed(
        lambda: client(stream.target, name="queuewatch-viewer"), stream.target, stream.keys, emit
    )


def replay_feed(
    source: str | None, stream: StreamOptions | None, at: str | None, tz_name: str | None
) -> Callable[[Callable[[FeedEvent], None]], Feed]:
    """``replay``: a file, or the stream; from ``at`` (``10:42``; None: the beginning)."""
    from zoneinfo import ZoneInfo

    from queuewatch.feed import resolve_at
    from queuewatch.feeds import ReplayFeed
    from queuewatch.recording import Recording, RedisRecording, SqliteRecording

    recording: Recording
    if stream is not None:
        recording = RedisRecording(client(stream.target, name="queuewatch-replay"), stream.keys)
    elif source is not None:
        recording = SqliteRecording(Path(source))
    else:
        raise ConfigError("replay needs a recording: a FILE (from --record) or --from redis://…")
    start: datetime | None = None
    if at:
        try:
            span = recording.span()
            held = recording.picture_at(span[1]) if span is not None else None
        except Exception as error:  # noqa: BLE001 - a file or a stream that cannot be read: one line
            raise ConfigError(f"cannot read the recording: {type(error).__name__}: {error}") from None
        if span is None:
            raise ConfigError("the recording holds no snapshot")
        zone = tz_name
        if zone is None and held is not None:
            zone = held[1].timezone
        try:
            start = resolve_at(at, span, ZoneInfo(zone) if zone else None)
        except (ValueError, KeyError) as error:
            raise ConfigError(f"--at: {error}") from None
    return lambda emit: ReplayFeed(recording, emit, start=start)
