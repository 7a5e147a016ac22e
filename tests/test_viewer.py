"""The dashboard reading a collector's stream (``queuewatch --from``) from a real redis-server:
the collector's data and "via collector", its age, stale when the collector or Redis is gone,
reconnecting by itself, hostile entries refused without a crash, and a read-only ACL user."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
import redis
from textual.widgets import Label

from queuewatch.collector import EXIT_AUTH, Collector, CollectorSettings
from queuewatch.feed import FeedEvent
from queuewatch.feeds import RedisFeed
from queuewatch.model import QueueStats, Snapshot
from queuewatch.poller import Allowance, PollerSettings, SnapshotReceived
from queuewatch.redisstream import RedisTarget, StreamKeys, add, client
from queuewatch.simulator import SimulatorServer
from queuewatch.source import RateStatus
from queuewatch.stream import Journal
from queuewatch.thresholds import Thresholds
from queuewatch.tui.app import QueuewatchApp
from queuewatch.tui.widgets import QueueTable
from tests.clocks import until
from tests.fakes import SteppedClock, sample_queues, wait_for, wait_for_snapshot
from tests.redis_support import RedisServer
from tests.test_collector import RacingClock, collecting, sim_connect

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SIZE = (140, 30)


class Publisher:
    """Publishes snapshots as a collector does (``Journal`` + ``add``), at times the test sets."""

    def __init__(self, server: RedisServer, keys: StreamKeys, full_every: int = 3) -> None:
        self.server = server
        self.keys = keys
        self.wall = T0
        self.journal = Journal(
            "pub", Thresholds(), full_every=full_every, wall_clock=self.now, clock=lambda: 0.0
        )
        self.floor = 0

    def now(self) -> datetime:
        return self.wall

    def publish(self, queues: list[QueueStats], at: datetime | None = None) -> None:
        self.wall = at or self.wall
        event = SnapshotReceived(Snapshot(self.wall, tuple(queues)), RateStatus(12), 5.0, Allowance())
        r = self.server.client()
        try:
            entries = self.journal.on_event(event)
            self.floor, _ = add(
                r, self.keys, entries, self.journal.latest(), keep_ms=10**9, floor_ms=self.floor
            )
        finally:
            r.close()

    def raw(self, fields: dict[bytes, bytes]) -> None:
        r = self.server.client()
        try:
            r.xadd(self.keys.stream, dict(fields))  # type: ignore[arg-type]
        finally:
            r.close()


def viewer(
    target: RedisTarget,
    keys: StreamKeys,
    *,
    clock: Callable[[], float] | None = None,
    wall: Callable[[], datetime] = lambda: T0 + timedelta(seconds=3),
) -> QueuewatchApp:
    """The dashboard wired as ``queuewatch --from URL`` wires it."""
    app_clock = clock or SteppedClock()

    def feed(emit: Callable[[FeedEvent], None]) -> RedisFeed:
        return RedisFeed(
            lambda: client(target, timeout=2.0),
            target,
            keys,
            emit,
            clock=app_clock,
            wall_clock=wall,
            block_ms=100,
        )

    return QueuewatchApp(
        feed=feed,
        label="via collector",
        poller_settings=PollerSettings(),
        thresholds=Thresholds(),
        clock=app_clock,
        wall_clock=wall,
        tz=UTC,
    )


def status(app: QueuewatchApp, part: str) -> str:
    label = app.query_one(f"#status-{part}", Label)
    return str(label.content) if label.display else ""


async def test_the_viewer_shows_the_collectors_data_via_collector(
    sim: SimulatorServer, redis_server: RedisServer, stream_keys: StreamKeys
) -> None:
    with collecting(sim, redis_server, stream_keys) as running:
        app = viewer(redis_server.target(), stream_keys, wall=lambda: datetime.now(UTC))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_snapshot(pilot, app)
            assert status(app, "label") == "via collector"
            names = {q.name for q in sim.centre.scenario.queues}
            assert {q.name for q in app.snapshot.queues} == names if app.snapshot else False
            assert len(app.query_one(QueueTable).row_keys) == len(names)
            assert app.today_zone == sim.centre.scenario.timezone
            seen = app.snapshot
            await wait_for_snapshot(pilot, app, than=seen)  # and it follows the stream
        assert running.collector.snapshots >= 2


async def test_the_age_is_the_collectors_and_staleness_follows_it(
    redis_server: RedisServer, stream_keys: StreamKeys
) -> None:
    publisher = Publisher(redis_server, stream_keys)
    publisher.publish(sample_queues())
    clock = SteppedClock()
    app = viewer(redis_server.target(), stream_keys, clock=clock)  # the screen's wall clock: T0 + 3 s
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        assert status(app, "updated") == "updated 10:00:00, 3 s ago"
        assert "req 12/300 per min" in status(app, "rate")
        clock.now += 8  # 11 s without a new picture: two of the collector's intervals and more
        await wait_for(pilot, lambda: "STALE" in str(app.query_one("#stale-banner", Label).content))
        assert app.query_one("#status-stale").display


async def test_a_viewer_joining_late_is_whole_at_once(
    redis_server: RedisServer, stream_keys: StreamKeys
) -> None:
    publisher = Publisher(redis_server, stream_keys, full_every=100)
    queues = sample_queues()
    for i in range(20):  # one full picture, then deltas only
        queues[0] = replace(queues[0], waiting=i)
        publisher.publish(queues, T0 + timedelta(seconds=5 * i))
    app = viewer(redis_server.target(), stream_keys)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        assert app.snapshot is not None and app.snapshot.queues[0].waiting == 19
        assert len(app.snapshot.queues) == len(queues)
        first = app.snapshot
        queues[1] = replace(queues[1], waiting=7)
        publisher.publish(queues, T0 + timedelta(seconds=100))
        await wait_for_snapshot(pilot, app, than=first)
        assert app.snapshot.queues[1].waiting == 7


async def test_stale_when_redis_stops_and_back_by_itself(
    own_redis: RedisServer, stream_keys: StreamKeys
) -> None:
    publisher = Publisher(own_redis, stream_keys)
    publisher.publish(sample_queues())
    clock = SteppedClock()
    app = viewer(own_redis.target(), stream_keys, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        own_redis.stop()
        await wait_for(pilot, lambda: "Redis unreachable at 127.0.0.1" in status(app, "problem"))
        assert "retrying in" in status(app, "problem")
        clock.now += 11
        await wait_for(pilot, lambda: bool(app.query_one("#status-stale").display))
        banner = str(app.query_one("#stale-banner", Label).content)
        assert "Redis unreachable" in banner
        own_redis.start()
        publisher.publish(sample_queues(), T0 + timedelta(seconds=14))
        seen = app.snapshot
        await pilot.press("r")  # cuts the wait short; it reconnects on its own otherwise
        await wait_for_snapshot(pilot, app, than=seen)
        await wait_for(pilot, lambda: not app.query_one("#status-stale").display)
        assert status(app, "problem") == ""


async def test_a_collector_gone_quiet_or_stopped_is_said(
    redis_server: RedisServer, stream_keys: StreamKeys
) -> None:
    publisher = Publisher(redis_server, stream_keys)
    publisher.publish(sample_queues())
    clock = SteppedClock()
    app = viewer(redis_server.target(), stream_keys, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        clock.now += 30
        await wait_for(pilot, lambda: "nothing from the collector for" in status(app, "problem"))
        publisher.publish(sample_queues(), T0 + timedelta(seconds=5))
        await wait_for(pilot, lambda: status(app, "problem") == "")
        r = redis_server.client()
        add(r, stream_keys, [publisher.journal.status("stopped", "bye")], None, keep_ms=10**9, floor_ms=0)
        r.close()
        await wait_for(pilot, lambda: "the collector stopped" in status(app, "problem"))


HOSTILE: list[dict[bytes, bytes]] = [
    {b"v": b"1", b"k": b"full", b"d": b'{"run": "x", "seq": 1, "meta": {}, "snapshot": {"queues": 5}}'},
    {b"v": b"1", b"k": b"delta", b"d": b"[" * 50_000},
    {b"v": b"9", b"k": b"full", b"d": b"{}"},
    {b"hello": b"world"},
    {b"v": b"1", b"k": b"full", b"d": b"Z\x78\x9c garbage"},
]


async def test_hostile_entries_are_refused_and_the_viewer_goes_on(
    redis_server: RedisServer, stream_keys: StreamKeys
) -> None:
    publisher = Publisher(redis_server, stream_keys)
    publisher.publish(sample_queues())
    app = viewer(redis_server.target(), stream_keys)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        shown = app.snapshot
        for fields in HOSTILE:
            publisher.raw(fields)
            await wait_for(pilot, lambda: "refused an entry" in status(app, "problem"))
        assert app.snapshot is shown and app.is_running  # what was on screen stays
        problem = status(app, "problem")
        assert stream_keys.stream in problem
        queues = sample_queues()
        queues[0] = replace(queues[0], waiting=42)
        publisher.publish(queues, T0 + timedelta(seconds=5))
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.queues[0].waiting == 42)
        assert status(app, "problem") == ""


async def test_a_hostile_latest_picture_is_refused(
    redis_server: RedisServer, stream_keys: StreamKeys
) -> None:
    r = redis_server.client()
    r.hset(stream_keys.latest, mapping={"v": "1", "k": "full", "d": '{"run": "x", "seq": 0}', "id": "1-0"})
    r.close()
    app = viewer(redis_server.target(), stream_keys)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "refused the latest picture" in status(app, "problem"))
        assert app.snapshot is None and app.is_running


VIEWER_PASSWORD = "viewer-password-4242"


def make_viewer_user(server: RedisServer) -> None:
    """The README's ACL: read-only commands on the queuewatch keys, nothing else."""
    r = server.client()
    try:
        cast(Any, r).execute_command(
            "ACL", "SETUSER", "viewer", "reset", "on", f">{VIEWER_PASSWORD}", "~queuewatch:*",
            "resetchannels", "-@all", "+@read", "+@connection", "-@dangerous",
        )  # fmt: skip
    finally:
        r.close()


async def test_a_read_only_viewer_works_and_cannot_write(
    redis_server: RedisServer, stream_keys: StreamKeys
) -> None:
    make_viewer_user(redis_server)
    publisher = Publisher(redis_server, stream_keys)
    publisher.publish(sample_queues())
    target = redis_server.target("viewer", VIEWER_PASSWORD)
    app = viewer(target, stream_keys)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        assert app.snapshot is not None and len(app.snapshot.queues) == len(sample_queues())
    r = client(target)
    try:
        for write in (
            lambda: r.xadd(stream_keys.stream, {"v": "1"}),
            lambda: r.hset(stream_keys.latest, "d", "x"),
            lambda: r.delete(stream_keys.stream),
            lambda: r.xtrim(stream_keys.stream, maxlen=0),
            lambda: r.set("elsewhere", "x"),
            lambda: r.config_set("maxmemory", "1"),
        ):
            with pytest.raises(redis.exceptions.NoPermissionError):
                write()
        assert r.xlen(stream_keys.stream) > 0
    finally:
        r.close()


def test_a_collector_with_the_viewers_rights_cannot_start(
    sim: SimulatorServer, redis_server: RedisServer, stream_keys: StreamKeys
) -> None:
    make_viewer_user(redis_server)
    target = redis_server.target("viewer", VIEWER_PASSWORD)
    collector = Collector(
        connect=sim_connect(sim),
        redis_factory=lambda: client(target),
        target=target,
        settings=CollectorSettings(keys=stream_keys),
        poller_settings=PollerSettings(),
        thresholds=Thresholds(),
        clock=RacingClock(),
    )
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(collector.run()))
    thread.start()
    thread.join(timeout=30)
    assert result == [EXIT_AUTH]


def test_a_wrong_password_is_said(redis_server: RedisServer, stream_keys: StreamKeys) -> None:
    make_viewer_user(redis_server)
    events: list[Any] = []
    target = redis_server.target("viewer", "wrong-password-123")
    feed = RedisFeed(lambda: client(target), target, stream_keys, events.append, clock=SteppedClock())
    thread = threading.Thread(target=feed.run)
    thread.start()
    try:
        until(lambda: any(getattr(e, "kind", "") == "auth" for e in events), "an auth failure", 30)
    finally:
        feed.stop()
        thread.join(timeout=10)
    failed = next(e for e in events if getattr(e, "kind", "") == "auth")
    assert "refused the login" in failed.message and "wrong-password" not in failed.message
