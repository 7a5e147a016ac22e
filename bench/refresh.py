"""Refresh cost: main-thread time to apply a new snapshot to the live table.

For 100, 1,000 and 5,000 queues, the dashboard (headless, 120x40) gets a snapshot in which about a
fifth of the queues changed (as between two polls), and the time the UI thread spends applying it
is measured two ways on the same table:
- in place: the app's own path (present the rows, then ``QueueTable.sync``: remove/add rows,
  ``update_cell`` only where a value changed, re-sort, keep the cursor);
- naive: the same rows, but ``clear()`` the table and add every row again.
Each figure is the median over several refreshes of the UI thread's CPU time (``thread_time``)
from handing over the snapshot to the end of the next repaint, so waiting in the event loop does
not count.

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
from typing import NoReturn

from queuewatch.errors import ConfigError
from queuewatch.model import Agents, QueueStats, Snapshot, Today
from queuewatch.poller import PollerSettings
from queuewatch.present import build_view
from queuewatch.thresholds import Thresholds
from queuewatch.tui.app import QueuewatchApp
from queuewatch.tui.widgets import QueueTable, TableCell


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


def refuse() -> NoReturn:
    raise ConfigError("benchmark: no source")


async def measure(size: int, refreshes: int) -> tuple[float, float]:
    rng = random.Random(size)
    app = QueuewatchApp(
        connect=refuse, label="bench", poller_settings=PollerSettings(), thresholds=Thresholds()
    )
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(QueueTable)
        queues = [make_queue(i, rng) for i in range(size)]
        app.snapshot = Snapshot(datetime.now(UTC), tuple(queues))
        app._show_queues()
        await pilot.pause()
        in_place: list[float] = []
        naive: list[float] = []
        for _ in range(refreshes):
            queues = churn(queues, rng)
            app.snapshot = Snapshot(datetime.now(UTC), tuple(queues))
            started = time.thread_time()
            app._show_queues()

            await pilot.pause()
            in_place.append(time.thread_time() - started)

            queues = churn(queues, rng)
            started = time.thread_time()
            view = build_view(queues, app.thresholds, app.filter, app.sort)
            table.clear()
            for row in view.rows:
                table.add_row(*(TableCell(row.cells[key], table) for key in row.cells), key=row.key)

            await pilot.pause()
            naive.append(time.thread_time() - started)
            table.clear()
            table._rows.clear()
            app._show_queues()  # back to the app's own table for the next in-place round
            await pilot.pause()
    return statistics.median(in_place), statistics.median(naive)


async def main_async(sizes: list[int], refreshes: int) -> None:
    for size in sizes:
        in_place, naive = await measure(size, refreshes)
        print(
            f"{size:>5} queues: in place {in_place * 1000:7.1f} ms, clear-and-refill {naive * 1000:7.1f} ms "
            f"({naive / in_place:4.1f}x)"
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
