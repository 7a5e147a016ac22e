"""How big the collector's stream grows per hour, at 1,000 and 5,000 queues.

The real source polls the simulator (a generated contact centre in business hours) whose clock
moves on by the live interval at every poll, so each poll sees what five seconds of a working
day change; the collector's journal encodes each snapshot (a full picture every ``--full-every``,
deltas between, alerts) and the entries go into a real redis-server with ``XADD``. It reports the
bytes per entry, per poll and per hour, at the cadence the poller would keep (5 s, stretched when
the request budget needs it), and Redis's own ``MEMORY USAGE`` of the stream.

    python -m bench.stream_size [--sizes 1000 5000] [--polls 120] [--full-every 20]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta

from queuewatch.genesys import Credentials, GenesysSource, SourceSettings
from queuewatch.model import build_snapshot
from queuewatch.poller import Allowance, PollerSettings, SnapshotReceived, budget_stretch
from queuewatch.redisstream import StreamKeys, add, client, parse_target
from queuewatch.simulator import ContactCentre, SimulatorServer, generate_scenario
from queuewatch.simulator.scenario import during_business_hours
from queuewatch.source import RateStatus
from queuewatch.stream import Journal
from queuewatch.thresholds import Thresholds

INTERVAL = 5.0


class Redis:
    """A redis-server of the benchmark's own, on a free loopback port."""

    def __init__(self) -> None:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.dir = tempfile.mkdtemp(prefix="qw-bench-redis-")
        binary = shutil.which("redis-server") or "redis-server"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--dir", self.dir],
            stdout=subprocess.DEVNULL,
        )
        self.url = f"redis://127.0.0.1:{self.port}/0"
        r = client(parse_target(self.url, {}))
        for _ in range(500):
            try:
                r.ping()
                break
            except Exception:
                time.sleep(0.02)
        r.close()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def measure(size: int, polls: int, full_every: int, redis_url: str) -> None:
    sim_now = [time.time()]
    centre = ContactCentre(
        during_business_hours(generate_scenario(size, seed=3)), seed=3, clock=lambda: sim_now[0]
    )
    keys = StreamKeys(org=f"bench{size}")
    r = client(parse_target(redis_url, {}))
    r.delete(keys.stream, keys.latest)
    wall = [datetime(2026, 3, 2, 11, 0, tzinfo=UTC)]
    journal = Journal(
        "bench", Thresholds(), full_every=full_every, wall_clock=lambda: wall[0], clock=lambda: 0.0
    )
    sizes: dict[str, list[int]] = {"full": [], "delta": [], "alert": [], "status": []}
    changed: list[int] = []
    encode_ms: list[float] = []
    with SimulatorServer(centre, port=0, rate_limit=10**9) as server:
        source = GenesysSource(
            SourceSettings(base_url=server.base_url, read_timeout=120, timezone=centre.scenario.timezone),
            Credentials("bench", "bench"),
        )
        try:
            queues = source.list_queues()
            today = source.today(queues)
            floor = 0
            previous = None
            for poll in range(polls):
                sim_now[0] += INTERVAL
                wall[0] += timedelta(seconds=INTERVAL)
                live = source.observe(queues)
                if poll % 6 == 5:
                    today = source.today(queues)
                snapshot = build_snapshot(
                    queues, live.values, today.values, taken_at=wall[0], today_at=wall[0]
                )
                if previous is not None:
                    old = {q.id: q for q in previous.queues}
                    changed.append(sum(old.get(q.id) != q for q in snapshot.queues))
                previous = snapshot
                started = time.perf_counter()
                entries = journal.on_event(SnapshotReceived(snapshot, RateStatus(), None, Allowance()))
                latest = journal.latest()
                encode_ms.append((time.perf_counter() - started) * 1000)
                for entry in entries:
                    sizes[entry.kind].append(len(entry.payload) + 8)
                floor, _ = add(r, keys, entries, latest, keep_ms=48 * 3600 * 1000, floor_ms=floor)
        finally:
            source.close()
    memory = int(r.memory_usage(keys.stream, samples=0) or 0)
    latest_bytes = int(r.memory_usage(keys.latest, samples=0) or 0)
    r.close()
    cost = source.cost(size)
    stretch = budget_stretch(cost, PollerSettings(), INTERVAL, 300)
    polls_per_hour = 3600 / (INTERVAL * stretch)
    written = sum(sum(v) for v in sizes.values())
    per_poll = written / polls
    print(
        f"{size} queues, {polls} polls (full every {full_every}): "
        f"full {statistics.median(sizes['full']) / 1024:.0f} KB, "
        f"delta median {statistics.median(sizes['delta']) / 1024:.1f} KB "
        f"({statistics.median(changed):.0f} queues changed per poll), {len(sizes['alert'])} alert entries; "
        f"encode+latest median {statistics.median(encode_ms):.0f} ms"
    )
    print(
        f"    per poll {per_poll / 1024:.1f} KB written; the poller keeps {polls_per_hour:.0f} polls/h "
        f"(every {INTERVAL * stretch:.1f} s): {per_poll * polls_per_hour / 2**20:.1f} MB/h, "
        f"{per_poll * polls_per_hour * 48 / 2**30:.2f} GB for 48 h"
    )
    print(
        f"    Redis MEMORY USAGE: stream {memory / 2**20:.1f} MB for {polls} polls "
        f"({memory / polls * polls_per_hour / 2**20:.1f} MB/h); latest {latest_bytes / 1024:.0f} KB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--polls", type=int, default=120)
    parser.add_argument("--full-every", type=int, default=20)
    args = parser.parse_args()
    redis = Redis()
    try:
        for size in args.sizes:
            measure(size, args.polls, args.full_every, redis.url)
    finally:
        redis.stop()


if __name__ == "__main__":
    main()
