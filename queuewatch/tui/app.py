"""The queuewatch dashboard: wiring of the poller, the widgets and the keys.

The poller runs in a thread worker and reaches the app only through ``post_message``; the
source it builds (and the SDK that source imports) is created in that thread, after the first
paint. What the table shows comes from ``present.build_view``; what the status bar says from
``status.describe``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, tzinfo
from importlib.resources import files
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input

import queuewatch
from queuewatch.model import Snapshot
from queuewatch.poller import Poller, PollerEvent, PollerSettings
from queuewatch.source import QueueSource
from queuewatch.thresholds import Thresholds
from queuewatch.tui.messages import PollerReported, SnapshotReceived, to_message
from queuewatch.tui.present import DEFAULT_SORT, RowMaker, Sort, View, build_view
from queuewatch.tui.screens import HelpScreen, help_sections
from queuewatch.tui.status import PollStatus, describe
from queuewatch.tui.widgets import FilterInput, QueueTable, StatusBar, TotalsBar


def stylesheet_path() -> Path:
    """The app stylesheet: shipped inside the installed package, or at the top of a checkout."""
    shipped = files("queuewatch") / "queuewatch.tcss"
    if shipped.is_file():
        return Path(str(shipped))
    return Path(queuewatch.__file__).parent.parent / "queuewatch.tcss"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class QueuewatchApp(App[None]):
    """Every queue, live: a table with thresholds, totals, and the poller's status.

    ``connect`` builds the source and runs in the poller's thread, never on the UI thread.
    ``clock`` and ``wall_clock`` are the poller's too (tests freeze them); ``tz`` is the zone times
    are shown in (None: this machine's). ``on_event`` sees every poller event, in the poller's
    thread (for logging). ``theme`` is a Textual theme name.
    """

    CSS_PATH = stylesheet_path()
    TITLE = "queuewatch"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("p", "toggle_pause", "Pause"),
        Binding("r", "refresh", "Refresh"),
        Binding("plus", "slower", "Slower", key_display="+"),
        Binding("minus", "faster", "Faster", key_display="-"),
        Binding("s", "sort_next", "Sort"),
        Binding("S", "sort_reverse", "Reverse", key_display="S"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        *,
        connect: Callable[[], QueueSource],
        label: str,
        poller_settings: PollerSettings,
        thresholds: Thresholds,
        initial_filter: str = "",
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = _utc_now,
        tz: tzinfo | None = None,
        on_event: Callable[[PollerEvent], None] | None = None,
        theme: str | None = None,
    ) -> None:
        super().__init__()
        if theme:
            self.theme = theme
        self._on_event = on_event
        self.thresholds = thresholds
        self._rows = RowMaker(thresholds)
        self.snapshot: Snapshot | None = None
        """The latest snapshot applied to the table (None until the first arrives)."""
        self.sort = DEFAULT_SORT
        self.filter = initial_filter
        self._clock = clock
        self._tz = tz
        self._status = PollStatus(label=label, interval=poller_settings.interval)
        self._view = View(rows=(), queues=(), total=0)
        self.poller = Poller(connect, self._emit, poller_settings, clock=clock, wall_clock=wall_clock)

    @property
    def status(self) -> PollStatus:
        """The poller's state as the status bar shows it."""
        return self._status

    # --- layout and lifecycle ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TotalsBar(id="totals")
        yield QueueTable(self.sort, id="queue-table")
        yield FilterInput(
            value=self.filter,
            placeholder="filter queues by name (* matches anything; Enter keeps, Esc clears)",
            compact=True,
            id="filter",
        )
        yield StatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(FilterInput).display = bool(self.filter)
        self.query_one(QueueTable).focus()
        self._show_status()
        self.set_interval(1.0, self._show_status)
        self._run_poller()

    def on_unmount(self) -> None:
        self.poller.stop()

    @work(thread=True, exclusive=True, group="poller")
    def _run_poller(self) -> None:
        self.poller.run()

    def _emit(self, event: PollerEvent) -> None:
        """Called in the poller's thread: hand the event over, touch nothing."""
        if self._on_event is not None:
            self._on_event(event)
        self.post_message(to_message(event))

    # --- poller events -------------------------------------------------------------------------------

    def on_snapshot_received(self, message: SnapshotReceived) -> None:
        self.snapshot = message.event.snapshot
        self._status = self._status.after(message.event, self._clock())
        self._show_queues()

    def on_poller_reported(self, message: PollerReported) -> None:
        self._status = self._status.after(message.event, self._clock())
        self._show_status()

    # --- drawing -------------------------------------------------------------------------------------

    def _show_queues(self) -> None:
        queues = self.snapshot.queues if self.snapshot is not None else ()
        self._view = build_view(queues, self._rows, self.filter, self.sort)
        self.query_one(QueueTable).sync(self._view.rows, self.sort)
        self.query_one(TotalsBar).show(self._view.queues)
        self._show_status()

    def _show_status(self) -> None:
        parts = describe(self._status, self._clock(), self._view.shown, self._view.total, self._tz)
        self.query_one(StatusBar).show(parts)

    # --- filter and sort -----------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.filter = event.value
            self._show_queues()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            event.input.display = bool(event.value)
            self.query_one(QueueTable).focus()

    def on_filter_input_cleared(self, event: FilterInput.Cleared) -> None:
        self.query_one(FilterInput).display = False
        self.query_one(QueueTable).focus()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        column = str(event.column_key.value)
        self._sort_by(self.sort.reversed() if column == self.sort.column else Sort.by(column))

    def _sort_by(self, sort: Sort) -> None:
        self.sort = sort
        self._show_queues()

    # --- actions -------------------------------------------------------------------------------------

    def action_filter(self) -> None:
        field = self.query_one(FilterInput)
        field.display = True
        field.focus()

    def action_toggle_pause(self) -> None:
        paused = not self.poller.paused
        if paused:
            self.poller.pause()
        else:
            self.poller.resume()
        self._status = replace(self._status, paused=paused)
        self._show_status()

    def action_refresh(self) -> None:
        self.poller.refresh_now()
        self._status = replace(self._status, paused=False)
        self._show_status()

    def action_slower(self) -> None:
        self._set_interval(self.poller.interval + 1)

    def action_faster(self) -> None:
        self._set_interval(self.poller.interval - 1)

    def _set_interval(self, seconds: float) -> None:
        interval = self.poller.set_interval(seconds)
        self._status = replace(self._status, interval=interval)
        self.notify(f"polling every {interval:g} s", timeout=2)
        self._show_status()

    def action_sort_next(self) -> None:
        self._sort_by(self.sort.next())

    def action_sort_reverse(self) -> None:
        self._sort_by(self.sort.reversed())

    def action_help(self) -> None:
        keys = [(b.key_display or b.key, b.description) for b in self._help_bindings()]
        self.push_screen(HelpScreen(help_sections(keys, self.thresholds, self.sort)))

    def _help_bindings(self) -> Iterable[Binding]:
        for binding in self.BINDINGS:
            if isinstance(binding, Binding):
                yield binding
        yield Binding("ctrl+p", "command_palette", "Command palette", key_display="ctrl+p")
        yield Binding("enter", "", "(in the filter) keep the filter, back to the table", key_display="Enter")
        yield Binding("escape", "", "(in the filter) clear the filter", key_display="Esc")

    async def action_quit(self) -> None:
        self.poller.stop()
        self.exit()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Pause or resume", "Stop or restart polling", self.action_toggle_pause)
        yield SystemCommand("Refresh now", "Poll Genesys Cloud right away", self.action_refresh)
        yield SystemCommand("Filter queues", "Show only queues whose name matches", self.action_filter)
        yield SystemCommand("Sort by next column", "Cycle the sorted column", self.action_sort_next)
        yield SystemCommand("Reverse the sort", "Flip the sort direction", self.action_sort_reverse)
