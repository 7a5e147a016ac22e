"""Stale data and the keys of issue 9, driven through Pilot on a scripted source with a stepped clock.

Going stale looks stale and is said like an alert; recovery is said once; pausing is not an outage.
The table moves with the keys people bring from k9s, htop and less; ``p`` says what it will do;
``r`` during a Retry-After says when instead of asking early. The same on the real stack (simulator,
SDK) is in test_tui_live_alerts.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from textual.widgets import Label
from textual.widgets._footer import FooterKey

from queuewatch.errors import RateLimited, Unavailable
from queuewatch.tui.app import QueuewatchApp
from queuewatch.tui.screens import HelpScreen
from queuewatch.tui.widgets import QueueTable, TotalsBar
from tests.fakes import (
    FROZEN_WALL,
    FakeSource,
    SteppedClock,
    make_app,
    queue,
    sample_queues,
    shown,
    wait_for,
    wait_for_snapshot,
)

SIZE = (120, 30)


class Heard:
    """Everything the app says to the supervisor: notifications, bells, desktop notifications."""

    def __init__(self, app: QueuewatchApp) -> None:
        self.notes: list[tuple[str, str]] = []
        self.bells = 0
        self.desktop: list[str] = []
        original = app.notify

        def notify(message: str, *, title: str = "", severity: Any = "information", **options: Any) -> None:
            self.notes.append((message, severity))
            original(message, title=title, severity=severity, **options)

        def bell() -> None:
            self.bells += 1

        def notify_desktop(message: str) -> None:
            self.desktop.append(message)

        app.notify = notify  # type: ignore[method-assign]
        app.bell = bell  # type: ignore[method-assign]
        app.notify_desktop = notify_desktop  # type: ignore[method-assign]


def banner(app: QueuewatchApp) -> str:
    label = app.query_one("#stale-banner", Label)
    return str(label.content) if label.display else ""


def looks_stale(app: QueuewatchApp) -> bool:
    return app.query_one(QueueTable).has_class("-stale") and app.query_one(TotalsBar).has_class("-stale")


# --- stale data ----------------------------------------------------------------------------------------


async def test_going_stale_looks_stale_alerts_like_a_breach_and_recovery_is_said_once() -> None:
    source = FakeSource(sample_queues())
    clock = SteppedClock()
    app = make_app(source, frozen=True, clock=clock, bell=True, desktop_notify=True)
    async with app.run_test(size=SIZE) as pilot:
        heard = Heard(app)
        await wait_for_snapshot(pilot, app)
        assert banner(app) == "" and not looks_stale(app)
        waiting = shown(app, "q-support", "waiting")

        source.fail_until_further_notice(Unavailable("HTTP 503"))
        clock.now += 5  # the next poll is due, and fails
        await wait_for(pilot, lambda: app.status.backoff is not None)
        assert banner(app) == "" and heard.notes == [], "one failed poll is not stale data yet"
        clock.now += 6  # more than two intervals (5 s) since the last update
        await wait_for(pilot, lambda: looks_stale(app))
        assert banner(app) == "STALE since 14:05:00 (11 s) — Genesys unavailable; the figures are from then"
        assert heard.notes == [("data stale since 14:05:00: Genesys unavailable", "error")]
        assert heard.bells == 1
        assert heard.desktop == ["queuewatch: data stale since 14:05:00: Genesys unavailable"]
        assert shown(app, "q-support", "waiting") == waiting, "the last figures stay, marked stale"

        clock.now += 50
        await wait_for(pilot, lambda: "(1 min)" in banner(app))
        assert len(heard.notes) == 1 and heard.bells == 1, "said once, not at every tick"

        source.fail_until_further_notice(None)
        before = app.snapshot
        await pilot.press("r")  # cuts the outage backoff short
        await wait_for_snapshot(pilot, app, than=before)
        assert banner(app) == "" and not looks_stale(app)
        assert heard.notes[1:] == [("data fresh again: updated 14:05:00", "information")]
        assert heard.desktop[1:] == ["queuewatch: data fresh again: updated 14:05:00"]
        assert heard.bells == 1, "good news does not ring"

        before = app.snapshot
        await pilot.press("r")
        await wait_for_snapshot(pilot, app, than=before)
        assert len(heard.notes) == 2, "recovery is said once"


async def test_data_left_old_by_a_pause_looks_stale_but_does_not_alert() -> None:
    source = FakeSource(sample_queues())
    clock = SteppedClock()
    app = make_app(source, frozen=True, clock=clock, bell=True)
    async with app.run_test(size=SIZE) as pilot:
        heard = Heard(app)
        await wait_for_snapshot(pilot, app)
        await pilot.press("p")
        clock.now += 11
        await wait_for(pilot, lambda: looks_stale(app))
        assert banner(app).endswith("— paused (p resumes); the figures are from then")
        assert heard.notes == [] and heard.bells == 0
        before = app.snapshot
        await pilot.press("p")
        await wait_for_snapshot(pilot, app, than=before)
        assert not looks_stale(app)
        assert heard.notes == [], "nothing went wrong, so nothing came back"


# --- keys ----------------------------------------------------------------------------------------------


async def test_j_k_g_shift_g_home_and_end_move_the_cursor_rows_not_the_columns() -> None:
    queues = [queue(f"q{i:02d}", f"Queue {i:02d}", longest=float(i)) for i in range(60)]
    app = make_app(FakeSource(queues))
    async with app.run_test(size=(60, 20)) as pilot:  # narrow: the figures scroll sideways
        await wait_for_snapshot(pilot, app)
        table = app.query_one(QueueTable)
        rows = table.row_keys
        assert table.max_scroll_x > 0
        await pilot.press("j", "j", "j")
        assert table.cursor_row == 3
        await pilot.press("k")
        assert table.cursor_row == 2
        await pilot.press("G")
        assert table.cursor_row == 59
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("end")
        assert (table.cursor_row, table.scroll_x) == (59, 0), "End goes to the last queue, not sideways"
        await pilot.press("x")
        assert app.alerter.muted == {rows[59]}, "x mutes the queue the cursor is on"
        await pilot.press("home")
        assert (table.cursor_row, table.scroll_x) == (0, 0)
        await pilot.press("right", "right")
        assert table.scroll_x > 0, "the arrows still scroll the figures sideways"
        await pilot.press("down")
        assert table.cursor_row == 1


async def test_the_help_lists_every_key_for_moving_about() -> None:
    app = make_app(FakeSource(sample_queues()))
    async with app.run_test(size=(100, 60)) as pilot:
        await wait_for_snapshot(pilot, app)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").render())
        for line in (
            "↓ j      next queue",
            "↑ k      previous queue",
            "PgDn     a page down",
            "PgUp     a page up",
            "Home g   first queue",
            "End G    last queue",
            "→        scroll the figures right",
            "←        scroll the figures left",
            "Enter    the queue under the cursor in detail (Esc back)",
            "p        Pause / Resume",
        ):
            assert line in text


def footer_says(app: QueuewatchApp, key: str) -> list[str]:
    return [widget.description for widget in app.query(FooterKey) if widget.key == key]


async def test_p_says_resume_while_paused() -> None:
    source = FakeSource(sample_queues())
    app = make_app(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        assert footer_says(app, "p") == ["Pause"]
        await pilot.press("p")
        await wait_for(pilot, lambda: footer_says(app, "p") == ["Resume"])
        assert app.poller.paused
        await pilot.press("p")
        await wait_for(pilot, lambda: footer_says(app, "p") == ["Pause"])
        assert not app.poller.paused


async def test_r_during_a_retry_after_says_when_and_sends_nothing_early() -> None:
    source = FakeSource(sample_queues())
    clock = SteppedClock()

    def wall() -> datetime:
        return FROZEN_WALL + timedelta(seconds=clock.now - 1000.0)

    app = make_app(source, frozen=True, clock=clock, wall_clock=wall)
    async with app.run_test(size=SIZE) as pilot:
        heard = Heard(app)
        await wait_for_snapshot(pilot, app)
        source.fail_next(RateLimited(retry_after=30, endpoint="/api/v2/analytics/queues/observations/query"))
        await pilot.press("r")
        await wait_for(pilot, lambda: app.status.backoff is not None)
        calls = source.observe_calls
        clock.now += 8
        await pilot.press("r")
        assert heard.notes == [("Genesys asked to wait: refreshing at 14:05:30 (in 22 s)", "information")]
        await wait_for(pilot, lambda: app.status.next_poll_at == 1030.0)  # the poller heard, and waits
        assert source.observe_calls == calls, "no request the server would refuse"
        before = app.snapshot
        clock.now += 22
        await wait_for_snapshot(pilot, app, than=before)
        assert source.observe_calls == calls + 1
