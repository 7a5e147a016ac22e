"""A watch on the process's own CPU time, to catch a busy loop in the act.

Plain threading, no Textual. Off unless asked for (``QUEUEWATCH_CPU_WATCH=1``, see the README's
troubleshooting section). Once a second it reads the process's CPU time; when the process has
used more than ``threshold`` of a core over the last ``window`` seconds, it writes every thread's
stack and a line of the caller's state (the poller's) to the log, then stays quiet for
``quiet_after`` seconds so that a long spin does not fill the disk.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable

log = logging.getLogger(__name__)

#: The environment variable that turns the watch on.
ENV_VAR = "QUEUEWATCH_CPU_WATCH"


def thread_stacks() -> str:
    """Every thread's current stack, innermost call last, each under its thread's name."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    parts = []
    for ident, frame in sys._current_frames().items():
        stack = "".join(traceback.format_stack(frame))
        parts.append(f"--- thread {names.get(ident, '?')} ({ident}) ---\n{stack}")
    return "\n".join(parts)


class CpuWatch:
    """Samples CPU time against wall time; ``check()`` reports a sustained spin.

    ``cpu_clock`` and ``clock`` are injectable (tests drive them); ``report`` receives the text to
    log. ``check()`` is what the thread calls every second.
    """

    def __init__(
        self,
        state: Callable[[], str],
        *,
        threshold: float = 0.5,
        window: float = 10.0,
        quiet_after: float = 300.0,
        cpu_clock: Callable[[], float] = time.process_time,
        clock: Callable[[], float] = time.monotonic,
        report: Callable[[str], None] | None = None,
    ) -> None:
        self._state = state
        self.threshold = threshold
        self.window = window
        self.quiet_after = quiet_after
        self._cpu = cpu_clock
        self._clock = clock
        self._report = report or (lambda text: log.warning("%s", text))
        self._samples: deque[tuple[float, float]] = deque()
        self._quiet_until = float("-inf")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.reports = 0

    def check(self) -> bool:
        """Take a sample; True when a spin was reported now."""
        now, cpu = self._clock(), self._cpu()
        samples = self._samples
        samples.append((now, cpu))
        while len(samples) > 2 and now - samples[1][0] >= self.window:
            samples.popleft()
        first_at, first_cpu = samples[0]
        span = now - first_at
        if span < self.window or now < self._quiet_until:
            return False
        share = (cpu - first_cpu) / span
        if share <= self.threshold:
            return False
        self._quiet_until = now + self.quiet_after
        self.reports += 1
        self._report(
            f"CPU {share:.0%} of a core over the last {span:.0f} s; state: {self._state()}\n{thread_stacks()}"
        )
        return True

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="queuewatch-cpuwatch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            try:
                self.check()
            except Exception:  # a diagnostic must never take the dashboard down
                log.exception("the CPU watch failed")
                return

    def stop(self) -> None:
        self._stop.set()
