"""A fake clock for the poller, the simulator and the dashboard: no test waits on the wall clock.

``FakeClock`` reads as Unix seconds (so one instance can drive the poller, the simulator's
contact centre and its token expiry, and the timestamps of snapshots) and moves only when told:

- ``advance(s)`` moves it now;
- ``tick(s)`` waits (really, briefly) until something sleeps on the clock, then moves it: the way
  to say "the next poll is due" without racing the poller;
- ``run_until(done)`` lets the sleepers run, jumping the clock to each wake-up they ask for,
  until ``done()`` holds;
- ``tick_async`` and ``run_until_async`` are the same for a Textual test (the app keeps running);
- with ``autojump``, every wait moves the clock to its end at once (a one-shot ``snapshot``).

The poller sleeps through ``wait(event, seconds)``: it returns as soon as ``event`` is set (stop,
refresh, pause) or the clock has moved ``seconds`` past the call.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from textual.pilot import Pilot

#: Monday 2 March 2026, 11:00 in London: a working morning.
START = datetime(2026, 3, 2, 11, 0, tzinfo=UTC).timestamp()
#: How often a sleeper looks at its event (which cannot notify the clock): real seconds.
EVENT_POLL = 0.01


def until(condition: Callable[[], object], what: str = "", timeout: float = 15.0) -> None:
    """Return as soon as ``condition()`` holds: something another thread or process does (a
    poller's event, a server's reply). Never a wait for time to pass; ``timeout`` is a failure's
    guard (real seconds), and the condition is looked at every ``EVENT_POLL``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(EVENT_POLL)


def jumping() -> FakeClock:
    """A fake clock starting now (so it agrees with a simulator on the real time) that jumps
    through every wait: a one-shot ``snapshot`` backs off without waiting."""
    return FakeClock(time.time(), autojump=True)


class FakeClock:
    """Unix seconds that move only when a test says so (see the module docstring)."""

    def __init__(self, start: float = START, *, autojump: bool = False) -> None:
        self._now = float(start)
        self._autojump = autojump
        self._cond = threading.Condition()
        self._sleepers: list[float] = []
        """Deadlines of the waits in progress."""

    def __call__(self) -> float:
        with self._cond:
            return self._now

    def datetime(self) -> datetime:
        """The clock as an aware UTC datetime (for ``wall_clock`` parameters)."""
        return datetime.fromtimestamp(self(), UTC)

    def advance(self, seconds: float) -> None:
        with self._cond:
            self._now += seconds
            self._cond.notify_all()

    def wait(self, event: threading.Event, seconds: float) -> bool:
        """Sleep until ``event`` is set or the clock has moved ``seconds``; whether ``event`` is set."""
        with self._cond:
            deadline = self._now + seconds
            if self._autojump:
                if not event.is_set():
                    self._now = max(self._now, deadline)
                return event.is_set()
            self._sleepers.append(deadline)
            self._cond.notify_all()
            try:
                while not event.is_set() and self._now < deadline:
                    self._cond.wait(EVENT_POLL)
            finally:
                self._sleepers.remove(deadline)
        return event.is_set()

    def _next_wakeup(self) -> float | None:
        pending = [deadline for deadline in self._sleepers if deadline > self._now]
        return min(pending) if pending else None

    def sleeping(self) -> bool:
        """Whether something is waiting on the clock for a time still to come."""
        with self._cond:
            return self._next_wakeup() is not None

    def tick(self, seconds: float, timeout: float = 30.0) -> None:
        """Wait until something sleeps on the clock, then move it ``seconds``."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._next_wakeup() is not None, timeout):
                raise AssertionError(f"nothing slept on the clock within {timeout} s")
            self._now += seconds
            self._cond.notify_all()

    def _jump(self) -> bool:
        """Move to the earliest wake-up asked for, if any; whether it moved."""
        with self._cond:
            wakeup = self._next_wakeup()
            if wakeup is None:
                return False
            self._now = wakeup
            self._cond.notify_all()
            return True

    def run_until(self, done: Callable[[], object], timeout: float = 30.0, limit: float = 3600.0) -> None:
        """Let the sleepers run, jumping to each wake-up, until ``done()``; at most ``limit`` clock
        seconds and ``timeout`` real ones."""
        real_deadline = time.monotonic() + timeout
        clock_deadline = self() + limit
        while not done():
            if time.monotonic() > real_deadline or self() > clock_deadline:
                raise AssertionError(f"not done after {timeout} s, at clock +{self() - START:.1f} s")
            if not self._jump():
                with self._cond:
                    self._cond.wait(EVENT_POLL)

    async def tick_async(self, pilot: Pilot[Any], seconds: float, timeout: float = 30.0) -> None:
        """``tick`` for a Textual test: the app keeps running while waiting for a sleeper."""
        loop = asyncio.get_running_loop()
        real_deadline = loop.time() + timeout
        while not self.sleeping():
            if loop.time() > real_deadline:
                raise AssertionError(f"nothing slept on the clock within {timeout} s")
            await asyncio.sleep(EVENT_POLL)
        self.advance(seconds)
        await pilot.pause()

    async def run_until_async(
        self, pilot: Pilot[Any], done: Callable[[], object], timeout: float = 30.0, limit: float = 3600.0
    ) -> None:
        """``run_until`` for a Textual test: the app keeps running while the clock jumps."""
        loop = asyncio.get_running_loop()
        real_deadline = loop.time() + timeout
        clock_deadline = self() + limit
        while not done():
            if loop.time() > real_deadline or self() > clock_deadline:
                raise AssertionError(f"not done after {timeout} s, at clock +{self() - START:.1f} s")
            # A plain sleep lets the app handle its messages; a pilot pause would also redraw.
            await asyncio.sleep(0 if self._jump() else EVENT_POLL)
        await pilot.pause()
