"""Idle cost: CPU % and RSS of the dashboard over a minute, polling 200 queues every 5 s.

The simulator runs in a process of its own (``queuewatch simulate --queues 200``) so that only
the dashboard's own cost is measured; the dashboard runs in a 100x30 pseudo-terminal and reaches
the simulator through ``--region http://127.0.0.1:PORT`` exactly as it would reach Genesys Cloud.

    python bench/idle.py [--seconds 60] [--queues 200] [--live auto|push|poll]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time

from bench.terminal import Terminal, queuewatch

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--queues", type=int, default=200)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--live", choices=("auto", "push", "poll"), default="auto")
    args = parser.parse_args()
    port = free_port()
    simulator = subprocess.Popen(
        [sys.executable, "-m", "queuewatch", "simulate", "--port", str(port), "--queues", str(args.queues)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert simulator.stdout is not None
        simulator.stdout.readline()  # its one line: serving http://127.0.0.1:PORT
        env = {"GENESYSCLOUD_OAUTHCLIENT_ID": "bench", "GENESYSCLOUD_OAUTHCLIENT_SECRET": "bench"}
        region = f"http://127.0.0.1:{port}"
        command = queuewatch("--region", region, "--interval", str(args.interval), "--live", args.live)
        terminal = Terminal(command, env=env)
        try:
            terminal.wait_for(b"updated", timeout=60)
            terminal.drain(args.interval * 2)  # settle: the first aggregates and the queue list are in
            pid = terminal.process.pid
            cpu0, rss0, t0 = cpu_seconds(pid), rss_mb(pid), time.perf_counter()
            terminal.drain(args.seconds)
            cpu1, rss1, t1 = cpu_seconds(pid), rss_mb(pid), time.perf_counter()
        finally:
            terminal.close()
    finally:
        simulator.terminate()
        simulator.wait(10)
    share = 100 * (cpu1 - cpu0) / (t1 - t0)
    print(
        f"{args.queues} queues, {args.interval:g} s interval, --live {args.live}, {t1 - t0:.0f} s: "
        f"CPU {share:.2f} % of one core "
        f"(target <= 2 %); RSS {rss0:.1f} MB -> {rss1:.1f} MB ({rss1 - rss0:+.1f} MB)"
    )


if __name__ == "__main__":
    main()
