"""One collector, many screens: the issue-13 targets.

    python -m bench.collector_fanout fanout [--viewers 50] [--queues 1000] [--minutes 2] [--screens 2]
    python -m bench.collector_fanout soak [--queues 1000] [--polls 1440]
    python -m bench.collector_fanout seek [--queues 1000] [--hours 48] [--jumps 60]

fanout: a real redis-server, the simulator (1,000 queues, in business hours) and the collector at
its default 5 s interval, in this process; ``--viewers`` viewer processes, each the real
``RedisFeed`` (``queuewatch --from``'s feed: ``XREAD BLOCK``, decode, assemble), time each
snapshot from the collector's publish (``XADD`` returned) to the viewer's picture; ``--screens``
whole dashboards (``queuewatch --from`` in a pseudo-terminal) time process start -> first data on
screen and give their RSS. Genesys requests are counted at the simulator.

soak: the collector against ``queuewatch simulate`` in its own process, polls back to back (the
poller's clock accelerated; the simulator's clock at 25x), ``--polls`` of them (1,440 = two hours
at 5 s); RSS, CPU and threads of this process every 10 %.

seek: a 48-hour recording at 1,000 queues, a picture every 5 s (the entries of real polls of the
simulator, repeated through the 48 hours), in SQLite; the time ``picture_at`` takes to jump to
random times.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

START_WALL = time.time()


def rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# --- a viewer process ----------------------------------------------------------------------------


def viewer(url: str, org: str, seconds: float, out: str) -> None:
    """The real RedisFeed; writes (taken_at, received wall time) per snapshot, first data, RSS."""
    from queuewatch.feeds import RedisFeed
    from queuewatch.poller import SnapshotReceived
    from queuewatch.redisstream import StreamKeys, client, parse_target

    target = parse_target(url, {})
    seen: list[tuple[int, float]] = []
    first: list[float] = []

    def emit(event: Any) -> None:
        if isinstance(event, SnapshotReceived):
            now = time.time()
            if not first:
                first.extend([now - START_WALL, now])
            seen.append((int(event.snapshot.taken_at.timestamp() * 1000), now))

    feed = RedisFeed(lambda: client(target), target, StreamKeys(org=org), emit)
    thread = threading.Thread(target=feed.run, daemon=True)
    thread.start()
    time.sleep(seconds)
    feed.stop()
    thread.join(5)
    Path(out).write_text(
        json.dumps({"seen": seen, "first": first or None, "rss": rss_mb()}), encoding="utf-8"
    )


# --- fan-out -------------------------------------------------------------------------------------


def fanout(viewers: int, queues: int, minutes: float, screens: int) -> None:
    import queuewatch.collector as collector_module
    from bench.stream_size import Redis
    from bench.terminal import Terminal, queuewatch
    from queuewatch.collector import Collector, CollectorSettings
    from queuewatch.poller import PollerSettings
    from queuewatch.redisstream import StreamKeys, client, parse_target
    from queuewatch.simulator import ContactCentre, SimulatorServer, generate_scenario
    from queuewatch.simulator.scenario import during_business_hours
    from queuewatch.thresholds import Thresholds

    redis = Redis()
    target = parse_target(redis.url, {})
    keys = StreamKeys(org="fanout")
    published: dict[int, float] = {}
    original_add = getattr(collector_module, "add")  # noqa: B009 - the module's own name for it

    def timed_add(r: Any, k: Any, entries: Any, latest: Any, **kw: Any) -> Any:
        result = original_add(r, k, entries, latest, **kw)
        now = time.time()
        for entry in entries:
            if entry.kind in ("full", "delta"):
                published[int(entry.at.timestamp() * 1000)] = now
        return result

    setattr(collector_module, "add", timed_add)  # noqa: B010 - time each publish
    centre = ContactCentre(during_business_hours(generate_scenario(queues, seed=5)), seed=5)
    tmp = Path(tempfile.mkdtemp(prefix="qw-fanout-"))
    with SimulatorServer(centre, port=0, rate_limit=10**9) as server:

        def connect() -> Any:
            from queuewatch.genesys import Credentials, GenesysSource, SourceSettings

            settings = SourceSettings(
                base_url=server.base_url, label="sim", timezone=centre.scenario.timezone
            )
            return GenesysSource(settings, Credentials("bench", "bench"))

        collector = Collector(
            connect=connect,
            redis_factory=lambda: client(target),
            target=target,
            settings=CollectorSettings(keys=keys),
            poller_settings=PollerSettings(),
            thresholds=Thresholds(),
        )
        runner = threading.Thread(target=collector.run, daemon=True)
        runner.start()
        while not collector.started:
            time.sleep(0.05)
        requests_before = int(server.stats()["total"])
        polls_before = collector.snapshots
        seconds = minutes * 60
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench.collector_fanout",
                    "viewer",
                    redis.url,
                    "fanout",
                    str(seconds),
                    str(tmp / f"v{i}.json"),
                ]
            )
            for i in range(viewers)
        ]
        for proc in procs:
            proc.wait(timeout=seconds + 120)
        screen_runs = []
        for _ in range(screens):  # once the viewers are done: the collector alone is running
            terminal = Terminal(queuewatch("--from", redis.url, "--org", "fanout"), columns=200, lines=50)
            try:
                first = terminal.wait_for(b"via collector")
                data = terminal.wait_for(b"updated ", timeout=60)
                terminal.drain(3)
                screen_runs.append((first, data, rss_mb(terminal.process.pid)))
            finally:
                terminal.close()
        requests = int(server.stats()["total"]) - requests_before
        polls = collector.snapshots - polls_before
        collector.stop()
        runner.join(30)
    redis.stop()
    latencies: list[float] = []
    firsts: list[float] = []
    rss: list[float] = []
    results = [json.loads((tmp / f"v{i}.json").read_text(encoding="utf-8")) for i in range(viewers)]
    all_joined = max(r["first"][1] for r in results)  # every viewer has its first picture
    for result in results:
        firsts.append(result["first"][0])
        rss.append(result["rss"])
        for taken, received in result["seen"]:
            if taken in published and published[taken] > all_joined:
                latencies.append(received - published[taken])
    print(
        f"{viewers} viewers, {queues} queues, {minutes:g} min: {polls} polls, {requests} Genesys requests "
        f"({requests / polls:.1f} per poll; one dashboard makes the same, so {viewers} dashboards would make "
        f"{viewers}x: {requests * viewers})"
    )
    print(
        f"publish -> viewer's picture: {len(latencies)} deliveries, p50 {pct(latencies, 50) * 1000:.0f} ms, "
        f"p99 {pct(latencies, 99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms (target p99 <= 1 s)"
    )
    print(
        f"viewer feed processes ({viewers} started at once): first picture {statistics.median(firsts):.2f} s "
        f"after start (median), "
        f"RSS median {statistics.median(rss):.0f} MB"
    )
    for first, data, mb in screen_runs:
        print(f"dashboard --from: frame {first:.2f} s, first data on screen {data:.2f} s, RSS {mb:.0f} MB")


# --- soak ----------------------------------------------------------------------------------------


class RacingClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            self.now += 30.0
            return self.now


def soak(queues: int, polls: int) -> None:
    from bench.stream_size import Redis
    from queuewatch.collector import Collector, CollectorSettings
    from queuewatch.poller import PollerSettings
    from queuewatch.redisstream import StreamKeys, client, parse_target
    from queuewatch.thresholds import Thresholds

    redis = Redis()
    target = parse_target(redis.url, {})
    sim = subprocess.Popen(
        [sys.executable, "-m", "queuewatch", "simulate", "--queues", str(queues), "--port", "0",
         "--speed", "25", "--timezone", "daytime", "--rate-limit", "1000000"],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert sim.stdout is not None
    line = sim.stdout.readline()
    base = next(word for word in line.split() if word.startswith("http://"))

    def connect() -> Any:
        from queuewatch.genesys import Credentials, GenesysSource, SourceSettings

        return GenesysSource(SourceSettings(base_url=base, label="sim"), Credentials("bench", "bench"))

    collector = Collector(
        connect=connect,
        redis_factory=lambda: client(target),
        target=target,
        settings=CollectorSettings(keys=StreamKeys(org="soak")),
        poller_settings=PollerSettings(assumed_allowance=10**6),
        thresholds=Thresholds(),
        clock=RacingClock(),
    )
    runner = threading.Thread(target=collector.run, daemon=True)
    started = time.perf_counter()
    runner.start()
    samples = []
    step = max(1, polls // 10)
    next_mark = step
    cpu0, wall0 = time.process_time(), time.perf_counter()
    while collector.snapshots < polls:
        time.sleep(0.2)
        if collector.snapshots >= next_mark:
            cpu, wall = time.process_time(), time.perf_counter()
            samples.append(
                (collector.snapshots, rss_mb(), threading.active_count(), (cpu - cpu0) / (wall - wall0) * 100)
            )
            cpu0, wall0 = cpu, wall
            next_mark += step
    collector.stop()
    runner.join(30)
    sim.terminate()
    sim.wait(10)
    redis.stop()
    elapsed = time.perf_counter() - started
    print(
        f"soak: {collector.snapshots} polls of {queues} queues in {elapsed:.0f} s "
        f"({collector.published} entries)"
    )
    print("polls  RSS MB  threads  CPU % of a core (since the previous sample)")
    for done, mb, threads, cpu in samples:
        print(f"{done:5d}  {mb:6.1f}  {threads:7d}  {cpu:5.1f}")


# --- seek ----------------------------------------------------------------------------------------


def seek(queues: int, hours: float, jumps: int) -> None:
    import random

    from queuewatch.genesys import Credentials, GenesysSource, SourceSettings
    from queuewatch.model import build_snapshot
    from queuewatch.poller import Allowance, SnapshotReceived
    from queuewatch.recording import SqliteRecorder, SqliteRecording
    from queuewatch.simulator import ContactCentre, SimulatorServer, generate_scenario
    from queuewatch.simulator.scenario import during_business_hours
    from queuewatch.source import RateStatus
    from queuewatch.stream import Journal
    from queuewatch.thresholds import Thresholds

    sim_now = [time.time()]
    centre = ContactCentre(
        during_business_hours(generate_scenario(queues, seed=4)), seed=4, clock=lambda: sim_now[0]
    )
    start = datetime(2026, 3, 1, tzinfo=UTC)
    wall = [start]
    journal = Journal("seek", Thresholds(), full_every=20, wall_clock=lambda: wall[0], clock=lambda: 0.0)
    block: list[Any] = []
    with SimulatorServer(centre, port=0, rate_limit=10**9) as server:
        source = GenesysSource(SourceSettings(base_url=server.base_url), Credentials("b", "b"))
        found = source.list_queues()
        today = source.today(found)
        for _ in range(60):
            sim_now[0] += 5
            wall[0] += timedelta(seconds=5)
            snapshot = build_snapshot(found, source.observe(found).values, today.values, taken_at=wall[0])
            block.extend(
                e
                for e in journal.on_event(SnapshotReceived(snapshot, RateStatus(), None, Allowance()))
                if e.kind != "alert"
            )
        source.close()
    path = Path(tempfile.mkdtemp(prefix="qw-seek-")) / "day.sqlite"
    SqliteRecorder(path).close()
    db = sqlite3.connect(path)
    total = int(hours * 3600 / 5)
    t0 = int(start.timestamp() * 1000)
    built = time.perf_counter()
    with db:
        for i in range(0, total, len(block)):
            db.executemany(
                "INSERT INTO entries (at_ms, kind, v, d) VALUES (?, ?, 1, ?)",
                [(t0 + (i + j) * 5000, e.kind, e.payload) for j, e in enumerate(block) if i + j < total],
            )
    db.close()
    print(
        f"recording: {hours:g} h, {total} pictures of {queues} queues (full every 20), "
        f"{path.stat().st_size / 2**20:.0f} MB, written in {time.perf_counter() - built:.0f} s"
    )
    rng = random.Random(1)
    times = []
    for _ in range(jumps):
        recording = SqliteRecording(path)  # nothing held: every jump reads its chain from the file
        when = t0 + rng.randrange(total * 5000)
        began = time.perf_counter()
        picture = recording.picture_at(when)
        times.append(time.perf_counter() - began)
        assert picture is not None and len(picture[2].queues) == queues
        recording.close()
    print(
        f"jump to a random time: {jumps} jumps, median {statistics.median(times) * 1000:.0f} ms, "
        f"p99 {pct(times, 99) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms (target <= 500 ms)"
    )
    recording = SqliteRecording(path)
    began = time.perf_counter()
    recording.picture_at(t0)
    for k in range(1, 20):
        recording.picture_at(t0 + k * 5000)
    print(f"stepping on: {(time.perf_counter() - began) / 20 * 1000:.1f} ms per step (the chain held)")
    path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="what", required=True)
    f = sub.add_parser("fanout")
    f.add_argument("--viewers", type=int, default=50)
    f.add_argument("--queues", type=int, default=1000)
    f.add_argument("--minutes", type=float, default=2.0)
    f.add_argument("--screens", type=int, default=2)
    s = sub.add_parser("soak")
    s.add_argument("--queues", type=int, default=1000)
    s.add_argument("--polls", type=int, default=1440)
    k = sub.add_parser("seek")
    k.add_argument("--queues", type=int, default=1000)
    k.add_argument("--hours", type=float, default=48)
    k.add_argument("--jumps", type=int, default=60)
    v = sub.add_parser("viewer")
    v.add_argument("url")
    v.add_argument("org")
    v.add_argument("seconds", type=float)
    v.add_argument("out")
    args = parser.parse_args()
    if args.what == "fanout":
        fanout(args.viewers, args.queues, args.minutes, args.screens)
    elif args.what == "soak":
        soak(args.queues, args.polls)
    elif args.what == "seek":
        seek(args.queues, args.hours, args.jumps)
    else:
        viewer(args.url, args.org, args.seconds, args.out)


if __name__ == "__main__":
    main()
