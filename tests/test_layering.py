"""Where each kind of code may live: the pure core never pulls in the UI, and only the Genesys
adapter imports the SDK. Checked on what a fresh interpreter really loads, not on the source."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import queuewatch

PACKAGE = Path(queuewatch.__file__).parent
PURE = [
    "model",
    "thresholds",
    "poller",
    "config",
    "source",
    "names",
    "formatting",
    "regions",
    "errors",
    "genesys",
    "redact",
    "crash",
    "wire",
    "workers",
    "stream",
    "feed",
    "feeds",
    "collector",
    "recording",
    "redisstream",
    "events",
    "push",
]


def loaded_after_import(module: str) -> set[str]:
    code = f"import sys, queuewatch.{module}; print(' '.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(result.stdout.split())


@pytest.mark.parametrize("module", PURE)
def test_the_core_loads_neither_textual_nor_rich(module: str) -> None:
    loaded = loaded_after_import(module)
    assert not {name for name in loaded if name.split(".")[0] in {"textual", "rich"}}


def test_the_ui_does_not_load_the_sdk() -> None:
    loaded = loaded_after_import("tui.app")
    assert "PureCloudPlatformClientV2" not in loaded and "queuewatch.genesys" not in loaded
    assert "websockets" not in loaded and "queuewatch.push" not in loaded, "nor the WebSocket client"


@pytest.mark.parametrize("module", ["wire", "workers"])
def test_the_wire_format_and_the_batching_threads_load_no_sdk(module: str) -> None:
    loaded = loaded_after_import(module)
    assert "PureCloudPlatformClientV2" not in loaded and "queuewatch.genesys" not in loaded


def test_the_push_source_does_not_load_the_sdk() -> None:
    assert "PureCloudPlatformClientV2" not in loaded_after_import("push")


def importers_of(package: str) -> set[str]:
    importers = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if any(name.split(".")[0] == package for name in names):
                importers.add(path.relative_to(PACKAGE).as_posix())
    return importers


def test_only_the_adapter_imports_the_sdk() -> None:
    assert importers_of("PureCloudPlatformClientV2") == {"genesys.py"}


def test_only_the_push_source_and_the_simulator_speak_websocket() -> None:
    assert importers_of("websockets") == {"push.py", "simulator/notifications.py"}


def test_the_readme_s_module_map_names_every_module() -> None:
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("## How it works", 1)[1].split("```", 2)[1]
    listed: set[str] = set()
    folder = ""
    for line in block.splitlines():
        words = line.split()
        if not words or line.startswith(" " * 8):
            continue
        if words[0].endswith("/") and line.startswith("  "):
            folder = words[0]
        elif words[0].endswith(".py"):
            nested = line.startswith("    ")
            listed.add(folder + words[0] if nested else words[0])
    modules = {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.name not in ("__init__.py", "__main__.py")
    }
    assert listed == modules


VIEWER_PATH = """
import sys, threading
from queuewatch import cli
from queuewatch.tui.app import QueuewatchApp
from queuewatch.feeds import RedisFeed
from queuewatch.poller import SnapshotReceived

apps = []
QueuewatchApp.run = lambda self, **kw: apps.append(self)  # everything up to the screen
assert cli.main(["--from", sys.argv[1], "--org", sys.argv[2]], env={}) == 0
feed = apps[0].poller
assert isinstance(feed, RedisFeed)
got = threading.Event()
feed._emit = lambda event: got.set() if isinstance(event, SnapshotReceived) else None
threading.Thread(target=feed.run, daemon=True).start()
assert got.wait(30), "no snapshot from the stream"
feed.stop()
print(" ".join(sorted(sys.modules)))
"""


def test_the_viewer_path_loads_no_sdk(redis_server: Any, stream_keys: Any) -> None:
    """``queuewatch --from``: the command, the app and the Redis feed up to a first snapshot load
    neither the Genesys SDK nor the adapter."""
    from datetime import UTC, datetime

    from queuewatch.model import Snapshot
    from queuewatch.poller import Allowance, SnapshotReceived
    from queuewatch.redisstream import add
    from queuewatch.source import RateStatus
    from queuewatch.stream import Journal
    from queuewatch.thresholds import Thresholds
    from tests.fakes import sample_queues

    now = datetime.now(UTC)
    journal = Journal("r", Thresholds(), wall_clock=lambda: now, clock=lambda: 0.0)
    entries = journal.on_event(
        SnapshotReceived(Snapshot(now, tuple(sample_queues())), RateStatus(), 1.0, Allowance())
    )
    r = redis_server.client()
    add(r, stream_keys, entries, journal.latest(), keep_ms=10**9, floor_ms=0)
    r.close()
    result = subprocess.run(
        [sys.executable, "-c", VIEWER_PATH, redis_server.url, stream_keys.org],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    loaded = set(result.stdout.split())
    assert "redis" in loaded and "queuewatch.feeds" in loaded
    assert "PureCloudPlatformClientV2" not in loaded and "queuewatch.genesys" not in loaded
