"""SVG snapshots of the dashboard with both clocks frozen (update with ``--snapshot-update``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from queuewatch.tui.app import QueuewatchApp
from tests.fakes import FakeSource, make_app, sample_queues, wait_for, wait_for_snapshot

SIZE = (100, 30)
SnapCompare = Callable[..., bool]


def frozen_app() -> QueuewatchApp:
    return make_app(FakeSource(sample_queues()), frozen=True)


async def settled(pilot: Pilot[Any]) -> None:
    """The first snapshot is on screen and the poller is waiting for the next one."""
    app = pilot.app
    assert isinstance(app, QueuewatchApp)
    await wait_for_snapshot(pilot, app)
    await wait_for(pilot, lambda: app.status.next_poll_at is not None)


def test_main_screen(snap_compare: SnapCompare) -> None:
    assert snap_compare(frozen_app(), terminal_size=SIZE, run_before=settled)


def test_main_screen_wide(snap_compare: SnapCompare) -> None:
    assert snap_compare(frozen_app(), terminal_size=(200, 50), run_before=settled)


def test_help_screen(snap_compare: SnapCompare) -> None:
    async def open_help(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("question_mark")

    assert snap_compare(frozen_app(), terminal_size=SIZE, run_before=open_help)


def test_filtered_and_sorted_by_name(snap_compare: SnapCompare) -> None:
    async def filter_and_sort(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("slash", "e", "enter")
        await pilot.press(*["s"] * 13, "S")  # from the longest wait round to the name, then Z to A

    assert snap_compare(frozen_app(), terminal_size=SIZE, run_before=filter_and_sort)
