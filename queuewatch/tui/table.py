"""The live queue table, drawn line by line: its cost follows what is on screen, not the queue count.

A ``ScrollView`` on Textual's line API. ``render_line(y)`` draws one line of the screen: the header
on the first, then the row at ``scroll_y + y - 1``. Each row's line is built once into a ``Strip``
and kept in a bounded cache keyed by the queue id, the row's serial (a new ``Row`` is made only
when the queue's figures changed), and how it is drawn (zebra stripe or cursor); the cache is
emptied when the column widths, the sort marks or the styles (theme, focus, CSS classes) change.
So a refresh that changes a fifth of 5,000 queues redraws only the visible lines whose rows
changed, and a filter keystroke only the ~30 lines on screen.

``sync(rows, sort, widths)`` is the one way rows change (new data, filter, sort, media): the rows
come in the order to show (``present`` decides it). The cursor follows its queue across every
``sync``; the scroll position is kept, and only the user's own moves bring the cursor into view.

The queue name column stays put when the figures scroll sideways. A click on a header posts
``HeaderSelected``; Enter, or a click on the row already under the cursor, posts ``RowSelected``.
Colours come from the theme through component classes: the header, zebra and cursor here, the
threshold levels (``queue-table--warn``, ``queue-table--critical``) in the app's stylesheet; a
breaching cell also carries its mark (``!``, ``‼``), so colour is never the only signal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from queuewatch.columns import COLUMNS, NAME, Column
from queuewatch.present import (
    NAME_MAX_WIDTH,
    NAME_MIN_WIDTH,
    Cell,
    NameCutter,
    Row,
    Sort,
    column_widths,
    header,
)
from queuewatch.thresholds import Level

#: Cells name the media type of a mixed figure (``‼ 56 msg``) only while that leaves the queue
#: names at least this wide (or as wide as they need); otherwise the mark alone is shown there.
NOTES_MIN_NAME_WIDTH = 20
#: Row lines kept drawn; a screen shows at most a few dozen, so this covers scrolling back and forth.
STRIP_CACHE_SIZE = 512

_LEVEL_CLASSES = {Level.WARN: "queue-table--warn", Level.CRITICAL: "queue-table--critical"}

# How a row is drawn, besides its own cells: striped (the first, third ... row), plain, or the cursor.
_ODD, _EVEN, _CURSOR = 0, 1, 2
_VARIANT_CLASSES = {_EVEN: "queue-table--even-row", _CURSOR: "queue-table--cursor"}


class QueueTable(ScrollView, can_focus=True):
    """A row per queue, keyed by queue id; updated in place by ``sync`` (see the module's docstring)."""

    DEFAULT_CSS = """
    QueueTable {
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .queue-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .queue-table--header {
                background-tint: $foreground 5%;
            }
        }
        & > .queue-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .queue-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .queue-table--even-row {
            background: $surface-lighten-1 50%;
        }
        &:dark > .queue-table--even-row {
            background: $surface-darken-1 40%;
        }
        & > .queue-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "queue-table--header",
        "queue-table--even-row",
        "queue-table--cursor",
        *_LEVEL_CLASSES.values(),
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "next queue", key_display="↓ j", show=False),
        Binding("up,k", "cursor_up", "previous queue", key_display="↑ k", show=False),
        Binding("pagedown", "page_down", "a page down", key_display="PgDn", show=False),
        Binding("pageup", "page_up", "a page up", key_display="PgUp", show=False),
        Binding("home,g,ctrl+home", "scroll_top", "first queue", key_display="Home g", show=False),
        Binding("end,G,ctrl+end", "scroll_bottom", "last queue", key_display="End G", show=False),
        Binding("right", "cursor_right", "scroll the figures right", key_display="→", show=False),
        Binding("left", "cursor_left", "scroll the figures left", key_display="←", show=False),
        Binding("enter", "select_cursor", "", show=False),
    ]
    """The keys people bring from k9s, htop and less (the help lists those with a description)."""

    class HeaderSelected(Message):
        """A column's header was clicked."""

        def __init__(self, table: QueueTable, column_key: str) -> None:
            super().__init__()
            self.table = table
            self.column_key = column_key

        @property
        def control(self) -> QueueTable:
            return self.table

    class RowSelected(Message):
        """Enter on a row, or a click on the row already under the cursor."""

        def __init__(self, table: QueueTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> QueueTable:
            return self.table

    def __init__(self, sort: Sort, *, columns: Sequence[Column] = COLUMNS, id: str | None = None) -> None:
        super().__init__(id=id)
        self._sort = sort
        self.shown_columns = tuple(columns)
        """The columns on show, in order (the queue name first)."""
        self.column_keys = tuple(column.key for column in self.shown_columns)
        self._rows: Sequence[Row] = ()
        self._index: dict[str, int] | None = {}
        self._cursor = 0
        self._content_widths: dict[str, int] = {}
        self._bare_widths: dict[str, int] = {}
        self.show_notes = True
        """Whether cells name the media type of a mixed figure (there is room for it)."""
        self._widths: dict[str, int] = {}
        self._name_width = NAME_MAX_WIDTH
        self._names = NameCutter()
        self._names_seen: int | None = None
        self._strips: LRUCache[tuple[str, int, int], tuple[Strip, Strip]] = LRUCache(STRIP_CACHE_SIZE)
        self._header: tuple[Strip, Strip] | None = None
        self._styles: dict[tuple[int, Level], Style] = {}
        self._fit_widths()

    # --- what it shows -------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def rows(self) -> Sequence[Row]:
        """The rows shown, in order."""
        return self._rows

    @property
    def row_keys(self) -> list[str]:
        """Queue ids in the order shown."""
        return [row.key for row in self._rows]

    def row(self, key: str) -> Row:
        """The row of a queue shown (``KeyError`` if it is not)."""
        index = self.row_index(key)
        if index is None:
            raise KeyError(key)
        return self._rows[index]

    def cell(self, key: str, column: str) -> Cell:
        """One cell of a queue's row, as presented (text, value, level)."""
        return self.row(key).cells[column]

    def row_index(self, key: str) -> int | None:
        """Where a queue's row is, from the top (None when it is not shown)."""
        if self._index is None:
            self._index = {row.key: index for index, row in enumerate(self._rows)}
        return self._index.get(key)

    def header_label(self, column: str) -> str:
        """A column's header as shown, with ▲ or ▼ on the sorted column."""
        return header(next(c for c in self.shown_columns if c.key == column), self._sort)

    def column_width(self, column: str) -> int:
        """How many cells wide a column is drawn (its one-space gap included)."""
        return self._widths[column]

    @property
    def cursor_row(self) -> int:
        """The cursor's row, from the top."""
        return self._cursor

    @property
    def cursor_key(self) -> str | None:
        """The queue id under the cursor, if any."""
        return self._rows[self._cursor].key if self._cursor < len(self._rows) else None

    @property
    def visible_rows(self) -> int:
        """How many rows fit under the header."""
        return max(0, self.scrollable_content_region.height - 1)

    # --- the one way rows change ---------------------------------------------------------------------

    def sync(
        self,
        rows: Sequence[Row],
        sort: Sort,
        widths: Mapping[str, int] | None = None,
        bare_widths: Mapping[str, int] | None = None,
        names: int | None = None,
    ) -> None:
        """Show ``rows`` (already in order) sorted by ``sort``; ``widths`` and ``bare_widths`` are
        the widest cell of each column with and without the cells' notes (worked out from ``rows``
        when not given); ``names`` changes whenever the names on show do (when not given, they
        are looked at every time).

        The cursor stays on the same queue (or, if it left, at the same height); the scroll
        position is kept. Only the visible lines that changed are drawn again.
        """
        before = self._line_signature()
        under_cursor = self.cursor_key
        self._rows = rows
        self._index = None
        if sort != self._sort:
            self._sort = sort
            self._header = None
            self.refresh(Region(0, 0, self.size.width, 1))
        if widths is None or bare_widths is None:
            widths = column_widths(rows, self.column_keys)
            bare_widths = column_widths(rows, self.column_keys, bare=True)
        self._fit_widths(widths, bare_widths)
        if names is None or names != self._names_seen:
            self._names_seen = names
            if self._names.update(row.cells[NAME].text for row in rows):
                self._forget_drawn()  # the same name may now be cut elsewhere
        index = self.row_index(under_cursor) if under_cursor is not None else None
        self._cursor = index if index is not None else min(self._cursor, max(0, len(rows) - 1))
        self._resize(Size(sum(self._widths.values()), len(rows) + 1))
        self._refresh_changed(before)

    def _resize(self, size: Size) -> None:
        """The scrollable size, without a layout pass of the whole screen when only the number of
        rows changed (each filter keystroke): the scrollbars are updated (and laid out again only
        when one comes or goes), the table drawn again."""
        if size == self.virtual_size:
            return
        if not self.is_mounted or size.width != self.virtual_size.width:
            self.virtual_size = size
            return
        self.set_reactive(ScrollView.virtual_size, size)
        self._scroll_update(size)
        self.refresh()

    def go_to(self, key: str) -> None:
        """Move the cursor to a queue's row and bring it into view."""
        index = self.row_index(key)
        if index is not None:
            self.move_cursor(index)

    def move_cursor(self, row: int, *, scroll: bool = True) -> None:
        """Put the cursor on a row (clamped to the rows shown) and, unless told not to, into view."""
        before = self._line_signature()
        self._cursor = max(0, min(row, len(self._rows) - 1))
        self._refresh_changed(before)
        if scroll:
            self.scroll_to_cursor()

    def scroll_to_cursor(self) -> None:
        """Scroll just enough for the cursor's row to be in view."""
        top, height = round(self.scroll_y), max(1, self.visible_rows)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False)
        elif self._cursor >= top + height:
            self.scroll_to(y=self._cursor - height + 1, animate=False)

    # --- keys and mouse ------------------------------------------------------------------------------

    def action_cursor_up(self) -> None:
        self.move_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self._cursor + 1)

    def action_page_up(self) -> None:
        page = max(1, self.visible_rows)
        self.scroll_to(y=max(0, round(self.scroll_y) - page), animate=False)
        self.move_cursor(self._cursor - page)

    def action_page_down(self) -> None:
        page = max(1, self.visible_rows)
        self.scroll_to(y=round(self.scroll_y) + page, animate=False)
        self.move_cursor(self._cursor + page)

    def action_scroll_top(self) -> None:
        self.move_cursor(0)

    def action_scroll_bottom(self) -> None:
        self.move_cursor(len(self._rows) - 1)

    def action_cursor_right(self) -> None:
        self.scroll_right(animate=False)

    def action_cursor_left(self) -> None:
        self.scroll_left(animate=False)

    def action_select_cursor(self) -> None:
        key = self.cursor_key
        if key is not None:
            self.post_message(self.RowSelected(self, key))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            column = self._column_at(offset.x)
            if column is not None:
                self.post_message(self.HeaderSelected(self, column))
            return
        index = round(self.scroll_y) + offset.y - 1
        if 0 <= index < len(self._rows):
            if index == self._cursor:
                self.action_select_cursor()
            else:
                self.move_cursor(index)

    def _column_at(self, x: int) -> str | None:
        """The column drawn at ``x`` cells from the left edge (the name column does not scroll)."""
        name_width = self._widths[NAME]
        if x >= name_width:
            x += round(self.scroll_x)
        left = 0
        for key in self.column_keys:
            left += self._widths[key]
            if x < left:
                return key
        return None

    # --- drawing -------------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            fixed, rest = self._header_strips()
            base = self._style(_ODD, Level.OK, header=True)
        else:
            index = round(self.scroll_y) + y - 1
            if not 0 <= index < len(self._rows):
                return Strip.blank(width, self.rich_style)
            fixed, rest = self._row_strips(self._rows[index], self._variant(index))
            base = self._style(self._variant(index), Level.OK)
        name_width = fixed.cell_length
        scroll_x = round(self.scroll_x)
        tail = rest.crop(scroll_x, scroll_x + max(0, width - name_width))
        return Strip.join([fixed, tail]).extend_cell_length(width, base).crop(0, width)

    def _variant(self, index: int) -> int:
        if index == self._cursor:
            return _CURSOR
        return _ODD if index % 2 else _EVEN

    def _row_strips(self, row: Row, variant: int) -> tuple[Strip, Strip]:
        cache_key = (row.key, row.serial, variant)
        strips = self._strips.get(cache_key)
        if strips is None:
            segments = [self._segment(row.cells[key], self._widths[key], variant) for key in self.column_keys]
            fixed = Strip(segments[:1], self._widths[NAME])
            rest = Strip(segments[1:], sum(self._widths.values()) - self._widths[NAME])
            strips = (fixed, rest)
            self._strips[cache_key] = strips
        return strips

    def _header_strips(self) -> tuple[Strip, Strip]:
        if self._header is None:
            style = self._style(_ODD, Level.OK, header=True)
            segments = []
            for column in self.shown_columns:
                width = self._widths[column.key]
                label = f" {header(column, self._sort)}"
                text = label.rjust(width) if column.numeric else label.ljust(width)
                segments.append(Segment(set_cell_size(text, width), style))
            name_width = self._widths[NAME]
            self._header = (
                Strip(segments[:1], name_width),
                Strip(segments[1:], sum(self._widths.values()) - name_width),
            )
        return self._header

    def _segment(self, cell: Cell, width: int, variant: int) -> Segment:
        """A cell as one segment ``width`` cells wide: a one-space gap, then the marked text,
        right-aligned for figures; names are cut where they differ from the others on show, their
        marks kept whole."""
        return Segment(self.cell_text(cell, width), self._style(variant, cell.level))

    def cell_text(self, cell: Cell, width: int) -> str:
        """What a cell shows in ``width`` cells."""
        if cell.justify == "right":
            text = f" {cell.shown if self.show_notes else cell.bare}"
            size = cell_len(text)
            return set_cell_size(text, width) if size > width else " " * (width - size) + text
        return set_cell_size(f" {self._names.fit(cell, max(0, width - 1))}", width)

    def cell_style(self, cell: Cell) -> Style:
        """The style of a cell on a plain (odd) row: its level's colours from the theme."""
        return self._style(_ODD, cell.level)

    def _style(self, variant: int, level: Level, *, header: bool = False) -> Style:
        if header:
            return self.get_component_rich_style("queue-table--header")
        key = (variant, level)
        style = self._styles.get(key)
        if style is None:
            name = _VARIANT_CLASSES.get(variant)
            style = self.rich_style if name is None else self.get_component_rich_style(name)
            level_class = _LEVEL_CLASSES.get(level)
            if level_class is not None:
                style += self.get_component_rich_style(level_class, partial=True)
            self._styles[key] = style
        return style

    def notify_style_update(self) -> None:
        """Theme, focus or a CSS class changed: every line is drawn again with the new styles."""
        super().notify_style_update()
        self._forget_drawn()

    def _forget_drawn(self) -> None:
        self._styles.clear()
        self._strips.clear()
        self._header = None
        self.refresh()

    # --- what changed on screen ----------------------------------------------------------------------

    def _line_signature(self) -> list[tuple[str, int, int]]:
        """What each visible line shows: (queue id, row serial, variant)."""
        top = round(self.scroll_y)
        bottom = min(len(self._rows), top + self.visible_rows)
        return [(self._rows[i].key, self._rows[i].serial, self._variant(i)) for i in range(top, bottom)]

    def _refresh_changed(self, before: list[tuple[str, int, int]]) -> None:
        """Ask for a redraw of only the visible lines that show something else now."""
        after = self._line_signature()
        width = self.size.width
        for y in range(max(len(before), len(after))):
            old = before[y] if y < len(before) else None
            new = after[y] if y < len(after) else None
            if old != new:
                self.refresh(Region(0, y + 1, width, 1))

    # --- fitting the width ---------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self._fit_widths()

    def _fit_widths(
        self, content: Mapping[str, int] | None = None, bare: Mapping[str, int] | None = None
    ) -> None:
        """Size every column to its widest label or cell (plus the one-space gap).

        The queue name gets whatever room the figures leave, within bounds; longer names are cut.
        The media type a mixed figure's breach is about is named only while that leaves the names
        room enough (``NOTES_MIN_NAME_WIDTH``).
        """
        if content is not None:
            self._content_widths = dict(content)
        if bare is not None:
            self._bare_widths = dict(bare)
        available = self.scrollable_content_region.width

        def fitted(content: Mapping[str, int]) -> tuple[dict[str, int], int]:
            widths = {}
            for column in self.shown_columns:
                label = cell_len(f" {header(column, self._sort)}")
                widths[column.key] = max(label, content.get(column.key, 0) + 1)
            return widths, available - sum(w for k, w in widths.items() if k != NAME)

        widths, room = fitted(self._content_widths)
        notes = room >= min(NOTES_MIN_NAME_WIDTH, widths[NAME])
        if not notes:
            widths, room = fitted(self._bare_widths)
        self._name_width = max(NAME_MIN_WIDTH, min(NAME_MAX_WIDTH, room))
        widths[NAME] = min(widths[NAME], self._name_width)
        if widths != self._widths or notes != self.show_notes:
            self._widths = widths
            self.show_notes = notes
            self.virtual_size = Size(sum(widths.values()), len(self._rows) + 1)
            self._forget_drawn()
