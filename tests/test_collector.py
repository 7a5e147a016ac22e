"""The collector against the simulator (real SDK, loopback HTTP) and a real redis-server: what it
publishes, how it starts and fails to start, how it rides out a lost Redis, and how it stops."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
import redis

from queuewatch.collector import EXIT_AUTH, EXIT_OK, EXIT_UNAVAILABLE, Collector, CollectorSettings
from queuewatch.poller import PollerSettings
from queuewatch.redisstream import StreamKeys, add, client, parse_target, read_latest, read_range, target_from
from queuewatch.simulator import SimulatorServer
from queuewatch.source import QueueSource
from queuewatch.stream import CollectorStatus, Journal, Picture, decode
from queuewatch.thresholds import Thresholds
from tests.clocks import until as wait_until
from tests.redis_support import RedisServer


class RacingClock:
    """A monotonic clock that jumps ``step`` seconds at every reading: the poller's waits end at
    once, so polls follow each other as fast as the simulator answers (no wall-clock waiting)."""

    def __init__(self, step: float = 30.0) -> None:
        self.now = 1000.0
        self.step = step
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            self.now += self.step
            return self.now


def sim_connect(server: Any, secret: str = "secret") -> Callable[[], QueueSource]:
    def connect() -> QueueSource:
        from queuewatch.genesys import Credentials, GenesysSource, SourceSettings

        settings = SourceSettings(
            base_url=server.base_url,
            label="sim",
            timezone=server.centre.scenario.timezone,
            connect_timeout=1.0,
            read_timeout=2.0,
        )
        return GenesysSource(settings, Credentials("id", secret))

    return connect


def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait for something to happen (bounded); the test fails if it does not."""
    wait_until(condition, timeout=timeout)


@dataclass
class Running:
    collector: Collector
    thread: threading.Thread
    result: list[int]

    def stop(self) -> int:
        self.collector.stop()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()
        return self.result[0]


@contextmanager
def collecting(
    server: Any,
    redis_server: RedisServer,
    keys: StreamKeys,
    *,
    full_every: int = 3,
    secret: str = "secret",
    **options: Any,
) -> Iterator[Running]:
    collector = Collector(
        connect=sim_connect(server, secret),
        redis_factory=redis_server.client,
        target=redis_server.target(),
        settings=CollectorSettings(keys=keys, full_every=full_every, **options),
        poller_settings=PollerSettings(interval=1.0, max_backoff=0.05, blocked_retry=0.05),
        thresholds=Thresholds(),
        clock=RacingClock(),
    )
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(collector.run()), daemon=True)
    thread.start()
    running = Running(collector, thread, result)
    try:
        yield running
    finally:
        if thread.is_alive():
            running.stop()


def entries(r: redis.Redis, keys: StreamKeys) -> list[Any]:
    return [decode(fields) for _, fields in read_range(r, keys, "-", "+")]


def test_the_collector_publishes_the_org_and_stops_cleanly(
    sim: SimulatorServer, redis_server: RedisServer, stream_keys: StreamKeys
) -> None:
    with collecting(sim, redis_server, stream_keys) as running:
        until(lambda: running.collector.published >= 8)
        assert running.stop() == EXIT_OK
    r = redis_server.client()
    found = entries(r, stream_keys)
    kinds = [type(e).__name__ for e in found]
    assert isinstance(found[0], CollectorStatus) and found[0].event == "started"
    assert isinstance(found[-1], CollectorStatus) and found[-1].event == "stopped"
    assert "Picture" in kinds and "Change" in kinds
    pictures = [e for e in found if isinstance(e, Picture)]
    queues = sim.centre.scenario.queues
    assert len(pictures[0].snapshot.queues) == len(queues)
    assert pictures[0].meta.label == "sim" and pictures[0].meta.timezone == sim.centre.scenario.timezone
    latest = read_latest(r, stream_keys)
    assert latest is not None
    whole = decode(latest[1])
    assert isinstance(whole, Picture) and len(whole.snapshot.queues) == len(queues)
    # the latest picture stands for the last snapshot entry published, by its id
    last_snapshot_id = [i for i, f in read_range(r, stream_keys, "-", "+") if f[b"k"] in (b"full", b"delta")][
        -1
    ]
    assert latest[0] == last_snapshot_id
    # and nothing secret went in
    dump = b"".join(v for _, f in read_range(r, stream_keys, "-", "+") for v in f.values())
    assert b"secret" not in dump and b"Bearer" not in dump
    r.close()


def test_no_redis_at_start_is_exit_4(sim: SimulatorServer, tmp_path: Any, stream_keys: StreamKeys) -> None:
    gone = RedisServer(tmp_path)  # never started: nothing listens on its port
    collector = Collector(
        connect=sim_connect(sim),
        redis_factory=gone.client,
        target=gone.target(),
        settings=CollectorSettings(keys=stream_keys),
        poller_settings=PollerSettings(),
        thresholds=Thresholds(),
    )
    assert collector.run() == EXIT_UNAVAILABLE


def test_rejected_credentials_at_start_are_exit_3(
    centre: Any, redis_server: RedisServer, stream_keys: StreamKeys
) -> None:
    with (
        SimulatorServer(centre, port=0, client_id="id", client_secret="right") as server,
        collecting(server, redis_server, stream_keys, secret="wrong") as running,
    ):
        running.thread.join(timeout=30)
        assert running.result == [EXIT_AUTH]


def test_genesys_down_at_start_is_exit_4(
    redis_server: RedisServer, stream_keys: StreamKeys, centre: Any
) -> None:
    with SimulatorServer(centre, port=0) as server:
        base = server.base_url
    unreachable = type("Gone", (), {"base_url": base, "centre": centre})()
    with collecting(unreachable, redis_server, stream_keys, start_attempts=2) as running:
        running.thread.join(timeout=60)
        assert running.result == [EXIT_UNAVAILABLE]


def test_a_lost_redis_is_ridden_out_and_said_in_the_stream(
    sim: SimulatorServer, own_redis: RedisServer, stream_keys: StreamKeys
) -> None:
    with collecting(sim, own_redis, stream_keys, max_redis_backoff=0.2) as running:
        until(lambda: running.collector.published >= 3)
        own_redis.stop()
        snapshots = running.collector.snapshots
        until(lambda: running.collector.snapshots >= snapshots + 3)  # polling goes on without Redis
        own_redis.start()  # same port, empty
        until(
            lambda: any(
                isinstance(e, CollectorStatus) and e.event == "gap"
                for e in entries(own_redis.client(), stream_keys)
            )
        )
        assert running.stop() == EXIT_OK
    found = entries(own_redis.client(), stream_keys)
    gap = next(e for e in found if isinstance(e, CollectorStatus) and e.event == "gap")
    assert "Redis was unreachable from" in gap.message
    assert any(isinstance(e, Picture) for e in found)  # the picture comes whole after a gap


def test_the_stream_is_trimmed_by_time(redis_server: RedisServer, stream_keys: StreamKeys) -> None:
    r = redis_server.client()
    r.config_set("stream-node-max-entries", 2)  # so that approximate trimming trims small streams
    try:
        wall = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
        journal = Journal("r", Thresholds(), wall_clock=lambda: wall, clock=lambda: 0.0)
        keep = int(timedelta(hours=48).total_seconds() * 1000)
        floor = 0
        for _ in range(10):
            floor, _ = add(r, stream_keys, [journal.status("started")], None, keep_ms=keep, floor_ms=floor)
        wall = wall + timedelta(hours=49)
        for _ in range(4):
            floor, _ = add(r, stream_keys, [journal.status("started")], None, keep_ms=keep, floor_ms=floor)
        left = [e for e in entries(r, stream_keys)]
        assert len(left) <= 6 and all(e.at > wall - timedelta(hours=48, minutes=1) for e in left[-4:])
        assert r.xlen(stream_keys.stream) < 14
    finally:
        r.config_set("stream-node-max-entries", 100)
        r.close()


def test_a_password_in_a_flag_is_refused_and_from_the_environment_hidden() -> None:
    from queuewatch.errors import ConfigError
    from queuewatch.redact import redact

    with pytest.raises(ConfigError, match="QUEUEWATCH_REDIS_PASSWORD"):
        parse_target("redis://viewer:hunter2hunter2@localhost:6379", {})
    target = parse_target(
        "rediss://viewer@localhost:6380/2", {"QUEUEWATCH_REDIS_PASSWORD": "s3cret-password"}
    )
    assert (target.tls, target.username, target.db, target.port) == (True, "viewer", 2, 6380)
    assert "s3cret" not in target.shown and redact("auth s3cret-password") == "auth <hidden>"
    from_env = target_from("", {"QUEUEWATCH_REDIS_URL": "redis://u:pw-from-env-1@h:1"}, "--from")
    assert (from_env.password, from_env.host) == ("pw-from-env-1", "h")
    with pytest.raises(ConfigError, match="redis:// or rediss://"):
        parse_target("http://localhost", {})
    with pytest.raises(ConfigError, match="only"):
        parse_target("redis://localhost/0?foo=1", {})


def test_the_command_needs_a_redis_url_and_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    from queuewatch.cli import main

    assert main(["collect", "--demo"], env={}) == 2
    assert "collect needs a Redis URL" in capsys.readouterr().err
    assert main(["collect", "--demo", "--to", "redis://u:pw-in-flag@127.0.0.1:1"], env={}) == 2
    err = capsys.readouterr().err
    assert "QUEUEWATCH_REDIS_PASSWORD" in err and "pw-in-flag" not in err
    assert main(["collect", "--demo", "--to", "redis://127.0.0.1:6379", "--org", "no spaces"], env={}) == 2
    assert main(["--from", "redis://127.0.0.1:6379", "--demo"], env={}) == 2
    assert "takes no --demo" in capsys.readouterr().err


def test_the_command_exits_4_without_redis(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from queuewatch.cli import main

    gone = RedisServer(tmp_path)  # nothing listens there
    assert main(["collect", "--demo", "--to", gone.url], env={}) == EXIT_UNAVAILABLE
    assert f"Redis unreachable at 127.0.0.1:{gone.port}" in capsys.readouterr().err


def test_the_readmes_collector_acl_can_collect(
    sim: SimulatorServer, redis_server: RedisServer, stream_keys: StreamKeys
) -> None:
    r = redis_server.client()
    cast(Any, r).execute_command(
        "ACL", "SETUSER", "collector", "reset", "on", ">collector-password-1", "~queuewatch:*",
        "resetchannels", "-@all", "+@read", "+@write", "+@connection", "-@dangerous",
    )  # fmt: skip
    r.close()
    target = redis_server.target("collector", "collector-password-1")
    collector = Collector(
        connect=sim_connect(sim),
        redis_factory=lambda: client(target),
        target=target,
        settings=CollectorSettings(keys=stream_keys, full_every=2),
        poller_settings=PollerSettings(interval=1.0),
        thresholds=Thresholds(),
        clock=RacingClock(),
    )
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(collector.run()), daemon=True)
    thread.start()
    until(lambda: collector.published >= 4)
    collector.stop()
    thread.join(timeout=30)
    assert result == [EXIT_OK]
    assert read_latest(redis_server.client(), stream_keys) is not None
