"""Soak: thousands of polls with random faults; threads, open files and memory must stay flat.

Runs the real poller and the real Genesys source against the simulator at an accelerated cadence
(a few milliseconds between polls). After each poll a seeded choice of fault is set for the
requests that follow: 5xx, dropped connections, malformed JSON, slow replies, 429 bursts, token
revocations, outages long enough to fail a whole poll. The faults follow the polls, not a timer,
so the same seed throws the same faults in the same order however busy the machine is (the
batches of each poll still race each other for them). The simulator runs in a process of its own
(driven through its admin endpoint), so threads, files and memory are queuewatch's alone. Prints
the figures.

    python bench/soak.py [--polls 2000]

A short version runs in the test suite (tests/test_soak.py); the long one is ``pytest -m soak``
or this script.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field

from queuewatch.genesys import Credentials, GenesysSource, SourceSettings
from queuewatch.poller import BackingOff, Poller, PollerEvent, PollerSettings, PollFailed, SnapshotReceived


def rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


@dataclass
class Sample:
    polls: int
    threads: int
    files: int
    rss_kb: int


@dataclass
class SoakResult:
    polls: int = 0
    backoffs: int = 0
    failures: int = 0
    internal_errors: int = 0
    partial: int = 0
    unhandled: list[str] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def start(self) -> Sample:
        return self.samples[0]

    @property
    def end(self) -> Sample:
        return self.samples[-1]


def _admin(base_url: str, path: str, body: dict[str, object] | None = None) -> None:
    request = urllib.request.Request(
        f"{base_url}{path}",
        data=json.dumps(body or {}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as reply:
        reply.read()


class FaultPlan:
    """One seeded fault after each poll, set on the simulator before the next one starts."""

    def __init__(self, base_url: str, seed: int) -> None:
        self.base_url = base_url
        self.rng = random.Random(seed)

    def next(self) -> None:
        rng, base_url = self.rng, self.base_url
        roll = rng.random()
        if roll < 0.3:
            faults: dict[str, object] = {"fail_rate": 1.0, "fail_status": rng.choice([500, 502, 503, 504])}
            _admin(base_url, "/admin/faults", {**faults, "remaining": 2})
        elif roll < 0.4:
            _admin(base_url, "/admin/faults", {"drop_rate": 1.0, "remaining": 1})
        elif roll < 0.5:
            _admin(base_url, "/admin/faults", {"malformed_rate": 1.0, "remaining": 1})
        elif roll < 0.55:
            _admin(base_url, "/admin/faults", {"hang_s": 0.3, "remaining": 1})
        elif roll < 0.7:
            _admin(base_url, "/admin/faults", {"rate_limit_next": 3, "retry_after": None})
        elif roll < 0.75:
            _admin(base_url, "/admin/revoke-tokens")
        elif roll < 0.8:
            # An outage: every request of the next poll fails, so the poller backs off.
            _admin(base_url, "/admin/faults", {"fail_rate": 1.0, "fail_status": 503, "remaining": 12})
        else:
            _admin(base_url, "/admin/reset")


def _start_simulator(seed: int) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "queuewatch",
            "simulate",
            "--port",
            str(port),
            "--seed",
            str(seed),
            "--rate-limit",
            str(10**9),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdout is not None
    process.stdout.readline()  # "queuewatch simulator serving http://127.0.0.1:PORT ..."
    return process, f"http://127.0.0.1:{port}"


def soak(polls: int, seed: int = 11, sample_every: int = 100) -> SoakResult:
    result = SoakResult()
    previous_hook = threading.excepthook

    def record_unhandled(args: threading.ExceptHookArgs) -> None:
        result.unhandled.append(f"{args.exc_type.__name__}: {args.exc_value}")

    threading.excepthook = record_unhandled
    simulator, base_url = _start_simulator(seed)
    plan = FaultPlan(base_url, seed)
    done = threading.Event()
    settings = SourceSettings(
        base_url=base_url,
        label="soak",
        batch_size=10,
        concurrency=4,
        connect_timeout=0.5,
        read_timeout=0.1,
    )
    poller: Poller

    def emit(event: PollerEvent) -> None:
        if isinstance(event, SnapshotReceived):
            result.polls += 1
            result.partial += event.snapshot.partial
            if result.polls % sample_every == 0:
                gc.collect()
                result.samples.append(Sample(result.polls, threading.active_count(), open_files(), rss_kb()))
            if result.polls >= polls:
                done.set()
                poller.stop()
            else:
                plan.next()
        elif isinstance(event, BackingOff):
            result.backoffs += 1
        elif isinstance(event, PollFailed):
            result.failures += 1
            result.internal_errors += event.kind == "internal"

    poller = Poller(
        lambda: GenesysSource(settings, Credentials("soak", "soak")),
        emit,
        PollerSettings(
            interval=0.002,
            min_interval=0,
            today_every=0.05,
            queues_every=0.5,
            max_backoff=0.02,
            blocked_retry=0.05,
            assumed_allowance=10**9,
        ),
    )
    started = time.monotonic()
    thread = threading.Thread(target=poller.run, name="soak-poller")
    thread.start()
    try:
        done.wait()
    finally:
        poller.stop()
        thread.join(5)
        simulator.terminate()
        simulator.wait(10)
        threading.excepthook = previous_hook
    result.seconds = time.monotonic() - started
    return result


def report(result: SoakResult) -> str:
    start, end = result.start, result.end
    return (
        f"{result.polls} polls in {result.seconds:.1f} s; {result.backoffs} backoffs, "
        f"{result.failures} failed polls, {result.partial} partial snapshots, "
        f"{result.internal_errors} internal errors, "
        f"{len(result.unhandled)} unhandled exceptions\n"
        f"threads {start.threads} -> {end.threads}; open files {start.files} -> {end.files}; "
        f"RSS {start.rss_kb / 1024:.1f} MB at poll {start.polls} -> "
        f"{end.rss_kb / 1024:.1f} MB at poll {end.polls} ({(end.rss_kb - start.rss_kb) / 1024:+.1f} MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--polls", type=int, default=2000)
    args = parser.parse_args()
    print(report(soak(args.polls)))


if __name__ == "__main__":
    main()
