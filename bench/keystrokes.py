"""Keystrokes at scale, in a real pseudo-terminal: how long each takes to reach the screen.

For 100, 1,000 and 5,000 queues the simulator runs in a process of its own (``queuewatch simulate
--queues N``) and the dashboard in a 160x45 pseudo-terminal, reaching it through ``--region
http://127.0.0.1:PORT`` as it would reach Genesys Cloud (``--interval 60``, so that no poll lands
among the keystrokes). Nothing in the app is instrumented: an effect counts once its frame has
reached the terminal.

- first data: process start until the status bar says "updated";
- type one queue's whole name after ``/``, one character every 80 ms (a fast typist): from the
  last character until the status bar says ``1 of N queues`` (only its row is shown); and each
  character until the count for its prefix is on screen;
- Esc: until ``N queues`` is back; ``s``: until the header shows the next sort column (``Intr▼``);
  ↓: until the cursor's repaint has been written; Enter: until the queue's detail is on screen;
- main-thread CPU per keystroke: the UI thread's CPU time (``/proc/PID/task/PID/schedstat``)
  from the key until its frame was written, which the load of other processes does not inflate;
- RSS once the first data is on screen and settled.

Each figure is the median over ``--runs`` dashboards (a fresh process each).

    python -m bench.keystrokes [--sizes 100 1000 5000] [--runs 5] [--code DIR]

``--code DIR`` runs the dashboard from another copy of the source (``git archive`` of an older
commit unpacked in DIR), to measure "before" on the same machine; the simulator is this one.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from bench.idle import free_port, rss_mb
from bench.startup import sdk_import_seconds
from bench.terminal import Terminal, queuewatch
from queuewatch.names import name_matcher
from queuewatch.simulator.scenario import generate_scenario

COLUMNS, LINES = 160, 45
TYPING_GAP_S = 0.08
QUIET_S = 0.03
SEED = 7


def main_thread_cpu(pid: int) -> float:
    """Seconds of CPU the process's main (UI) thread has used."""
    with open(f"/proc/{pid}/task/{pid}/schedstat", encoding="ascii") as stat:
        return int(stat.read().split()[0]) / 1e9


@dataclass
class Figures:
    """One dashboard's figures, in seconds (CPU ones too) and MB."""

    first_data: float = 0.0
    rss: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    per_character: list[float] = field(default_factory=list)
    per_character_cpu: list[float] = field(default_factory=list)


class Watcher:
    """Sends a key, then waits for a marker (or for the output to go quiet) and times both."""

    def __init__(self, terminal: Terminal) -> None:
        self.terminal = terminal
        self.pid = terminal.process.pid

    def key(self, keys: str, marker: bytes | None, timeout: float = 30.0) -> tuple[float, float]:
        """Wall seconds until ``marker`` (a regex) is on screen, or until the output that follows
        the key has gone quiet; and the main thread's CPU seconds meanwhile."""
        terminal = self.terminal
        terminal.drain(0.0)
        start = len(terminal.output)
        cpu = main_thread_cpu(self.pid)
        sent = time.perf_counter()
        terminal.send(keys)
        deadline = sent + timeout
        pattern = re.compile(marker) if marker is not None else None
        last_output = None
        while time.perf_counter() < deadline:
            before = len(terminal.output)
            terminal.read(0.002)
            if len(terminal.output) > before:
                last_output = time.perf_counter()
            if pattern is not None and pattern.search(terminal.output, start):
                done = time.perf_counter()
                break
            if pattern is None and last_output is not None and time.perf_counter() - last_output > QUIET_S:
                done = last_output
                break
        else:
            raise TimeoutError(f"{keys!r}: {marker!r} not on screen within {timeout} s")
        terminal.drain(QUIET_S)
        return done - sent, main_thread_cpu(self.pid) - cpu


def type_at_pace(watcher: Watcher, name: str, total: int, timeout: float = 120.0) -> tuple[float, float]:
    """``/`` and ``name``, one character every ``TYPING_GAP_S`` whatever the screen does; then
    the wall seconds from the last character until the screen shows only its row and has gone
    quiet (a backlog of keystrokes shows here), and the main thread's CPU seconds for it all."""
    terminal = watcher.terminal
    start = len(terminal.output)
    cpu = main_thread_cpu(watcher.pid)
    for char in "/" + name[:-1]:
        terminal.send(char)
        terminal.drain(TYPING_GAP_S)
    terminal.send(name[-1])
    last = time.perf_counter()
    pattern = re.compile(count_marker(1, total))
    last_output = last
    while time.perf_counter() - last < timeout:
        before = len(terminal.output)
        terminal.read(0.002)
        if len(terminal.output) > before:
            last_output = time.perf_counter()
        if pattern.search(terminal.output, start) and time.perf_counter() - last_output > QUIET_S:
            return last_output - last, main_thread_cpu(watcher.pid) - cpu
    raise TimeoutError(f"{name!r}: only its row not on screen within {timeout} s")


def count_marker(shown: int, total: int) -> bytes:
    text = f"{total} queues" if shown == total else f"{shown} of {total} queues"
    return rb"(?<![0-9])(?<!of )" + re.escape(text.encode())


@contextmanager
def simulator(queues: int) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "queuewatch", "simulate", "--port", str(port), "--queues", str(queues)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert process.stdout is not None
        process.stdout.readline()  # its one line: serving http://127.0.0.1:PORT
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def one_dashboard(region: str, names: list[str], code: str | None, per_character: bool) -> Figures:
    total = len(names)
    env = {"GENESYSCLOUD_OAUTHCLIENT_ID": "bench", "GENESYSCLOUD_OAUTHCLIENT_SECRET": "bench"}
    if code:
        env["PYTHONPATH"] = code
    terminal = Terminal(  # from DIR: ``-m`` puts the working directory first on the path
        queuewatch("--region", region, "--interval", "60"), columns=COLUMNS, lines=LINES, env=env, cwd=code
    )
    figures = Figures()
    try:
        figures.first_data = terminal.wait_for(b"updated ", timeout=120)
        terminal.drain(3.0)  # the first frame, the aggregates, the countdown settle
        figures.rss = rss_mb(terminal.process.pid)
        watcher = Watcher(terminal)
        target = names[(2 * total) // 3]
        figures.timings["name"], figures.cpu["name"] = type_at_pace(watcher, target, total)
        figures.timings["esc"], figures.cpu["esc"] = watcher.key("\x1b", count_marker(total, total))
        terminal.drain(0.3)
        if per_character:
            watcher.key("/", None)
            for i in range(1, len(target) + 1):
                shown = sum(1 for name in names if name_matcher(target[:i])(name))
                previous = sum(1 for name in names if name_matcher(target[: i - 1])(name))
                marker = count_marker(shown, total) if shown != previous else None
                seconds, cpu = watcher.key(target[i - 1], marker)
                figures.per_character.append(seconds)
                figures.per_character_cpu.append(cpu)
                time.sleep(max(0.0, TYPING_GAP_S - seconds))
            watcher.key("\x1b", count_marker(total, total))
            terminal.drain(0.3)
        figures.timings["s"], figures.cpu["s"] = watcher.key("s", re.escape("Intr▼".encode()))
        figures.timings["down"], figures.cpu["down"] = watcher.key("\x1b[B", None)
        figures.timings["enter"], figures.cpu["enter"] = watcher.key("\r", b"Waiting, oldest first")
    finally:
        terminal.close()
    return figures


def typed_whole_name(size: int, runs: int, code: str | None, per_character: bool) -> list[Figures]:
    names = [queue.name for queue in generate_scenario(size, seed=SEED).queues]
    with simulator(size) as region:
        return [one_dashboard(region, names, code, per_character) for _ in range(runs)]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--code", help="run the dashboard from this copy of the source")
    parser.add_argument("--verbose", action="store_true", help="print every character's figures")
    parser.add_argument(
        "--no-per-character",
        type=int,
        nargs="*",
        default=[],
        metavar="N",
        help="at these sizes, skip timing each character on its own (a slow table takes minutes)",
    )
    args = parser.parse_args()
    sdk = statistics.median(sdk_import_seconds() for _ in range(3))
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{COLUMNS}x{LINES} pseudo-terminal, median of {args.runs}; SDK import {sdk:.2f} s; load {load}")
    print(
        "| queues | type one queue's whole name after `/` → only its row shown | Esc → all rows back "
        "| `s` → sorted | ↓ | Enter → detail | first data | RSS |"
    )
    print("|---|---|---|---|---|---|---|---|")
    details = []
    for size in args.sizes:
        runs = typed_whole_name(size, args.runs, args.code, size not in args.no_per_character)

        def cell(key: str, runs: list[Figures] = runs) -> str:
            wall = median([r.timings[key] for r in runs]) * 1000
            cpu = median([r.cpu[key] for r in runs]) * 1000
            return f"{wall:.0f} ms ({cpu:.0f} ms CPU)"

        first = median([r.first_data for r in runs])
        rss = median([r.rss for r in runs])
        print(
            f"| {size:,} | {cell('name')} | {cell('esc')} | {cell('s')} | {cell('down')} | {cell('enter')} "
            f"| {first:.2f} s | {rss:.0f} MB |"
        )
        chars = [t for r in runs for t in r.per_character]
        chars_cpu = [t for r in runs for t in r.per_character_cpu]
        if not chars:
            details.append(
                f"{size:>5} queues: first data runs " + ", ".join(f"{r.first_data:.2f}" for r in runs)
            )
            continue
        details.append(
            f"{size:>5} queues: each character of the name on screen in "
            f"{median(chars) * 1000:.0f} ms median, "
            f"{max(chars) * 1000:.0f} ms worst; main-thread CPU {median(chars_cpu) * 1000:.1f} ms median, "
            f"{max(chars_cpu) * 1000:.1f} ms worst; first data runs "
            + ", ".join(f"{r.first_data:.2f}" for r in runs)
        )
        if args.verbose:
            for r in runs:
                print(size, "per character ms:", [round(t * 1000) for t in r.per_character])
                print(size, "per character CPU ms:", [round(t * 1000, 1) for t in r.per_character_cpu])
    print()
    print("\n".join(details))


if __name__ == "__main__":
    main()
