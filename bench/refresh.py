"""Refresh cost: main-thread time to apply a new snapshot to the dashboard.

For 100, 1,000 and 5,000 queues, the dashboard (headless, 120x40) is handed a snapshot in which
about a fifth of the queues changed (as between two polls), the way the poller hands it over (a
``SnapshotReceived`` message), and the time the UI thread spends on it is measured two ways:
- kept up to date: the app's own path (trends, alerts, ``LiveView.update`` remaking only the
  changed rows and moving only those whose place changed, ``QueueTable.sync`` redrawing only the
  visible lines that changed);
- rebuilt: the same, but the view starts from nothing (every row made and sorted again).
Each figure is the median over several refreshes of the UI thread's CPU time (``thread_time``)
from handing over the snapshot to the end of the next repaint, less the same wait with nothing to
do, so waiting in the event loop and other processes do not count.

    python bench/refresh.py [--sizes 100 1000 5000] [--refreshes 9]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime

from textual.pilot import Pilot

from queuewatch.errors import ConfigError
from queuewatch.model import Agents, QueueStats, Snapshot, Today
from queuewatch.poller import PollerSettings, SnapshotReceived
from queuewatch.present import LiveView
from queuewatch.source import QueueSource, RateStatus
from queuewatch.thresholds import Thresholds
from queuewatch.tui.app import QueuewatchApp
from queuewatch.tui.messages import PollerReported


def make_queue(i: int, rng: random.Random) -> QueueStats:
    offered = rng.randint(0, 900)
    answered = int(offered * rng.uniform(0.7, 1.0))
    abandoned = rng.randint(0, offered - answered)
    return QueueStats(
        id=f"queue-{i:05d}",
        name=f"Queue {i:05d} - {rng.choice(['Sales', 'Care', 'Billing', 'Tech'])}",
        waiting=rng.randint(0, 20),
        longest_wait_s=rng.uniform(0, 400),
        interacting=rng.randint(0, 30),
        alerting=0,
        agents=Agents(
            idle=rng.randint(0, 10),
            interacting=3,
            not_responding=0,
            communicating=0,
            off_queue=2,
            on_queue=rng.randint(0, 40),
        ),
        members=40,
        today=Today(
            offered=offered,
            answered=answered,
            abandoned=abandoned,
            abandon_rate=abandoned / offered if offered else None,
            service_level=rng.uniform(0.5, 1.0),
            sl_target=0.8,
            asa_s=rng.uniform(0, 90),
            aht_s=rng.uniform(120, 600),
        ),
    )


def churn(queues: list[QueueStats], rng: random.Random, share: float = 0.2) -> list[QueueStats]:
    """About ``share`` of the queues get new live figures, as between two polls."""
    changed = list(queues)
    for i in rng.sample(range(len(queues)), max(1, int(len(queues) * share))):
        q = changed[i]
        changed[i] = replace(
            q, waiting=rng.randint(0, 20), longest_wait_s=rng.uniform(0, 400), interacting=rng.randint(0, 30)
        )
    return changed


def refuse() -> QueueSource:
    raise ConfigError("benchmark: no source")


def snapshot_event(queues: list[QueueStats]) -> PollerReported:
    return PollerReported(SnapshotReceived(Snapshot(datetime.now(UTC), tuple(queues)), RateStatus(), None))


async def measure(size: int, refreshes: int) -> tuple[float, float]:
    """Median UI-thread CPU of applying a snapshot: kept up to date, and rebuilt from scratch."""
    rng = random.Random(size)
    app = QueuewatchApp(
        connect=refuse, label="bench", poller_settings=PollerSettings(), thresholds=Thresholds()
    )
    async with app.run_test(size=(120, 40)) as pilot:
        queues = [make_queue(i, rng) for i in range(size)]
        app.post_message(snapshot_event(queues))
        await settle(pilot)
        idle = []
        for _ in range(3):
            started = time.thread_time()
            await settle(pilot)
            idle.append(time.thread_time() - started)
        in_place: list[float] = []
        rebuilt: list[float] = []
        for _ in range(refreshes):
            queues = churn(queues, rng)
            started = time.thread_time()
            app.post_message(snapshot_event(queues))
            await settle(pilot)
            in_place.append(time.thread_time() - started)

            queues = churn(queues, rng)
            started = time.thread_time()
            app.live_view = LiveView(app.thresholds, sort=app.sort, pattern=app.filter, pinned=app.pinned)
            app.post_message(snapshot_event(queues))
            await settle(pilot)
            rebuilt.append(time.thread_time() - started)
        base = statistics.median(idle)
    return statistics.median(in_place) - base, statistics.median(rebuilt) - base


async def settle(pilot: Pilot[None]) -> None:
    """Until the message is handled and its repaint done."""
    await pilot.pause()
    await pilot.pause(0.05)


async def main_async(sizes: list[int], refreshes: int) -> None:
    for size in sizes:
        in_place, rebuilt = await measure(size, refreshes)
        print(
            f"{size:>5} queues: kept up to date {in_place * 1000:7.1f} ms, rebuilt {rebuilt * 1000:7.1f} ms "
            f"({rebuilt / max(in_place, 1e-6):4.1f}x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--refreshes", type=int, default=9)
    args = parser.parse_args()
    asyncio.run(main_async(args.sizes, args.refreshes))


if __name__ == "__main__":
    main()
