"""The queue table against ``textual-fastdatatable``: UI-thread CPU per operation, 1,000 and 5,000 rows.

Both tables sit alone in a headless app (200x50, about 47 rows on screen) and show the same rows,
which come from the same ``present.LiveView`` (so the view's own work counts for both):
- ``queuewatch`` — ``queuewatch.tui.table.QueueTable``, the dashboard's table (the line API, a
  strip per row cached under the row's serial);
- ``fastdatatable`` — ``textual_fastdatatable.DataTable`` on its Arrow backend, given plain
  strings (no colours, which flatters it). It has no way to take rows out or put them in by key,
  so every change swaps in a new backend built from the rows shown (and clears its caches).

Operations: the first snapshot into a table that showed one row, and its paint; a refresh in
which a fifth of the queues changed; a filter keystroke (all rows to 11); the filter
cleared; a sort by another column; the cursor one row down. Each figure is the median over
``--repeats`` runs of the UI thread's CPU time (``time.thread_time``) from the operation until
its repaint is done, less the same wait with nothing to do: CPU time, so waiting in the event
loop and other processes on a busy machine do not count.

    python -m bench.table [--sizes 1000 5000] [--repeats 5] [--only queuewatch]

``textual-fastdatatable`` is not a dependency of queuewatch: ``pip install textual-fastdatatable``
to measure it too (it is skipped, and said so, when missing).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widget import Widget

from bench.refresh import churn, make_queue
from queuewatch.columns import COLUMNS
from queuewatch.model import QueueStats
from queuewatch.present import DEFAULT_SORT, LiveView, Row, Sort
from queuewatch.thresholds import Thresholds
from queuewatch.tui.table import QueueTable

SIZE = (200, 50)
KEYS = tuple(column.key for column in COLUMNS)
OPERATIONS = ("load", "refresh", "filter", "clear", "sort", "cursor")


class Host(App[None]):
    """An app with nothing but the table under test."""

    def __init__(self, table: Widget) -> None:
        super().__init__()
        self.table = table

    def compose(self) -> ComposeResult:
        yield self.table


class Subject:
    """One table kind: how to show the view's rows, and how to move its cursor."""

    name = ""

    def widget(self, view: LiveView) -> Widget:
        raise NotImplementedError

    def show(self, view: LiveView) -> None:
        raise NotImplementedError

    def cursor_down(self) -> None:
        raise NotImplementedError

    def cursor_home(self) -> None:
        raise NotImplementedError


class Ours(Subject):
    name = "queuewatch"

    def widget(self, view: LiveView) -> Widget:
        self.table = QueueTable(view.sort)
        return self.table

    def show(self, view: LiveView) -> None:
        self.table.sync(view.rows, view.sort, view.widths)

    def cursor_down(self) -> None:
        self.table.action_cursor_down()

    def cursor_home(self) -> None:
        self.table.move_cursor(0)


class Fast(Subject):
    name = "fastdatatable"

    def __init__(self) -> None:
        from textual_fastdatatable import ArrowBackend, DataTable

        self._backend = ArrowBackend
        self._table_class = DataTable

    def _records(self, rows: Sequence[Row]) -> list[list[str]]:
        return [[row.cells[key].shown for key in KEYS] for row in rows]

    def widget(self, view: LiveView) -> Widget:
        backend = self._backend.from_records(self._records(view.rows), column_names=list(KEYS))
        self.table: Any = self._table_class(
            backend=backend,
            column_labels=[column.header for column in COLUMNS],
            cursor_type="row",
            zebra_stripes=True,
            fixed_columns=1,
            render_markup=False,
        )
        widget: Widget = self.table
        return widget

    def show(self, view: LiveView) -> None:
        table: Any = self.table
        table.backend = self._backend.from_records(self._records(view.rows), column_names=list(KEYS))
        table.backend.render_markup = False
        table._clear_caches()
        table._update_count += 1
        table._require_update_dimensions = True
        table.refresh(layout=True)

    def cursor_down(self) -> None:
        self.table.action_cursor_down()

    def cursor_home(self) -> None:
        self.table.move_cursor(row=0)


async def settle(pilot: Pilot[None]) -> None:
    """Until the work the last operation queued and its repaint are done."""
    await pilot.pause()
    await pilot.pause(0.05)


async def cpu(pilot: Pilot[None], operation: Callable[[], object]) -> float:
    started = time.thread_time()
    operation()
    await settle(pilot)
    return time.thread_time() - started


class Run:
    """One table, one app: the operations in turn, each timed."""

    def __init__(self, subject: Subject, queues: list[QueueStats], rng: random.Random) -> None:
        self.subject = subject
        self.queues = queues
        self.rng = rng
        self.view = LiveView(Thresholds(), sort=DEFAULT_SORT)
        self.view.update(queues[:1])

    def load(self) -> None:
        self.view.update(self.queues)
        self.subject.show(self.view)

    def refresh(self) -> None:
        self.queues = churn(self.queues, self.rng)
        self.view.update(self.queues)
        self.subject.show(self.view)

    def filter(self) -> None:
        self.view.set_pattern("0042")
        self.subject.show(self.view)

    def clear(self) -> None:
        self.view.set_pattern("")
        self.subject.show(self.view)

    def sort(self) -> None:
        by_name = Sort.by("name")
        self.view.set_sort(by_name if self.view.sort != by_name else DEFAULT_SORT)
        self.subject.show(self.view)

    def cursor(self) -> None:
        self.subject.cursor_down()

    async def timed(self) -> tuple[dict[str, float], int]:
        figures: dict[str, float] = {}
        kept = 0
        app = Host(self.subject.widget(self.view))
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            figures["idle"] = statistics.median([await cpu(pilot, lambda: None) for _ in range(10)])
            for name in OPERATIONS:
                if name == "cursor":  # from the top row, both alike: the median of ten moves down
                    await cpu(pilot, self.subject.cursor_home)
                    figures[name] = statistics.median([await cpu(pilot, self.cursor) for _ in range(10)])
                    continue
                figures[name] = await cpu(pilot, getattr(self, name))
                if name == "filter":
                    kept = len(self.view.rows)
        return figures, kept


async def measure(subject: Subject, size: int, repeats: int) -> tuple[dict[str, float], int]:
    rng = random.Random(size)
    queues: list[QueueStats] = [make_queue(i, rng) for i in range(size)]
    runs = [await Run(subject, queues, rng).timed() for _ in range(repeats)]
    idle = statistics.median(figures["idle"] for figures, _ in runs)
    result = {op: max(0.0, statistics.median(f[op] for f, _ in runs) - idle) for op in OPERATIONS}
    return result, runs[-1][1]


def subjects(only: str | None) -> list[Subject]:
    chosen: list[Subject] = []
    if only in (None, "queuewatch"):
        chosen.append(Ours())
    if only in (None, "fastdatatable"):
        try:
            chosen.append(Fast())
        except ImportError:
            print("textual-fastdatatable is not installed: pip install textual-fastdatatable to measure it")
    return chosen


async def main_async(sizes: list[int], repeats: int, only: str | None) -> None:
    runs: list[tuple[str, int, Subject]] = [
        (subject.name, size, subject) for size in sizes for subject in subjects(only)
    ]
    header = f"{'table':<14}{'rows':>6}" + "".join(f"{name:>10}" for name in OPERATIONS)
    print(f"UI-thread CPU per operation, ms (median of {repeats}); {SIZE[0]}x{SIZE[1]} headless")
    print(header)
    for name, size, subject in runs:
        result, kept = await measure(subject, size, repeats)
        cells = "".join(f"{result[op] * 1000:>10.1f}" for op in OPERATIONS)
        print(f"{name:<14}{size:>6}{cells}   (the filter keeps {kept} rows)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", choices=["queuewatch", "fastdatatable"])
    args = parser.parse_args()
    asyncio.run(main_async(args.sizes, args.repeats, args.only))


if __name__ == "__main__":
    main()
