"""Run ``queuewatch`` in a pseudo-terminal, the way a supervisor's terminal would, and watch it.

Shared by the startup and idle benchmarks: nothing in the app is instrumented; what counts is
what reaches the terminal.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Mapping, Sequence


class Terminal:
    """A child process on a pty of the given size; its output is collected as it arrives."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        columns: int = 100,
        lines: int = 30,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
    ) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        environ = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(lines)}
        environ.update(env or {})
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=environ,
            cwd=cwd,
            close_fds=True,
            start_new_session=True,
        )
        os.close(slave)
        self.master = master
        self.output = bytearray()

    def read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            with contextlib.suppress(OSError):
                self.output.extend(os.read(self.master, 65536))

    def wait_for(self, marker: bytes, timeout: float = 30.0) -> float:
        """Seconds from process start until ``marker`` appeared on the terminal."""
        deadline = time.perf_counter() + timeout
        while marker not in self.output:
            if time.perf_counter() > deadline:
                tail = bytes(self.output[-400:])
                raise TimeoutError(f"{marker!r} did not appear within {timeout} s; last output {tail!r}")
            self.read(0.005)
        return time.perf_counter() - self.started

    def drain(self, seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            self.read(min(0.2, max(0.0, end - time.perf_counter())))

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def close(self) -> None:
        if self.process.poll() is None:
            self.send("q")
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        os.close(self.master)


def queuewatch(*args: str) -> list[str]:
    return [sys.executable, "-m", "queuewatch", *args]
