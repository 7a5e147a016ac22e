"""Soak of the whole dashboard: CPU per minute, RSS, threads and open files, start after start.

The real app runs in a pseudo-terminal against the simulator in a process of its own (``queuewatch
simulate --queues N --speed X``), with random faults thrown at the simulator (5xx, dropped
connections, malformed JSON, slow replies, 429 bursts, revoked tokens) and keys pressed now and then
(filter, sort, detail, pause). Each run records the CPU the dashboard used in every whole minute
(from /proc), and its RSS, threads and open files at the start and the end. The dashboard runs with
``QUEUEWATCH_CPU_WATCH=1`` and a log file, so a spin would leave every thread's stack there.

    python -m bench.dashboard_soak [--starts 20] [--minutes 10] [--queues 1000] [--interval 5]
                                   [--speed 1] [--faults]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.idle import cpu_seconds, free_port, rss_mb
from bench.terminal import Terminal, queuewatch

KEYS = [["/", "a", "b", "\x1b"], ["s"], ["S"], ["\r", "\x1b"], ["p", "p"], ["j", "j", "k"], ["n"], ["m", "m"]]


@dataclass
class Run:
    minutes: list[float] = field(default_factory=list)
    """CPU share of one core in each whole minute, in %."""
    rss_start: float = 0.0
    rss_end: float = 0.0
    threads: tuple[int, int] = (0, 0)
    files: tuple[int, int] = (0, 0)
    spin_reports: int = 0


def threads_of(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return 0


def files_of(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


def admin(base_url: str, path: str, body: dict[str, object] | None = None) -> None:
    request = urllib.request.Request(
        f"{base_url}{path}",
        data=json.dumps(body or {}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            reply.read()
    except OSError:
        pass


def throw_faults(base_url: str, stop: threading.Event, rng: random.Random) -> None:
    while not stop.wait(rng.uniform(5, 20)):
        kind = rng.choice(["5xx", "drop", "malformed", "slow", "429", "revoke"])
        if kind == "5xx":
            admin(base_url, "/admin/faults", {"fail_rate": 1.0, "fail_status": 503, "remaining": 2})
        elif kind == "drop":
            admin(base_url, "/admin/faults", {"drop_rate": 1.0, "remaining": 1})
        elif kind == "malformed":
            admin(base_url, "/admin/faults", {"malformed_rate": 1.0, "remaining": 1})
        elif kind == "slow":
            admin(base_url, "/admin/faults", {"hang_s": 0.5, "remaining": 1})
        elif kind == "429":
            admin(base_url, "/admin/faults", {"rate_limit_next": 2, "retry_after": 3})
        else:
            admin(base_url, "/admin/revoke-tokens")


def one_run(args: argparse.Namespace, base_url: str, seed: int, log: Path) -> Run:
    rng = random.Random(seed)
    env = {
        "GENESYSCLOUD_OAUTHCLIENT_ID": "soak",
        "GENESYSCLOUD_OAUTHCLIENT_SECRET": "soak",
        "QUEUEWATCH_CPU_WATCH": "1",
    }
    argv = queuewatch("--region", base_url, "--interval", str(args.interval), "--log-file", str(log))
    run = Run()
    with tempfile.TemporaryDirectory() as cwd:
        terminal = Terminal(argv, columns=200, lines=50, env=env, cwd=cwd)
        stop = threading.Event()
        faults = threading.Thread(target=throw_faults, args=(base_url, stop, rng), daemon=True)
        try:
            terminal.wait_for(b"updated", timeout=120)
            pid = terminal.process.pid
            run.rss_start, run.threads, run.files = rss_mb(pid), (threads_of(pid), 0), (files_of(pid), 0)
            if args.faults:
                faults.start()
            for _ in range(args.minutes):
                cpu0, t0 = cpu_seconds(pid), time.perf_counter()
                end = t0 + 60
                while time.perf_counter() < end:
                    terminal.drain(min(rng.uniform(5, 25), max(0.0, end - time.perf_counter())))
                    if time.perf_counter() < end:
                        for key in rng.choice(KEYS):
                            terminal.send(key)
                            terminal.drain(0.3)
                run.minutes.append(100 * (cpu_seconds(pid) - cpu0) / (time.perf_counter() - t0))
                terminal.output.clear()
            run.rss_end = rss_mb(pid)
            run.threads = (run.threads[0], threads_of(pid))
            run.files = (run.files[0], files_of(pid))
        finally:
            stop.set()
            terminal.close()
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    run.spin_reports = text.count("of a core over the last")
    return run


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--starts", type=int, default=20)
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--queues", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--faults", action="store_true", help="throw random faults at the simulator")
    args = parser.parse_args()
    port = free_port()
    simulator = subprocess.Popen(
        [
            *queuewatch("simulate", "--port", str(port), "--queues", str(args.queues)),
            "--speed",
            str(args.speed),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    runs: list[Run] = []
    try:
        assert simulator.stdout is not None
        simulator.stdout.readline()
        base_url = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as logs:
            for start in range(args.starts):
                run = one_run(args, base_url, seed=start, log=Path(logs) / f"run-{start}.log")
                runs.append(run)
                minutes = " ".join(f"{m:.1f}" for m in run.minutes)
                print(
                    f"run {start + 1:2d}: CPU % per minute [{minutes}]; RSS {run.rss_start:.0f} -> "
                    f"{run.rss_end:.0f} MB; threads {run.threads[0]} -> {run.threads[1]}; "
                    f"files {run.files[0]} -> {run.files[1]}; spin reports {run.spin_reports}",
                    flush=True,
                )
    finally:
        simulator.terminate()
        simulator.wait(10)
    every = [m for run in runs for m in run.minutes]
    faults = ", faults" if args.faults else ""
    print(
        f"{len(runs)} starts x {args.minutes} min, {args.queues} queues, {args.interval:g} s interval"
        f"{faults}: minutes {len(every)}; median {statistics.median(every):.2f} %, "
        f"max {max(every):.2f} % of one core (targets: median <= 3 %, no minute above 10 %); "
        f"spin reports {sum(r.spin_reports for r in runs)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
