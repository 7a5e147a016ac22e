"""A real ``redis-server`` on loopback for the tests: started in a temp dir, stopped at the end.

``redis_server`` is one server for the session (each test gets its own org's keys through
``stream_keys``); ``own_redis`` is a server of the test's own, for tests that stop it. No fake:
``redis-server`` (7 or newer) must be installed (``.ci/run`` installs it: ``apt-get install
redis-server``).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from queuewatch.redisstream import RedisTarget, StreamKeys, client, parse_target
from tests.clocks import until


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """One ``redis-server`` process on 127.0.0.1, no persistence, in ``directory``."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed: `apt-get install redis-server` (.ci/run does it)")
        self.binary = binary
        self.directory = directory
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def target(self, user: str | None = None, password: str | None = None) -> RedisTarget:
        env = {"QUEUEWATCH_REDIS_PASSWORD": password} if password else {}
        netloc = f"{user}@" if user else ""
        return parse_target(f"redis://{netloc}127.0.0.1:{self.port}/0", env)

    def client(self) -> redis.Redis:
        return client(self.target(), timeout=5.0)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        process = self.process

        def answering() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"redis-server exited before answering on port {self.port}")
            r = self.client()
            try:
                return bool(r.ping())
            except redis.ConnectionError:
                return False
            finally:
                r.close()

        until(answering, f"redis-server on port {self.port}", timeout=15)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        self.process = None

    def version(self) -> tuple[int, ...]:
        r = self.client()
        try:
            info = r.info("server")
        finally:
            r.close()
        return tuple(int(p) for p in str(info["redis_version"]).split(".")[:2])


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A server of the test's own (it may stop and start it)."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def stream_keys() -> StreamKeys:
    """Keys of an org of the test's own."""
    return StreamKeys(org=f"t{uuid.uuid4().hex[:10]}")
