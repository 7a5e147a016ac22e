"""The dashboard's keys for breaches, export, media, alerts and detail, driven through Pilot."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.widget import Widget
from textual.widgets import Label, Static

from queuewatch.errors import Unavailable
from queuewatch.model import AgentActivity, Live, MediaStats, QueueStats, Today
from queuewatch.trends import Trends
from queuewatch.tui.app import QueuewatchApp
from queuewatch.tui.screens import HelpScreen, QueueDetailScreen, SummaryColumns, TrendLine
from queuewatch.tui.widgets import QueueTable, StatusBar
from tests.fakes import (
    FROZEN_WALL,
    FakeSource,
    make_app,
    media_of,
    order,
    queue,
    sample_queues,
    screen_of,
    shown,
    wait_for,
    wait_for_snapshot,
)

SIZE = (120, 30)


def record_notes(app: QueuewatchApp) -> list[tuple[str, str]]:
    """(message, severity) of every notification the app raises from now on."""
    notes: list[tuple[str, str]] = []
    original = app.notify

    def spy(message: str, *, title: str = "", severity: Any = "information", **options: Any) -> None:
        notes.append((message, severity))
        original(message, title=title, severity=severity, **options)

    app.notify = spy  # type: ignore[method-assign]
    return notes


def status_count(app: QueuewatchApp) -> str:
    return str(app.query_one("#status-count", Label).content)


def status_hidden(app: QueuewatchApp) -> str:
    label = app.query_one("#status-hidden", Label)
    return str(label.content) if label.display else ""


async def refresh(pilot: Any, app: QueuewatchApp) -> None:
    before = app.snapshot
    await pilot.press("r")
    await wait_for_snapshot(pilot, app, than=before)


# --- n / N: next and previous breaching queue ----------------------------------------------------------


def many_queues() -> list[QueueStats]:
    """60 calm queues, longest wait 0-59 s; q10 warns (6 waiting), q45 is critical (16 waiting)."""
    queues = [queue(f"q{i:02d}", f"Queue {i:02d}", longest=float(i)) for i in range(60)]
    queues[10] = queue("q10", "Queue 10", longest=10.0, waiting=6)
    queues[45] = queue("q45", "Queue 45", longest=45.0, waiting=16)
    return queues


async def test_n_and_shift_n_walk_the_breaching_queues_wrapping_and_scrolling() -> None:
    app = make_app(FakeSource(many_queues()))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        table = app.query_one(QueueTable)
        assert order(app).index("q45") == 14 and order(app).index("q10") == 49
        await pilot.press("n")
        assert table.cursor_key == "q45"
        await pilot.press("n")
        await pilot.pause()
        assert table.cursor_key == "q10"
        visible_rows = table.scrollable_content_region.height - 1  # less the header
        assert table.scroll_y <= 49 < table.scroll_y + visible_rows, "scrolled into view"
        await pilot.press("n")
        assert table.cursor_key == "q45", "wraps to the top"
        await pilot.press("N")
        assert table.cursor_key == "q10", "wraps to the bottom"
        await pilot.press("N")
        assert table.cursor_key == "q45"
        await pilot.pause()
        assert table.scroll_y <= 14


async def test_n_with_nothing_breaching_says_so_and_stays() -> None:
    app = make_app(FakeSource([queue("a", "A"), queue("b", "B")]))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        notes = record_notes(app)
        table = app.query_one(QueueTable)
        before = table.cursor_key
        await pilot.press("n")
        assert table.cursor_key == before
        assert notes == [("no queue shown is breaching", "information")]


# --- e / E: export the view ----------------------------------------------------------------------------


async def test_e_exports_exactly_the_rows_shown_in_order_as_csv(tmp_path: Path) -> None:
    app = make_app(FakeSource(sample_queues()), export_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        notes = record_notes(app)
        await pilot.press("slash", "e", "enter", "s", "s", "s")  # filter, then sort by on queue
        shown_ids = order(app)
        assert len(shown_ids) in range(2, 5)
        await pilot.press("e")
        files = list(tmp_path.glob("queuewatch-*.csv"))
        assert len(files) == 1
        assert files[0].name.startswith("queuewatch-") and len(files[0].stem) == len(
            "queuewatch-20261129-101502"
        )
        rows = list(csv.DictReader(io.StringIO(files[0].read_text(encoding="utf-8"))))
        assert [row["id"] for row in rows] == shown_ids
        assert notes == [(f"exported {len(shown_ids)} queues to {files[0]}", "information")]


async def test_shift_e_exports_json_with_the_documented_schema(tmp_path: Path) -> None:
    app = make_app(FakeSource(sample_queues()), export_dir=tmp_path, frozen=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        await pilot.press("E")
        path = tmp_path / "queuewatch-20260302-140500.json"  # the frozen wall clock, in UTC
        document = json.loads(path.read_text(encoding="utf-8"))
        assert set(document) == {"taken_at", "today_at", "partial", "queues", "errors"}
        assert [q["id"] for q in document["queues"]] == order(app)
        assert document["queues"][0]["agents"]["idle"] == 0


async def test_an_export_that_cannot_be_written_is_a_notification_not_a_crash(tmp_path: Path) -> None:
    app = make_app(FakeSource(sample_queues()), export_dir=tmp_path / "not-there")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        notes = record_notes(app)
        await pilot.press("e")
        assert len(notes) == 1
        message, severity = notes[0]
        assert severity == "error"
        assert message.startswith("export failed: No such file or directory: ")
        assert "not-there" in message
        await refresh(pilot, app)  # still up and polling
        assert app.is_running


# --- m: media type filter ------------------------------------------------------------------------------


def media_queues() -> list[QueueStats]:
    voice = MediaStats(
        live=Live(waiting=16, longest_wait_s=200.0, interacting=3),
        today=Today(
            offered=50, answered=40, abandoned=9, abandon_rate=0.18, service_level=0.5, sl_target=0.8
        ),
    )
    chat = MediaStats(
        live=Live(waiting=1, longest_wait_s=12.0, interacting=2),
        today=Today(
            offered=30, answered=30, abandoned=0, abandon_rate=0.0, service_level=0.95, sl_target=0.7
        ),
    )
    return [
        queue("q-both", "Both", waiting=17, longest=200.0, idle=4, by_media={"voice": voice, "chat": chat}),
        queue("q-voice", "Voice line", waiting=16, longest=200.0, idle=1, by_media={"voice": voice}),
        queue("q-chat", "Chat desk", waiting=1, longest=12.0, idle=3, by_media={"chat": chat}),
        queue("q-none", "Quiet"),
    ]


async def test_m_cycles_the_media_filter_combined_with_the_name_filter() -> None:
    app = make_app(FakeSource(media_queues()))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        assert status_count(app) == "4 queues"
        await pilot.press("m")
        assert app.media == "voice"
        assert sorted(order(app)) == ["q-both", "q-voice"]
        assert status_count(app) == "voice · 2 of 4 queues"
        await pilot.press("m")
        assert app.media == "chat"
        assert sorted(order(app)) == ["q-both", "q-chat"]
        assert shown(app, "q-both", "waiting") == "1", "chat's figure, not the queue's 17"
        assert shown(app, "q-both", "offered") == "30"
        assert shown(app, "q-both", "idle") == "4", "agents stay the queue's"
        assert shown(app, "q-both", "name") == "Both"
        # Voice Line is hidden, and Both's voice breach is out of sight under chat.
        assert status_hidden(app) == "2 breaching hidden"
        await refresh(pilot, app)
        assert shown(app, "q-both", "waiting") == "1", "the filter survives refreshes"
        await pilot.press("slash", *"desk", "enter")
        assert order(app) == ["q-chat"]
        assert status_count(app) == "chat · 1 of 4 queues"
        await pilot.press("slash", "escape")
        await pilot.press("m", "m", "m")
        assert app.media == "callback" and order(app) == []
        await pilot.press("m")
        assert media_of(app) is None
        assert len(order(app)) == 4
        assert shown(app, "q-both", "waiting") == "‼ 17 voice", "a mixed figure names the media breaching"
        assert status_count(app) == "4 queues"
        assert status_hidden(app) == ""


# --- alerts and mute -----------------------------------------------------------------------------------


async def test_a_queue_entering_critical_notifies_once_and_rings_the_bell_if_asked() -> None:
    source = FakeSource(sample_queues())
    app = make_app(source, bell=True)
    bells: list[None] = []
    app.bell = lambda: bells.append(None)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        notes = record_notes(app)
        await wait_for_snapshot(pilot, app)
        assert notes == [], "what is critical at start is on screen already"
        source.update("q-billing", waiting=20)
        await refresh(pilot, app)
        assert notes == [("Billing critical: 20 waiting (≥ 15)", "error")]
        assert len(bells) == 1
        await refresh(pilot, app)
        source.update("q-billing", waiting=6)  # a warning is not back to OK
        await refresh(pilot, app)
        source.update("q-billing", waiting=20)
        await refresh(pilot, app)
        assert len(notes) == 1 and len(bells) == 1, "no alert again while hovering on the line"


async def test_without_the_bell_option_alerts_are_silent() -> None:
    source = FakeSource(sample_queues())
    app = make_app(source)
    bells: list[None] = []
    app.bell = lambda: bells.append(None)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        notes = record_notes(app)
        source.update("q-billing", waiting=20)
        await refresh(pilot, app)
        assert [severity for _, severity in notes] == ["error"]
        assert bells == []


async def test_a_burst_of_alerts_is_one_notification_naming_the_worst() -> None:
    source = FakeSource([queue(f"q{i}", f"Queue {i}") for i in range(6)])
    app = make_app(source)
    bells: list[None] = []
    app.bell = lambda: bells.append(None)  # type: ignore[method-assign]
    app.bell_on_alert = True
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        notes = record_notes(app)
        for i in range(6):
            source.update(f"q{i}", waiting=16 + i, longest_wait_s=200.0 + 60 * (i % 3))
        await refresh(pilot, app)
        assert len(notes) == 1 and len(bells) == 1
        message, severity = notes[0]
        assert severity == "error"
        assert message.splitlines() == [
            "Queue 5: longest wait 5:20 …",  # the longest wait, then the most waiting
            "Queue 2: longest wait 5:20 …",
            "Queue 4: longest wait 4:20 …",
            "and 3 more (n steps through them)",
        ]
        titles = [note.title for note in app._notifications]
        assert titles[-1] == "6 queues became critical"


async def test_x_mutes_the_queue_under_the_cursor() -> None:
    source = FakeSource(sample_queues())
    app = make_app(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        notes = record_notes(app)
        await pilot.press("down")
        assert app.query_one(QueueTable).cursor_key == "q-sales"
        await pilot.press("x")
        assert shown(app, "q-sales", "name") == "! ⊘ [VIP] Sales"
        assert notes == [("[VIP] Sales: alerts muted", "information")]
        source.update("q-sales", waiting=30)
        await refresh(pilot, app)
        assert shown(app, "q-sales", "name") == "‼ ⊘ [VIP] Sales"
        assert len(notes) == 1, "a muted queue never alerts"
        await pilot.press("x")
        assert shown(app, "q-sales", "name") == "‼ [VIP] Sales"
        assert notes[-1] == ("[VIP] Sales: alerts on", "information")


# --- Enter: the queue in detail ------------------------------------------------------------------------


def detail_text(app: QueuewatchApp) -> str:
    return str(app.screen.query_one("#detail-text", Static).content)


def is_displayed(widget: Widget) -> bool:
    return widget.display


def summary_text(app: QueuewatchApp) -> str:
    return str(app.screen.query_one("#detail-summary", SummaryColumns).render())


async def test_enter_opens_the_queue_in_detail_live_and_escape_goes_back() -> None:
    waiting = (("c1", "chat", 40.0), ("c2", "voice", 250.0), ("c3", "voice", 90.0))
    queues = [queue("q-support", "Support EMEA", waiting=3, longest=250.0, waiting_detail=waiting)]
    source = FakeSource([*queues, queue("q-calm", "Calm")])
    wall = [FROZEN_WALL]
    app = make_app(source, wall_clock=lambda: wall[0])
    app.trends = Trends(window=600, spacing=10)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        table = app.query_one(QueueTable)
        assert table.cursor_key == "q-support"
        await pilot.press("enter")
        assert isinstance(app.screen, QueueDetailScreen)
        text = detail_text(app)
        lines = text.splitlines()
        start = lines.index("Waiting, oldest first")
        assert [line.split()[1:] for line in lines[start + 2 : start + 5]] == [
            ["‼", "4:10", "voice"],  # each against its media type's thresholds
            ["!", "1:30", "voice"],
            ["0:40", "chat"],
        ]
        summary = summary_text(app).splitlines()
        assert summary[0].split() == ["Now", "Agents", "Today"], "the summary first, side by side"
        assert "SL target" in summary_text(app) and "80%" in summary_text(app)
        trend = app.screen.query_one("#detail-waiting-trend", TrendLine)
        assert trend.values == [3.0]
        assert not is_displayed(trend), "one sample is no trend"
        label = app.screen.query_one("#detail-waiting-label", Label)
        assert str(label.content) == "Waiting: not enough data yet"

        wall[0] += timedelta(minutes=2)
        source.update("q-support", waiting=1, waiting_detail=(("c2", "voice", 255.0),))
        await refresh(pilot, app)
        lines = detail_text(app).splitlines()
        start = lines.index("Waiting, oldest first")
        assert lines[start + 2].split()[1:] == ["‼", "4:15", "voice"]
        assert lines[start + 3] == "", "the others have been answered"
        assert trend.values == [3.0, 1.0]
        assert is_displayed(trend)
        assert str(label.content) == "Waiting, last 2 min: 1 to 3, now 1", "the span the samples cover"
        assert trend.render_line(0).text.strip() == "█▄", "from zero: 1 of 3 is a low bar, not an empty one"

        sort, media = app.sort, app.media
        await pilot.press("n", "s", "m", "slash")  # table keys do nothing here
        assert (app.sort, app.media, table.cursor_key) == (sort, media, "q-support")
        assert isinstance(app.screen, QueueDetailScreen)
        await pilot.press("x")  # mutes the queue shown
        assert app.alerter.muted == {"q-support"}

        await pilot.press("escape")
        assert not isinstance(screen_of(app), QueueDetailScreen)
        assert table.has_focus and table.cursor_key == "q-support"
        assert shown(app, "q-support", "name") == "‼ ⊘ Support EMEA"


async def test_at_80x24_the_detail_screen_shows_the_summary_before_the_waiting_list() -> None:
    many = tuple((f"c{n}", "voice", 600.0 - n) for n in range(40))
    source = FakeSource([queue("q-support", "Support EMEA", waiting=40, longest=600.0, waiting_detail=many)])
    app = make_app(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_snapshot(pilot, app)
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, QueueDetailScreen)
        summary = screen.query_one("#detail-summary", SummaryColumns)
        lines = summary_text(app).splitlines()
        assert lines[0].split() == ["Now", "Agents", "Today"]
        assert any("members" in line and "ASA" in line for line in lines), "Agents and Today to their ends"
        assert lines[-1].split()[0] == "AHT"
        body = screen.query_one("#detail-body").content_region
        assert summary.region.height == len(lines)
        assert body.contains_region(summary.region), "all of it on screen, without scrolling"
        waiting_list = screen.query_one("#detail-text", Static)
        assert waiting_list.region.y > summary.region.bottom, "the waiting list comes after"


async def test_the_detail_lists_its_agents_one_by_one_only_while_it_is_open() -> None:
    source = FakeSource([queue("q-support", "Support EMEA", not_responding=2), queue("q-calm", "Calm")])
    source.set_agents(
        "q-support",
        [
            AgentActivity("u1", "idle", 65.0, "Priya Patel"),
            AgentActivity("u2", "not_responding", 30.0, "Sam Jones"),
            AgentActivity("u3", "interacting", 400.0, "Liam Kim"),
            AgentActivity("u4", "not_responding", 250.0),
            AgentActivity("u5", "off_queue", 1900.0, "Aoife Murphy"),
        ],
    )
    app = make_app(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        assert source.activity_asked == [], "nothing is asked for while no queue is in detail"
        app.query_one(QueueTable).move_cursor(row=order(app).index("q-support"))
        await pilot.press("enter")
        assert isinstance(app.screen, QueueDetailScreen)
        heading = "Not responding, off queue, idle: who, and for how long"
        lines = detail_text(app).splitlines()
        assert lines[lines.index(heading) + 1].strip() == "asked for with the next update"
        await refresh(pilot, app)
        lines = detail_text(app).splitlines()
        start = lines.index(heading)
        listed = lines[start + 2 : start + 6]
        assert [line.strip() for line in listed] == [
            "not responding      4:10  u4",
            "not responding      0:30  Sam Jones",
            "off queue          31:40  Aoife Murphy",
            "idle                1:05  Priya Patel",
        ], "longest first within each status; interacting agents are not listed"
        assert re.search(r"not responding +! 2\b", summary_text(app)), "warn at 1, critical at 3"
        asked = len(source.activity_asked)
        assert source.activity_asked[-1] == ("q-support",)
        await pilot.press("escape")
        await refresh(pilot, app)
        await refresh(pilot, app)
        assert len(source.activity_asked) <= asked + 1, "no longer asked for once the detail is closed"


async def test_the_detail_of_a_queue_that_goes_away_says_so() -> None:
    source = FakeSource(sample_queues())
    app = make_app(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        await pilot.press("enter")
        assert isinstance(app.screen, QueueDetailScreen)
        assert app.screen.queue_id == "q-support"
        source.set_queues([q for q in sample_queues() if q.id != "q-support"])
        for _ in range(2):  # the first poll misses it; the next lists the queues again
            await refresh(pilot, app)
        assert detail_text(app) == "This queue is no longer listed."


@pytest.mark.parametrize("key", ["n", "N", "m", "x", "e", "E", "Enter"])
async def test_help_lists_the_new_keys(key: str) -> None:
    app = make_app(FakeSource(sample_queues()))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text", Static).content)
        assert any(line.strip().startswith(f"{key} ") for line in text.splitlines())


async def test_pinned_queues_stay_at_the_top_through_sorts_and_refreshes() -> None:
    source = FakeSource(sample_queues())
    app = make_app(source, pinned=("billing",))
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_snapshot(pilot, app)
        table = app.query_one(QueueTable)
        assert table.row_keys[0] == "q-billing"
        await pilot.press("S")
        assert table.row_keys[0] == "q-billing"
        await pilot.press("s", "s")
        before = app.snapshot
        await pilot.press("r")
        await wait_for_snapshot(pilot, app, than=before)
        assert table.row_keys[0] == "q-billing"


async def test_the_config_chooses_the_columns_and_their_order() -> None:
    source = FakeSource(sample_queues())
    app = make_app(source, columns=("service_level", "waiting"))
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_snapshot(pilot, app)
        table = app.query_one(QueueTable)
        assert list(table.column_keys) == ["name", "service_level", "waiting"]
        assert app.sort.column == "service_level", "the default sort column is not shown"
        await pilot.press("s")
        assert app.sort.column == "waiting"
        await pilot.press("s")
        assert app.sort.column == "name", "s cycles through the columns shown only"
        assert table.cell("q-support", "waiting").shown == "‼ 16"
        assert "aht_s" not in table.column_keys


@pytest.mark.parametrize("asked", [True, False])
async def test_desktop_notification_on_alerts_when_asked(asked: bool) -> None:
    source = FakeSource(sample_queues())
    app = make_app(source, desktop_notify=asked)
    sent: list[str] = []

    def record(message: str) -> None:
        sent.append(message)

    app.notify_desktop = record  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        source.update("q-billing", waiting=20)
        await refresh(pilot, app)
    assert sent == (["queuewatch: Billing critical: 20 waiting (≥ 15)"] if asked else [])


async def test_the_optional_trend_column_draws_recent_waiting() -> None:
    source = FakeSource(sample_queues())
    app = make_app(source, columns=("waiting", "trend"))
    app.trends = Trends(spacing=0.001)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        table = app.query_one(QueueTable)
        assert list(table.column_keys) == ["name", "waiting", "trend"]
        for waiting in (2, 8):
            source.update("q-billing", waiting=waiting)
            await refresh(pilot, app)
        spark = table.cell("q-billing", "trend")
        assert spark.text == "▁▄█" and spark.value == 8, "0, then 2, then 8 waiting"


async def test_notifications_stay_above_the_status_bar_whatever_its_height() -> None:
    source = FakeSource([queue(f"q{i}", f"Queue {i}") for i in range(6)])
    app = make_app(source)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_for_snapshot(pilot, app)
        for i in range(6):
            source.update(f"q{i}", waiting=20)
        await refresh(pilot, app)
        source.fail_until_further_notice(Unavailable("HTTP 503"))
        await pilot.press("r")
        status = app.query_one(StatusBar)
        await wait_for(pilot, lambda: status.outer_size.height == 2, timeout=10)  # the problem line
        await pilot.pause()
        toasts = list(app.screen.query("Toast"))
        assert toasts, "the burst and the outage are on screen"
        for toast in toasts:
            assert toast.region.bottom <= status.region.y, (toast.region, status.region)
        source.fail_until_further_notice(None)
