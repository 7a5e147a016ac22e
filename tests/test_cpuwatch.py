"""The dashboard never spins a core: the SDK's home-directory watcher is stopped, and a spin, were
one to happen, is caught in the act (every thread's stack and the poller's state, in the log)."""

from __future__ import annotations

import threading
from pathlib import Path

from queuewatch.cpuwatch import CpuWatch, thread_stacks
from queuewatch.poller import Poller
from queuewatch.source import QueueSource


class Clocks:
    """Wall and CPU time that move only when the test says."""

    def __init__(self) -> None:
        self.now = 0.0
        self.cpu = 0.0

    def tick(self, seconds: float, busy: float) -> None:
        self.now += seconds
        self.cpu += seconds * busy


def watch(clocks: Clocks, reports: list[str]) -> CpuWatch:
    return CpuWatch(
        lambda: "poller state here",
        cpu_clock=lambda: clocks.cpu,
        clock=lambda: clocks.now,
        report=reports.append,
    )


def test_a_quiet_process_is_never_reported() -> None:
    clocks, reports = Clocks(), list[str]()
    cpu = watch(clocks, reports)
    for _ in range(120):
        clocks.tick(1.0, busy=0.04)
        cpu.check()
    assert reports == []


def test_a_short_burst_is_not_a_spin() -> None:
    clocks, reports = Clocks(), list[str]()
    cpu = watch(clocks, reports)
    for second in range(60):
        clocks.tick(1.0, busy=1.0 if 20 <= second < 24 else 0.02)
        cpu.check()
    assert reports == []


def test_ten_seconds_above_half_a_core_writes_the_stacks_and_state_once() -> None:
    clocks, reports = Clocks(), list[str]()
    cpu = watch(clocks, reports)
    for _ in range(5):
        clocks.tick(1.0, busy=0.02)
        assert not cpu.check()
    fired = []
    for _ in range(40):
        clocks.tick(1.0, busy=0.97)
        fired.append(cpu.check())
    assert fired.count(True) == 1
    assert len(reports) == 1
    text = reports[0]
    assert "of a core over the last 10 s" in text and "poller state here" in text
    assert f"--- thread {threading.current_thread().name}" in text
    assert "test_cpuwatch.py" in text  # the stack of the thread that was running


def test_a_spin_that_goes_on_is_reported_again_after_the_quiet_period() -> None:
    clocks, reports = Clocks(), list[str]()
    cpu = watch(clocks, reports)
    for _ in range(320):
        clocks.tick(1.0, busy=1.0)
        cpu.check()
    assert len(reports) == 2


def test_thread_stacks_name_every_thread() -> None:
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, name="waiting-worker", daemon=True)
    worker.start()
    try:
        stacks = thread_stacks()
    finally:
        stop.set()
        worker.join()
    assert "--- thread waiting-worker" in stacks and "--- thread MainThread" in stacks


def test_the_poller_says_where_it_is() -> None:
    def connect() -> QueueSource:
        raise AssertionError("not called")

    poller = Poller(connect, lambda event: None)
    poller.pause()
    line = poller.state_line()
    assert "source=connecting" in line and "paused=True" in line and "interval=5s" in line


def test_the_sdk_config_watcher_is_stopped_whichever_way_its_race_went(tmp_path: Path) -> None:
    """The SDK's import races two threads; when its watcher thread wins, it watches the folder of
    ``~/.genesyscloudpython/config`` (the home directory, recursively, when that folder does not
    exist). Here that race is lost on purpose, on a folder of the test's own."""
    import PureCloudPlatformClientV2 as sdk
    from watchdog.observers import Observer

    from queuewatch.genesys import stop_sdk_config_watcher

    config = sdk.configuration
    assert config.live_reload_config is False  # importing queuewatch.genesys stopped it
    original_path = config.config_file_path
    observer = Observer()
    observer.start()
    config._observer = observer
    config.live_reload_config = True
    config.config_file_path = str(tmp_path / "missing" / "config")  # the SDK schedules its watch here
    try:
        assert [emitter.watch.path for emitter in observer.emitters] == [str(tmp_path)]
        stop_sdk_config_watcher(config)
        observer.join(5)
        assert not observer.emitters
        assert not observer.is_alive()
        assert config.live_reload_config is False
    finally:
        config.config_file_path = original_path
    assert not observer.emitters  # setting the path again, with reloading off, watches nothing
