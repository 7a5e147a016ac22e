"""Soak by push: the poller and the push source under socket faults; no crash, no leak, stale marked.

The real poller, push source (``auto``), SDK and WebSockets against ``queuewatch simulate`` in a
process of its own (0.2 s heartbeats, 4 s channels), at an accelerated cadence, while a fault thread
drops sockets, sends ``v2.system.socket_closing``, silences heartbeats, refuses channels, stops
publishing for queues, sends bad events, fails REST calls, and takes "Genesys" down altogether.
Throughout, a watcher folds every poller event into the status bar's own state (``PollStatus``)
and checks every 20 ms that data older than two intervals is marked STALE. After each socket
fault (and each outage's end) it measures how long until fresh figures arrive again. Prints the
figures.

    python -m bench.soak_push [--seconds 120]

A short version runs in the test suite (tests/test_soak.py). "Genesys down" (every REST call failing
and the sockets dropped, for three intervals) is among the faults, so the figures do go stale.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field

from bench.soak import Sample, open_files, rss_kb
from queuewatch.genesys import Credentials, GenesysSource, SourceSettings
from queuewatch.poller import BackingOff, Poller, PollerEvent, PollerSettings, PollFailed, SnapshotReceived
from queuewatch.push import PushSettings, PushSource
from queuewatch.tui.status import PollStatus

logging.getLogger("queuewatch").addHandler(logging.NullHandler())

INTERVAL = 1.0
HEARTBEAT = 0.2


@dataclass
class PushSoakResult:
    seconds: float = 0.0
    snapshots: int = 0
    by_push: int = 0
    by_poll: int = 0
    backoffs: int = 0
    failures: int = 0
    internal_errors: int = 0
    unhandled: list[str] = field(default_factory=list)
    faults: dict[str, int] = field(default_factory=dict)
    events: int = 0
    bad_events: int = 0
    stale_checks: int = 0
    stale_unmarked: int = 0
    stale_marked: int = 0
    recoveries: list[float] = field(default_factory=list)
    outage_recoveries: list[float] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)

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


def _start_simulator(seed: int) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "queuewatch", "simulate", "--port", str(port), "--seed", str(seed)]
    command += ["--timezone", "daytime", "--rate-limit", str(10**9)]
    command += ["--heartbeat", str(HEARTBEAT), "--channel-ttl", "4"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    process.stdout.readline()
    return process, f"http://127.0.0.1:{port}"


def soak_push(seconds: float, seed: int = 23) -> PushSoakResult:
    result = PushSoakResult()
    previous_hook = threading.excepthook
    lock = threading.Lock()
    status = PollStatus(label="soak", interval=INTERVAL)
    socket_faults: list[float] = []
    outage_ends: list[float] = []
    queue_ids: list[str] = []

    def record_unhandled(args: threading.ExceptHookArgs) -> None:
        result.unhandled.append(f"{args.exc_type.__name__}: {args.exc_value}")

    threading.excepthook = record_unhandled
    simulator, base_url = _start_simulator(seed)
    settings = SourceSettings(base_url=base_url, label="soak", connect_timeout=0.5, read_timeout=1.0)
    push = PushSettings(
        mode="auto",
        heartbeat_s=HEARTBEAT,
        renew_before_s=1.0,
        resync_every=2.0,
        failures_to_fall_back=3,
        failure_window_s=2.0,
        push_again_s=2.0,
        connect_timeout=1.0,
    )

    def emit(event: PollerEvent) -> None:
        nonlocal status
        now = time.monotonic()
        with lock:
            status = status.after(event, now)
            if isinstance(event, SnapshotReceived):
                result.snapshots += 1
                if not queue_ids:
                    queue_ids.extend(q.id for q in event.snapshot.queues)
                live = event.live
                if live is not None:
                    result.by_push += live.mode == "push"
                    result.by_poll += live.mode == "poll"
                    result.events, result.bad_events = live.events, live.bad_events
                if not event.snapshot.partial:
                    while socket_faults:
                        result.recoveries.append(now - socket_faults.pop())
                    while outage_ends:
                        result.outage_recoveries.append(now - outage_ends.pop())
            elif isinstance(event, BackingOff):
                result.backoffs += 1
            elif isinstance(event, PollFailed):
                result.failures += 1
                result.internal_errors += event.kind == "internal"

    poller = Poller(
        lambda: PushSource(GenesysSource(settings, Credentials("soak", "soak")), push),
        emit,
        PollerSettings(
            interval=INTERVAL,
            today_every=2.0,
            push_today_every=2.0,
            queues_every=5.0,
            max_backoff=0.5,
            blocked_retry=0.5,
            push_min_gap=0.05,
            assumed_allowance=10**9,
        ),
    )
    stop = threading.Event()

    def inject() -> None:
        rng = random.Random(seed)
        while not stop.wait(rng.uniform(0.2, 0.6)):
            roll = rng.random()
            kind = ""
            if roll < 0.25:
                kind = "drop-sockets"
                _admin(base_url, "/admin/notifications/drop-sockets")
            elif roll < 0.35:
                kind = "socket-closing"
                _admin(base_url, "/admin/notifications/socket-closing", {"grace_s": 0.3})
            elif roll < 0.45:
                kind = "silence-heartbeat"
                _admin(base_url, "/admin/notifications", {"silence_heartbeat": True})
                stop.wait(1.0)
                _admin(base_url, "/admin/notifications", {"silence_heartbeat": False})
            elif roll < 0.55:
                kind = "refuse-channels"
                _admin(base_url, "/admin/notifications", {"refuse_channels": rng.choice([400, 503])})
                stop.wait(0.5)
                _admin(base_url, "/admin/notifications", {"refuse_channels": None})
            elif roll < 0.7:
                kind = "bad-events"
                for text in ("{", "[]", '{"topicName": "v2.analytics.queues.x.observations"}'):
                    _admin(base_url, "/admin/notifications/send", {"text": text})
            elif roll < 0.8:
                kind = "rest-5xx"
                _admin(base_url, "/admin/faults", {"fail_rate": 1.0, "fail_status": 503, "remaining": 2})
            elif roll < 0.85:
                kind = "mute-queues"
                with lock:
                    some = rng.sample(queue_ids, min(5, len(queue_ids)))
                _admin(base_url, "/admin/notifications", {"mute_queues": some})
            elif roll < 0.92:
                # Genesys down for a while: every REST call fails and the sockets drop, so the
                # figures must go stale (and be marked so) until it is back.
                kind = "outage"
                with lock:
                    socket_faults.clear()  # their recovery is the outage's, measured from its end
                _admin(base_url, "/admin/faults", {"fail_rate": 1.0, "fail_status": 503})
                _admin(base_url, "/admin/notifications/drop-sockets")
                stop.wait(3 * INTERVAL)
                _admin(base_url, "/admin/reset")
                with lock:
                    outage_ends.append(time.monotonic())
            else:
                kind = "reset"
                _admin(base_url, "/admin/reset")
            result.faults[kind] = result.faults.get(kind, 0) + 1
            if kind in ("drop-sockets", "socket-closing"):
                with lock:
                    socket_faults.append(time.monotonic())

    def watch() -> None:
        while not stop.wait(0.02):
            now = time.monotonic()
            with lock:
                if status.updated_at is None:
                    continue
                old = now - status.updated_at > 2 * INTERVAL
                marked = status.stale(now)
                result.stale_checks += 1
                result.stale_unmarked += old and not marked
                result.stale_marked += old and marked

    def sample() -> None:
        while not stop.wait(max(1.0, seconds / 8)):
            gc.collect()
            with lock:
                result.samples.append(
                    Sample(result.snapshots, threading.active_count(), open_files(), rss_kb())
                )

    started = time.monotonic()
    threads = [
        threading.Thread(target=poller.run, name="soak-poller"),
        threading.Thread(target=inject, name="soak-faults", daemon=True),
        threading.Thread(target=watch, name="soak-watch", daemon=True),
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while not result.by_push and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(2 * INTERVAL)  # the channel open, its reader running: the steady state
    gc.collect()
    result.samples.append(Sample(0, threading.active_count(), open_files(), rss_kb()))
    sampler = threading.Thread(target=sample, name="soak-samples", daemon=True)
    sampler.start()
    try:
        stop.wait(seconds)
    finally:
        stop.set()
        for thread in (*threads[1:], sampler):
            thread.join(5)
        _admin(base_url, "/admin/reset")
        time.sleep(2 * INTERVAL)  # the last recovery, then the final sample with everything calm
        gc.collect()
        result.samples.append(Sample(result.snapshots, threading.active_count(), open_files(), rss_kb()))
        poller.stop()
        threads[0].join(5)
        simulator.terminate()
        simulator.wait(10)
        threading.excepthook = previous_hook
    result.seconds = time.monotonic() - started
    return result


def report(result: PushSoakResult) -> str:
    start, end = result.start, result.end
    recoveries = sorted(result.recoveries)
    recovery = "none measured"
    if recoveries:
        p95 = recoveries[max(0, round(0.95 * len(recoveries)) - 1)]
        recovery = (
            f"{len(recoveries)} socket faults, recovered in median {statistics.median(recoveries):.2f} s, "
            f"p95 {p95:.2f} s, max {recoveries[-1]:.2f} s (interval {INTERVAL:g} s)"
        )
    faults = ", ".join(f"{k} {v}" for k, v in sorted(result.faults.items()))
    outages = sorted(result.outage_recoveries)
    after_outage = (
        f"; after an outage ends, fresh again in median {statistics.median(outages):.2f} s, "
        f"max {outages[-1]:.2f} s"
        if outages
        else ""
    )
    return (
        f"{result.seconds:.0f} s: {result.snapshots} snapshots ({result.by_push} by push, {result.by_poll} "
        f"by polling); {result.events} events, {result.bad_events} bad events skipped; "
        f"{result.backoffs} backoffs, {result.failures} failed polls, {result.internal_errors} internal "
        f"errors, {len(result.unhandled)} unhandled exceptions\n"
        f"faults: {faults}\n"
        f"stale: {result.stale_checks} checks, {result.stale_marked} with data older than two intervals, "
        f"all marked STALE: {result.stale_unmarked == 0} ({result.stale_unmarked} unmarked)\n"
        f"recovery: {recovery}{after_outage}\n"
        f"threads {start.threads} -> {end.threads}; open files {start.files} -> {end.files}; "
        f"RSS {start.rss_kb / 1024:.1f} MB -> {end.rss_kb / 1024:.1f} MB "
        f"({(end.rss_kb - start.rss_kb) / 1024:+.1f} MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=120.0)
    args = parser.parse_args()
    print(report(soak_push(args.seconds)))


if __name__ == "__main__":
    main()
