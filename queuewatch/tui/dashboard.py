"""The dashboard screen: the queue table with its totals, filter and status bar, and the table's keys.

The keys that work on the table (filter, sort, the next breach, the media type, mute) are this
screen's, so they are simply not there on the detail screen that hides the table; the app keeps
the keys that work everywhere (pause, refresh, the interval, export, Ctrl+C). What the table shows
is the app's to decide (``present.LiveView``): this screen's actions ask the app.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Label

from queuewatch.columns import Column
from queuewatch.present import Sort
from queuewatch.tui.widgets import FilterInput, QueueTable, StatusBar, TotalsBar

if TYPE_CHECKING:
    from queuewatch.tui.app import QueuewatchApp


class DashboardScreen(Screen[None]):
    """Every queue: the totals, the stale banner, the table, the filter, the status bar."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", key_display="/", tooltip="Show only queues whose name matches"),
        Binding("s", "sort_next", "Sort", tooltip="Sort by the next column"),
        Binding("S", "sort_reverse", "Reverse", key_display="S", tooltip="Reverse the sort"),
        # Help and Quit early, so that a narrow Footer still shows those two.
        Binding("question_mark", "app.help", "Help", key_display="?", tooltip="Every key, the thresholds"),
        Binding("q", "app.quit", "Quit"),
        Binding("n", "next_breach", "Next breach", tooltip="Cursor to the next queue in breach"),
        Binding(
            "N",
            "previous_breach",
            "Previous breach",
            key_display="N",
            show=False,
            tooltip="Cursor to the previous queue in breach",
        ),
        Binding("m", "media", "Media", tooltip="All, voice, chat, email, message, callback"),
        Binding("x", "mute", "Mute", tooltip="Mute or unmute alerts for the queue under the cursor"),
    ]

    class Ready(Message):
        """The screen's widgets are there: the app may start filling them."""

    def __init__(self, sort: Sort, columns: Sequence[Column], initial_filter: str) -> None:
        super().__init__()
        self._sort = sort
        self._columns = columns
        self._filter = initial_filter

    @property
    def dashboard(self) -> QueuewatchApp:
        return cast("QueuewatchApp", self.app)

    def compose(self) -> ComposeResult:
        yield TotalsBar(id="totals")
        yield Label(id="stale-banner")
        yield QueueTable(self._sort, columns=self._columns, id="queue-table")
        yield FilterInput(
            value=self._filter,
            placeholder="filter queues by name (* matches anything; Enter keeps, Esc clears)",
            compact=True,
            id="filter",
        )
        yield StatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(FilterInput).display = bool(self._filter)
        self.query_one("#stale-banner").display = False
        self.query_one(QueueTable).focus()
        self.post_message(self.Ready())

    # --- the table's keys ----------------------------------------------------------------------------

    def action_filter(self) -> None:
        field = self.query_one(FilterInput)
        field.display = True
        field.focus()

    def action_sort_next(self) -> None:
        self.dashboard.sort_next()

    def action_sort_reverse(self) -> None:
        self.dashboard.sort_reverse()

    def action_next_breach(self) -> None:
        self.dashboard.step_breach(forward=True)

    def action_previous_breach(self) -> None:
        self.dashboard.step_breach(forward=False)

    def action_media(self) -> None:
        self.dashboard.cycle_media()

    def action_mute(self) -> None:
        key = self.query_one(QueueTable).cursor_key
        if key is not None:
            self.dashboard.toggle_mute(key)
