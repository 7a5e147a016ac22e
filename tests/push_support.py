"""Helpers for the push tests: a clock tests move by hand, waiting on a condition, a raw WebSocket."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from websockets.sync.client import ClientConnection, connect

from tests.clocks import until


class FakeClock:
    """A clock that moves only when told (thread-safe): ``clock()`` reads it, ``advance(s)`` moves it."""

    def __init__(self, start: float = 1_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


def wait_for(predicate: Callable[[], object], what: str, timeout: float = 15.0) -> None:
    """Wait until ``predicate()`` holds (something another thread does); fail after ``timeout``."""
    until(predicate, what, timeout)


class RawSocket:
    """A plain WebSocket client for the simulator's tests: messages as parsed JSON."""

    def __init__(self, uri: str) -> None:
        self.connection: ClientConnection = connect(
            uri, open_timeout=5, close_timeout=1, max_queue=None, proxy=None, legacy=True
        )

    def next(self, timeout: float = 10.0) -> dict[str, Any]:
        data = json.loads(self.connection.recv(timeout=timeout))
        assert isinstance(data, dict)
        return data

    def next_on(self, topic: str, timeout: float = 10.0) -> dict[str, Any]:
        """The next message on ``topic`` (others are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.next(max(0.01, deadline - time.monotonic()))
            if message.get("topicName") == topic:
                return message

    def send(self, data: dict[str, Any]) -> None:
        self.connection.send(json.dumps(data))

    def close(self) -> None:
        self.connection.close()


def to_wire(obj: Any) -> Any:
    """An SDK model back in wire form (camelCase keys, unset fields left out)."""
    if isinstance(obj, list):
        return [to_wire(x) for x in obj]
    if isinstance(obj, dict):
        return {k: to_wire(v) for k, v in obj.items()}
    if hasattr(obj, "swagger_types"):
        return {
            obj.attribute_map[a]: to_wire(getattr(obj, a))
            for a in obj.swagger_types
            if getattr(obj, a) is not None
        }
    return obj


class JsonReply:
    """Just enough of a REST response for ``ApiClient.deserialize``."""

    def __init__(self, data: Any) -> None:
        self.data = json.dumps(data)

    def getheader(self, name: str) -> str | None:
        return "application/json" if name.lower() == "content-type" else None
