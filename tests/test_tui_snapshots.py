"""SVG snapshots of the dashboard with both clocks frozen (update with ``--snapshot-update``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from queuewatch.tui.app import QueuewatchApp
from tests.fakes import FakeSource, make_app, queue, sample_queues, wait_for, wait_for_snapshot

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


def test_queue_detail(snap_compare: SnapCompare) -> None:
    from dataclasses import replace

    from queuewatch.model import Live, MediaStats, Today

    queues = sample_queues()
    voice = MediaStats(
        live=Live(waiting=14, longest_wait_s=200.0, interacting=5, alerting=0),
        today=Today(
            offered=100, answered=75, abandoned=12, abandon_rate=0.12, service_level=0.5, sl_target=0.8
        ),
    )
    chat = MediaStats(
        live=Live(waiting=2, longest_wait_s=35.0, interacting=1, alerting=0),
        today=Today(offered=20, answered=15, abandoned=2, abandon_rate=0.1, service_level=0.8, sl_target=0.7),
    )
    waiting = (("c1", "voice", 200.0), ("c2", "chat", 35.0), ("c3", "voice", 120.0))
    queues[1] = replace(
        queues[1], division="Care", by_media={"voice": voice, "chat": chat}, waiting_detail=waiting
    )
    app = make_app(FakeSource(queues), frozen=True)

    async def open_detail(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("enter")

    assert snap_compare(app, terminal_size=SIZE, run_before=open_detail)


def test_stale_data(snap_compare: SnapCompare) -> None:
    """The feed has died: the table and totals faded under a banner saying since when and why."""
    from queuewatch.errors import RateLimited
    from tests.fakes import SteppedClock

    source = FakeSource(sample_queues())
    clock = SteppedClock()
    app = make_app(source, frozen=True, clock=clock)

    async def go_stale(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        # A throttle rather than an outage: its wait is exact, so the picture is the same every run.
        source.fail_until_further_notice(RateLimited(retry_after=30, endpoint="/observations"))
        clock.now += 5
        await wait_for(pilot, lambda: app.status.backoff is not None)
        clock.now += 6
        await wait_for(pilot, lambda: app.query_one("#stale-banner").display)

    assert snap_compare(app, terminal_size=SIZE, run_before=go_stale)


def test_five_thousand_queues_and_a_burst_of_alerts_at_80x24(snap_compare: SnapCompare) -> None:
    """The status bar whole at 80 columns, and one notification for forty queues turned critical."""
    queues = [
        queue(f"q{i:04d}", f"Queue {i:04d}", waiting=i % 4, longest=float(i % 170), idle=1 + i % 3)
        for i in range(5000)
    ]
    source = FakeSource(queues)
    app = make_app(source, frozen=True)

    async def burst(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        for i in range(0, 4000, 100):
            source.update(f"q{i:04d}", waiting=15 + i // 100, longest_wait_s=200.0 + i / 10)
        before = app.snapshot
        await pilot.press("r")
        await wait_for_snapshot(pilot, app, than=before)
        await wait_for(pilot, lambda: app.status.next_poll_at is not None and not app.status.polling)

    assert snap_compare(app, terminal_size=(80, 24), run_before=burst)
