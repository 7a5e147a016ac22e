"""The dashboard driven through Pilot: filter, sort, cursor, pause, backoff, quit."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import threading
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from textual.binding import Binding
from textual.widgets import Label, Static

from queuewatch.errors import RateLimited, Unavailable
from queuewatch.model import Snapshot
from queuewatch.poller import PollStarted, SnapshotReceived
from queuewatch.source import RateStatus
from queuewatch.tui.app import QueuewatchApp, stylesheet_path
from queuewatch.tui.dashboard import DashboardScreen
from queuewatch.tui.messages import PollerReported
from queuewatch.tui.screens import HelpScreen, QueueDetailScreen
from queuewatch.tui.widgets import FilterInput, QueueTable
from tests.clocks import FakeClock
from tests.fakes import (
    FakeSource,
    SteppedClock,
    displayed,
    make_app,
    order,
    poller_ended,
    queue,
    sample_queues,
    shown,
    wait_for,
    wait_for_snapshot,
)

SIZE = (120, 30)


@pytest.fixture
def source() -> FakeSource:
    """Where the dashboard's data comes from in these tests (swap for the simulator in one place)."""
    return FakeSource(sample_queues())


def status_text(app: QueuewatchApp, part: str) -> str:
    label = app.query_one(f"#status-{part}", Label)
    return str(label.content) if label.display else ""


def attempt_shown(app: QueuewatchApp) -> int:
    """The attempt number the status bar shows for a backoff, 0 if none."""
    found = re.search(r"\(attempt (\d+)\)", status_text(app, "problem"))
    return int(found.group(1)) if found else 0


def header_of(app: QueuewatchApp, column: str) -> str:
    return app.query_one(QueueTable).header_label(column)


def screen_lines(app: QueuewatchApp) -> list[str]:
    table = app.query_one(QueueTable)
    return [table.render_line(y).text for y in range(table.size.height)]


def test_stylesheet_is_found() -> None:
    assert stylesheet_path().is_file()


def test_newer_snapshots_replace_queued_ones() -> None:
    event = SnapshotReceived(Snapshot(taken_at=datetime.now(UTC), queues=()), RateStatus(), None)
    assert PollerReported(event).can_replace(PollerReported(event))
    other = PollerReported(PollStarted())
    assert not PollerReported(event).can_replace(other) and not other.can_replace(PollerReported(event))


async def test_first_paint_comes_before_the_source_is_ready(source: FakeSource) -> None:
    release = threading.Event()

    def slow_connect() -> FakeSource:
        release.wait(5)
        return source

    app = make_app(source, connect=slow_connect)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert status_text(app, "updated") == "connecting…"
        assert app.query_one(QueueTable).row_count == 0
        assert len(app.query_one(QueueTable).column_keys) == 15
        release.set()
        await wait_for_snapshot(pilot, app)
        assert app.query_one(QueueTable).row_count == 5
        assert status_text(app, "updated").startswith("updated ")


def test_the_dashboard_never_imports_the_sdk() -> None:
    script = textwrap.dedent(
        """
        import asyncio, sys
        from tests.fakes import FakeSource, make_app, sample_queues, wait_for_snapshot

        async def main():
            app = make_app(FakeSource(sample_queues()))
            async with app.run_test() as pilot:
                await wait_for_snapshot(pilot, app)
            loaded = [m for m in ("queuewatch.genesys", "PureCloudPlatformClientV2") if m in sys.modules]
            print("loaded:", loaded)

        asyncio.run(main())
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "loaded: []" in result.stdout


async def test_queue_names_are_shown_literally(source: FakeSource) -> None:
    app = make_app(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        lines = screen_lines(app)
        assert any("! [VIP] Sales" in line for line in lines)
        assert any("‼ Support EMEA" in line for line in lines)
        long_name = next(line for line in lines if line.startswith(" Retention and"))
        assert "Retention and win-back team for" in long_name, "it differs from the rest at its start"
        assert "…" in long_name and "premium accounts " not in long_name


async def test_names_sharing_their_start_are_cut_where_they_differ_and_the_cut_follows_the_filter() -> None:
    names = ["Collections - Early Arrears", "Collections - Late Arrears", "Customer Care - Complaints"]
    source = FakeSource(queue(f"q{n}", name, waiting=n) for n, name in enumerate(names))
    app = make_app(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_snapshot(pilot, app)
        table = app.query_one(QueueTable)
        assert 12 <= table.column_width("name") < 20, "names must be cut at 80 columns"
        cut = {
            key: table.render_line(1 + (table.row_index(key) or 0)).text.split("  ")[0]
            for key in ("q0", "q1")
        }
        assert "Early" in cut["q0"] and "Late" in cut["q1"], cut
        assert all("…" in text for text in cut.values())
        await pilot.press("slash", *"early", "enter")
        assert order(app) == ["q0"]
        alone = table.render_line(1).text
        assert alone.startswith(" Collection") and "Early" not in alone, "alone, it is cut at its end"


async def test_filter_is_live_kept_by_enter_and_cleared_by_escape(source: FakeSource) -> None:
    app = make_app(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        field = app.query_one(FilterInput)
        assert not app.query_one("#filter").display
        await pilot.press("slash")
        assert field.display and field.has_focus
        await pilot.press("s", "u", "p")
        assert order(app) == ["q-support"]
        assert status_text(app, "count") == "1 of 5 queues"
        await pilot.press("enter")
        assert app.query_one(QueueTable).has_focus
        assert field.display
        assert order(app) == ["q-support"]
        await pilot.press("slash", "escape")
        assert not displayed(field)
        assert app.query_one(QueueTable).has_focus
        assert len(order(app)) == 5
        assert status_text(app, "count") == "5 queues"


async def test_filter_characters_are_literal_and_star_is_a_glob(source: FakeSource) -> None:
    app = make_app(source, initial_filter="[vip]")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        assert app.query_one(FilterInput).display
        assert order(app) == ["q-sales"]
        app.query_one(FilterInput).value = "re*team"
        await pilot.pause()
        assert order(app) == ["q-retention"]


async def test_sort_keys_and_the_sort_survives_refreshes(source: FakeSource) -> None:
    app = make_app(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        # Default: longest wait first, unknown last.
        assert order(app) == ["q-support", "q-sales", "q-retention", "q-billing", "q-new"]
        assert header_of(app, "longest_wait_s") == "Longest▼"
        await pilot.press("S")
        assert header_of(app, "longest_wait_s") == "Longest▲"
        assert order(app)[:3] == ["q-retention", "q-sales", "q-support"]
        await pilot.press("s")  # interacting, largest first
        assert app.sort.column == "interacting"
        assert header_of(app, "interacting") == "Intr▼"
        assert header_of(app, "longest_wait_s") == "Longest"
        source.update("q-billing", interacting=9)
        source.update("q-sales", interacting=4)
        first = app.snapshot
        await pilot.press("r")
        await wait_for_snapshot(pilot, app, than=first)
        assert order(app)[:2] == ["q-billing", "q-sales"]
        assert order(app)[-1] == "q-new"


async def test_clicking_a_header_sorts_by_it_and_again_reverses(source: FakeSource) -> None:
    app = make_app(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        table = app.query_one(QueueTable)
        await pilot.click(QueueTable, offset=(3, 0))
        await pilot.pause()
        assert order(app) == ["q-sales", "q-billing", "q-new", "q-retention", "q-support"]
        table.post_message(QueueTable.HeaderSelected(table, "name"))
        await pilot.pause()
        assert order(app) == ["q-support", "q-retention", "q-new", "q-billing", "q-sales"]


async def test_cursor_stays_on_the_same_queue_when_rows_resort(source: FakeSource) -> None:
    app = make_app(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        table = app.query_one(QueueTable)
        await pilot.press("down", "down", "down")
        assert table.cursor_key == "q-billing" == order(app)[3]
        source.update("q-billing", longest_wait_s=500.0, waiting=2)
        before = app.snapshot
        await pilot.press("r")
        await wait_for_snapshot(pilot, app, than=before)
        assert order(app)[0] == "q-billing"
        assert table.cursor_key == "q-billing"
        assert table.cursor_row == 0
        assert shown(app, "q-billing", "longest_wait_s") == "‼ 8:20"


async def test_queues_that_leave_and_come_are_removed_and_added(source: FakeSource) -> None:
    app = make_app(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        table = app.query_one(QueueTable)
        await pilot.press("down")
        assert table.cursor_key == "q-sales"
        await pilot.press("down")
        source.set_queues([*sample_queues()[1:], queue("q-late", "Late queue", longest=65)])
        # The first poll misses q-sales, which makes the poller list the queues again on the next.
        for _ in range(2):
            before = app.snapshot
            await pilot.press("r")
            await wait_for_snapshot(pilot, app, than=before)
        assert order(app) == ["q-support", "q-late", "q-retention", "q-billing", "q-new"]
        assert table.cursor_key == "q-retention"


async def test_pause_stops_polls_and_resume_restarts_them(source: FakeSource) -> None:
    clock = FakeClock()
    app = make_app(source, interval=1.0, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        await pilot.press("p")
        await wait_for(pilot, lambda: status_text(app, "next") == "paused")
        calls, paused_at = source.observe_calls, clock()
        await clock.run_until_async(pilot, lambda: clock() >= paused_at + 60)
        assert source.observe_calls == calls, "a minute paused, and no poll"
        await pilot.press("p")
        await clock.run_until_async(pilot, lambda: source.observe_calls > calls)
        await wait_for(pilot, lambda: status_text(app, "next").startswith(("next in", "updating")))


async def test_interval_keys_change_the_poll_interval(source: FakeSource) -> None:
    app = make_app(source, interval=2.0)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        await pilot.press("plus")
        assert app.poller.interval == 3.0
        await pilot.press("minus", "minus", "minus", "minus")
        assert app.poller.interval == 1.0


async def test_backoff_is_shown_and_cleared_after_recovery(source: FakeSource) -> None:
    clock = SteppedClock()
    app = make_app(source, frozen=True, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        assert status_text(app, "problem") == ""
        source.fail_next(RateLimited(retry_after=30, endpoint="/api/v2/analytics/queues/observations/query"))
        await pilot.press("r")
        await wait_for(pilot, lambda: status_text(app, "problem").startswith("rate limited"))
        assert status_text(app, "problem") == "rate limited — retrying in 30 s (attempt 1)"
        before = app.snapshot
        clock.now += 30  # the Retry-After is over
        await wait_for_snapshot(pilot, app, than=before)
        assert status_text(app, "problem") == ""


async def test_unavailable_backs_off_with_attempts_until_it_recovers(source: FakeSource) -> None:
    app = make_app(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        source.fail_until_further_notice(Unavailable("HTTP 503"))
        await pilot.press("r")
        await wait_for(pilot, lambda: attempt_shown(app) >= 2)
        assert status_text(app, "problem").startswith("Genesys unavailable — retrying in ")
        source.fail_until_further_notice(None)
        before = app.snapshot
        await pilot.press("r")
        await wait_for_snapshot(pilot, app, than=before)
        assert status_text(app, "problem") == ""


async def test_a_bug_in_queuewatch_is_shown_and_tried_again_after_a_minute(source: FakeSource) -> None:
    """The README's last fault: ``unexpected …`` in the status bar, the dashboard stays up, and the
    poll is tried again 60 s later."""
    clock = FakeClock()
    app = make_app(source, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        good = app.snapshot
        source.fail_next(ZeroDivisionError("division by zero"))
        await clock.tick_async(pilot, 5)  # the next poll
        await wait_for(pilot, lambda: status_text(app, "problem").startswith("unexpected"))
        failed_at = clock()
        assert status_text(app, "problem") == (
            "unexpected ZeroDivisionError: division by zero — asking again in 1 min"
        )
        assert app.snapshot is good and app.query_one(QueueTable).row_count == 5, "the last picture stays"
        await clock.run_until_async(pilot, lambda: app.snapshot is not good)
        assert app.snapshot is not None
        assert app.snapshot.taken_at.timestamp() == failed_at + 60, "polled again a minute later"
        assert status_text(app, "problem") == ""


async def test_quit_during_a_backoff_is_not_held_up_by_it(
    source: FakeSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The poller's clock never moves here, so the 60 s backoff never ends by itself: quitting must
    stop the poller, not wait for it (its thread would hold up the process's exit)."""
    clock = FakeClock()
    app = make_app(source, clock=clock)
    ended = poller_ended(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        source.fail_next(RateLimited(retry_after=60, endpoint="/x"))
        await pilot.press("r")
        await wait_for(pilot, lambda: status_text(app, "problem").startswith("rate limited"))
        assert clock.sleeping()
        await pilot.press("q")
    assert ended.wait(5), "the poller stopped"
    assert source.closed.is_set()


async def test_help_lists_keys_thresholds_and_sort(source: FakeSource) -> None:
    app = make_app(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text", Static).content)
        assert "longest wait now, largest first" in text
        lines = [line.split() for line in text.splitlines()]
        assert next(ln for ln in lines if ln[:1] == ["voice"])[:7] == [
            "voice",
            "1:00",
            "/",
            "3:00",
            "5",
            "/",
            "15",
        ]
        assert next(ln for ln in lines if ln[:1] == ["email"])[:4] == ["email", "4:00:00", "/", "8:00:00"]
        assert "not responding    warn ≥ 1   critical ≥ 3 agents of the queue" in text
        assert "Pause" in text and "ctrl+p" in text
        assert "⊘ alerts muted" in text, "the mute mark is explained"
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_a_refresh_remakes_only_the_rows_that_changed(source: FakeSource) -> None:
    app = make_app(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        table = app.query_one(QueueTable)
        rows = {key: table.row(key) for key in order(app)}
        source.update("q-billing", waiting=2)
        before = app.snapshot
        await pilot.press("r")
        await wait_for_snapshot(pilot, app, than=before)
        assert app.live_view.made == 1
        remade = [key for key in order(app) if table.row(key) is not rows[key]]
        assert remade == ["q-billing"]
        assert table.row_count == 5


async def test_marks_and_styles_follow_the_value(source: FakeSource) -> None:
    app = make_app(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        assert shown(app, "q-support", "waiting") == "‼ 16"
        assert shown(app, "q-support", "name") == "‼ Support EMEA"
        source.update("q-support", waiting=1, longest_wait_s=10.0)
        source.update("q-support", agents=replace(sample_queues()[1].agents, idle=2))
        calm_today = replace(sample_queues()[1].today, abandon_rate=0.01, service_level=0.95)
        source.update("q-support", today=calm_today)
        await pilot.pause(1.1)  # today's figures are fetched at most once a second in these tests
        before = app.snapshot
        await pilot.press("r")
        await wait_for_snapshot(pilot, app, than=before)
        assert shown(app, "q-support", "waiting") == "1"
        assert shown(app, "q-support", "name") == "Support EMEA"


async def test_breach_styles_come_from_the_theme(source: FakeSource) -> None:
    app = make_app(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        table = app.query_one(QueueTable)
        cell = table.cell("q-support", "waiting")

        def critical_style() -> Any:
            return table.cell_style(cell)

        dark = critical_style()
        assert dark.color is not None and dark.bold
        app.theme = "textual-light"
        await pilot.pause()
        light = critical_style()
        assert light.color is not None and light.color != dark.color


async def test_refreshes_keep_the_scroll_position() -> None:
    source = FakeSource([queue(f"q{i:02d}", f"Queue {i:02d}", longest=float(i)) for i in range(60)])
    app = make_app(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        table = app.query_one(QueueTable)
        table.scroll_to(y=20, animate=False)
        await pilot.pause()
        assert table.scroll_y == 20
        source.update("q00", longest_wait_s=900.0)  # from the bottom to the top
        before = app.snapshot
        await pilot.press("r")
        await wait_for_snapshot(pilot, app, than=before)
        assert order(app)[0] == "q00"
        assert table.scroll_y == 20


async def test_a_key_after_a_refresh_brings_the_cursor_back_into_view() -> None:
    source = FakeSource([queue(f"q{i:02d}", f"Queue {i:02d}", longest=float(i)) for i in range(60)])
    app = make_app(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        table = app.query_one(QueueTable)
        source.update("q59", longest_wait_s=None)  # the queue under the cursor sinks to the bottom
        before = app.snapshot
        await pilot.press("r")
        await wait_for_snapshot(pilot, app, than=before)
        assert table.cursor_key == "q59"
        assert table.scroll_y == 0
        await pilot.press("up")
        assert table.cursor_key == order(app)[-2]
        assert table.scroll_y > 30


async def test_the_palette_offers_the_keys_of_the_screen_in_front(source: FakeSource) -> None:
    app = make_app(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)

        def commands() -> dict[str, str]:
            return {c.title: c.help for c in app.get_system_commands(app.screen)}

        on_table = commands()
        for title in ("Filter", "Sort", "Reverse", "Next breach", "Media", "Mute", "Pause", "Export JSON"):
            assert title in on_table, title
        assert "Resume" not in on_table, "pause or resume, whichever applies"
        assert on_table["Mute"] == "Mute or unmute alerts for the queue under the cursor"
        await pilot.press("p")
        assert "Resume" in commands() and "Pause" not in commands()

        await pilot.press("p", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueDetailScreen))
        on_detail = commands()
        assert not {"Filter", "Sort", "Next breach", "Media"} & set(on_detail), (
            "the table's keys stay with it"
        )
        assert on_detail["Mute"] == "Mute or unmute alerts for this queue"
        assert "Refresh" in on_detail


async def test_the_table_s_keys_belong_to_the_dashboard_screen(source: FakeSource) -> None:
    app = make_app(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        assert isinstance(app.screen, DashboardScreen)
        active = {active.binding.key for active in app.screen.active_bindings.values()}
        assert {"slash", "s", "n", "m", "x", "p", "r"} <= active
        app_actions = {b.action for b in QueuewatchApp.BINDINGS if isinstance(b, Binding)}
        assert not app_actions & {"filter", "sort_next", "sort_reverse", "next_breach", "media", "mute"}
