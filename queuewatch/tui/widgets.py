"""The dashboard's widgets: the live queue table, the totals strip, the status bar and the filter.

Colours live in ``queuewatch.tcss``: the table's threshold styles are its component classes
(``queue-table--warn``, ``queue-table--critical``) and the status bar's states are CSS classes,
so every Textual theme applies. Each breaching cell also carries a mark (``!``, ``‼``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Static
from textual.widgets.data_table import ColumnKey

from queuewatch.columns import COLUMNS, NAME, Column
from queuewatch.present import (
    NAME_MAX_WIDTH,
    NAME_MIN_WIDTH,
    Cell,
    NameCutter,
    Row,
    Sort,
    View,
    header,
    totals,
)
from queuewatch.thresholds import Level
from queuewatch.tui.status import StatusParts

#: Cells name the media type of a mixed figure (``‼ 56 msg``) only while that leaves the queue
#: names at least this wide (or as wide as they need); otherwise the mark alone is shown there.
NOTES_MIN_NAME_WIDTH = 20

_LEVEL_CLASSES = {Level.WARN: "queue-table--warn", Level.CRITICAL: "queue-table--critical"}


class TableCell:
    """What the table holds: a presented cell, drawn with its level's style from the theme.

    Orders like the cell (by value, unknown last); the text is built when the table draws it,
    so a theme change restyles every cell.
    """

    __slots__ = ("_table", "cell", "key")

    def __init__(self, cell: Cell, table: QueueTable, key: str = "") -> None:
        self.cell = cell
        self._table = table
        self.key = key
        """The queue id of the row the cell is in."""

    def __lt__(self, other: TableCell) -> bool:
        return self.cell < other.cell

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        # One ready-made segment of exactly the cell's width: no wrapping or cropping work for
        # Rich, which matters when hundreds of cells are redrawn on every refresh.
        yield self._table.cell_segment(self.cell, options.max_width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = cell_len(self._table.cell_segment(self.cell, 0).text)
        return Measurement(width, width)


class QueueTable(DataTable[TableCell]):
    """A row per queue, keyed by queue id; updated in place by ``sync`` and never cleared.

    Its keys are those people bring from k9s, htop and less, and the help lists them all.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = set(_LEVEL_CLASSES.values())

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "next queue", key_display="↓ j", show=False),
        Binding("up,k", "cursor_up", "previous queue", key_display="↑ k", show=False),
        Binding("pagedown", "page_down", "a page down", key_display="PgDn", show=False),
        Binding("pageup", "page_up", "a page up", key_display="PgUp", show=False),
        Binding("home,g,ctrl+home", "scroll_top", "first queue", key_display="Home g", show=False),
        Binding("end,G,ctrl+end", "scroll_bottom", "last queue", key_display="End G", show=False),
        Binding("right", "cursor_right", "scroll the figures right", key_display="→", show=False),
        Binding("left", "cursor_left", "scroll the figures left", key_display="←", show=False),
    ]

    def __init__(self, sort: Sort, *, columns: Sequence[Column] = COLUMNS, id: str | None = None) -> None:
        self._hold_scroll = False
        # The queue name stays in view when a narrow terminal scrolls the figures sideways.
        super().__init__(id=id, cursor_type="row", zebra_stripes=True, cell_padding=0, fixed_columns=1)
        self._sort = sort
        self.shown_columns = tuple(columns)
        """The columns on show, in order (the queue name first)."""
        self._keys = tuple(column.key for column in self.shown_columns)
        self._rows: dict[str, Row] = {}
        self._name_width = NAME_MAX_WIDTH
        self._names = NameCutter()
        self._styles: dict[Level, Style] = {}
        self.show_notes = True
        """Whether cells name the media type of a mixed figure (there is room for it)."""

    def on_mount(self) -> None:
        for column in self.shown_columns:
            self.add_column(self._label(column), key=column.key)

    # --- drawing -------------------------------------------------------------------------------------

    def _label(self, column: Column) -> Text:
        """`` Wait`` (a one-space gap, then the header), or `` Wait▼`` on the sorted column."""
        return Text(f" {header(column, self._sort)}", justify="right" if column.numeric else "left", end="")

    def _level_style(self, level: Level) -> Style:
        if level not in self._styles:
            name = _LEVEL_CLASSES.get(level)
            style = Style() if name is None else self.get_component_rich_style(name, partial=True)
            self._styles[level] = style
        return self._styles[level]

    def cell_segment(self, cell: Cell, width: int) -> Segment:
        """A cell as one segment ``width`` cells wide (0: as wide as it needs): a one-space gap,
        then the marked text, right-aligned for figures; names are cut where they differ from the
        others on show, their marks kept whole."""
        style = self._level_style(cell.level)
        if cell.justify == "right":
            text = f" {cell.shown if self.show_notes else cell.bare}"
            size = cell_len(text)
            if width and size > width:
                return Segment(set_cell_size(text, width), style)
            return Segment(" " * max(0, width - size) + text, style)
        name = self._names.fit(cell, min(width or self._name_width, self._name_width) - 1)
        text = f" {name}"
        return Segment(set_cell_size(text, width) if width else text, style)

    def notify_style_update(self) -> None:
        self._styles.clear()
        super().notify_style_update()

    # --- the one way rows change ---------------------------------------------------------------------

    @property
    def row_keys(self) -> list[str]:
        """Queue ids in the order shown."""
        return [str(row.key.value) for row in self.ordered_rows]

    @property
    def cursor_key(self) -> str | None:
        """The queue id under the cursor, if any."""
        if not self.row_count or not self.is_valid_row_index(self.cursor_row):
            return None
        row_key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return None if row_key.value is None else str(row_key.value)

    def sync(self, rows: Sequence[Row], sort: Sort) -> None:
        """Show ``rows`` (already in order): remove those that left, add those that came, update
        changed cells, sort if the order changed.

        The cursor stays on the same queue and the scroll position is kept. Column widths are
        worked out here, once, from the rows' known cell widths: ``update_cell(update_width=True)``
        would measure a whole column again for every narrower cell, which at thousands of rows
        costs seconds.
        """
        under_cursor = self.cursor_key
        self._hold_scroll = True
        self._set_sort(sort)
        wanted = {row.key: row for row in rows}
        for key in [key for key in self._rows if key not in wanted]:
            self.remove_row(key)
            del self._rows[key]
        for row in rows:
            self._put(row)
        if self._names.update(row.cells[NAME].text for row in rows):
            self._clear_caches()  # the same name may now be cut elsewhere
            self.refresh()
        self._fit_widths(rows)
        order = [row.key for row in rows]
        if self.row_keys != order:
            # The rows came in the order to show (present.py decides it): follow it.
            rank = {key: index for index, key in enumerate(order)}
            self.sort(NAME, key=lambda cell: rank[cell.key])
        if under_cursor in self._rows:
            self.move_cursor(row=self.get_row_index(under_cursor), scroll=False)

    def go_to(self, key: str) -> None:
        """Move the cursor to a queue's row and scroll it into view (the user asked for it)."""
        self._hold_scroll = False
        self.move_cursor(row=self.get_row_index(key), scroll=True)

    def _scroll_cursor_into_view(self, animate: bool = False) -> None:
        """DataTable brings the cursor into view after every change; a refresh keeps the scroll instead.

        The cursor follows its queue when rows re-sort, but only the user's own moves (a key or a
        click since the last refresh) scroll the table to it.
        """
        if not self._hold_scroll:
            super()._scroll_cursor_into_view(animate=animate)

    def on_key(self, event: events.Key) -> None:
        self._hold_scroll = False

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self._hold_scroll = False

    def _put(self, row: Row) -> None:
        old = self._rows.get(row.key)
        self._rows[row.key] = row
        if old is None:
            cells = [TableCell(row.cells[key], self, row.key) for key in self._keys]
            self.add_row(*cells, key=row.key)
            return
        if old is row:
            return
        for key in self._keys:
            if old.cells[key] != row.cells[key]:
                self.update_cell(row.key, key, TableCell(row.cells[key], self, row.key))

    def _set_sort(self, sort: Sort) -> None:
        if sort == self._sort:
            return
        changed = {self._sort.column, sort.column}
        self._sort = sort
        for column in self.shown_columns:
            if column.key in changed:
                self.columns[ColumnKey(column.key)].label = self._label(column)

    # --- fitting the width ---------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self._fit_widths(list(self._rows.values()))

    def _fit_widths(self, rows: Sequence[Row]) -> None:
        """Size every column to its widest label or cell (plus the one-space gap).

        The queue name gets whatever room the figures leave, within bounds; longer names are cut.
        """
        labels = {column.key: cell_len(self._label(column).plain) for column in self.shown_columns}
        available = self.scrollable_content_region.width

        def fitted(attribute: str) -> tuple[dict[str, int], int]:
            widths = dict(labels)
            for row in rows:
                row_widths = getattr(row, attribute)
                for key in self._keys:
                    width = row_widths[key]
                    if width + 1 > widths[key]:
                        widths[key] = width + 1
            return widths, available - sum(w for k, w in widths.items() if k != NAME)

        widths, room = fitted("widths")
        notes = room >= min(NOTES_MIN_NAME_WIDTH, widths[NAME])
        if not notes:
            widths, room = fitted("bare_widths")
        if notes != self.show_notes:
            self.show_notes = notes
            self._clear_caches()  # every cell with a note draws differently now
            self.refresh()
        name_width = max(NAME_MIN_WIDTH, min(NAME_MAX_WIDTH, room))
        if name_width != self._name_width:
            self._name_width = name_width
            self.refresh()
        widths[NAME] = min(widths[NAME], name_width)
        changed = False
        for key, width in widths.items():
            column = self.columns[ColumnKey(key)]
            if column.content_width != width:
                column.content_width = width
                changed = True
        if changed:
            # DataTable recomputes its virtual size from the column widths on its next idle.
            self._require_update_dimensions = True
            self.refresh()


class TotalsBar(Static):
    """Sums over the queues shown: conversations now (and the most urgent wait); today's figures,
    headed by when today began; the agents, headed by what their sum counts.

    Each group stays whole: when the strip is too narrow for all of them, a group that does not
    fit goes to the next line, never half of it.
    """

    GROUP_GAP = "  │ "

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._groups: list[list[tuple[str, str]]] = []

    def show(self, view: View, today_since: str = "") -> None:
        groups: list[list[tuple[str, str]]] = [[]]
        for label, value in totals(view.queues, view.rows, today_since):
            if not value and groups[-1]:
                groups.append([])
            groups[-1].append((label, value))
        self._groups = groups
        self._draw()

    def on_resize(self, event: events.Resize) -> None:
        self._draw()

    def _draw(self) -> None:
        width = self.content_region.width or self.app.size.width
        parts: list[str | tuple[str, str] | Content] = []
        used = 0
        for group in self._groups:
            pieces: list[str | tuple[str, str]] = []
            for label, value in group:
                if value:
                    pieces.extend([(f"{label} ", "dim"), (value, "bold"), "  "])
                else:
                    pieces.append((f"{label} ", "italic dim"))
            text = Content.assemble(*pieces).rstrip()
            if parts and used + len(self.GROUP_GAP) + text.cell_length > width:
                parts.append("\n")
                used = 0
            elif parts:
                parts.append((self.GROUP_GAP, "dim"))
                used += len(self.GROUP_GAP)
            parts.append(text)
            used += text.cell_length
        self.update(Content.assemble(*parts))


class StatusBar(Vertical):
    """Where the data comes from, how fresh it is, when the next poll is, and what went wrong."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="status-line"):
            yield Label(id="status-label")
            yield Label("STALE", id="status-stale")
            yield Label(id="status-updated")
            yield Label(id="status-next")
            yield Label(id="status-rate")
            yield Label(id="status-count")
            yield Label(id="status-hidden")
        yield Label(id="status-problem")

    def show(self, parts: StatusParts) -> None:
        self._set("#status-label", parts.label)
        self._set("#status-updated", parts.updated)
        self._set("#status-next", parts.next)
        self._set("#status-rate", parts.rate)
        self._set("#status-count", parts.count)
        self._set("#status-hidden", parts.hidden)
        self._set("#status-problem", parts.problem)
        self.query_one("#status-stale").display = parts.stale
        self.query_one("#status-updated").set_class(parts.stale, "-stale")
        self.query_one("#status-problem").set_class(parts.problem_fatal, "-fatal")

    def _set(self, selector: str, text: str) -> None:
        """Show ``text``; re-lay out the screen only when its width changed.

        The bar is redrawn every second for its countdowns; a layout pass each time would make
        the whole screen render again, which is most of an idle dashboard's CPU.
        """
        label = self.query_one(selector, Label)
        old = str(label.content)
        if text != old:
            label.update(Content(text), layout=cell_len(text) != cell_len(old))
        label.display = bool(text)


class FilterInput(Input):
    """The queue name filter: typing filters live, Enter keeps it, Esc clears it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "clear", "Clear filter", show=False)]

    class Cleared(Message):
        """The user cleared the filter with Esc."""

    def action_clear(self) -> None:
        self.value = ""
        self.post_message(self.Cleared())
