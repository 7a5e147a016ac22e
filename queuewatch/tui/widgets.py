"""The dashboard's widgets: the totals strip, the status bar and the filter; the live queue table
is ``queuewatch.tui.table.QueueTable`` (re-exported here).

Colours live in ``queuewatch.tcss``: the table's threshold styles are its component classes
(``queue-table--warn``, ``queue-table--critical``) and the status bar's states are CSS classes,
so every Textual theme applies. Each breaching cell also carries a mark (``!``, ``‼``).
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Footer, Input, Label, Static

from queuewatch.present import View, totals
from queuewatch.tui.status import StatusParts, fit_line
from queuewatch.tui.table import QueueTable

__all__ = ["FilterInput", "QueueTable", "StatusBar", "TotalsBar"]


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
        content = Content.assemble(*parts)
        old = self.content
        if isinstance(old, Content) and content.plain == old.plain:
            return
        # A layout pass only when the strip needs another number of lines: one makes the whole
        # screen render again, and the totals change at almost every refresh.
        lines = content.plain.count("\n")
        self.update(content, layout=not isinstance(old, Content) or lines != old.plain.count("\n"))


class StatusBar(Vertical):
    """Where the data comes from, how fresh it is, when the next poll is, and what went wrong.

    The first line fits its width (``status.fit_line``): the least important parts give way
    first, by whole words, and the staleness and the queue count always stay. What went wrong is
    on a line of its own. Notifications are kept above the bar (and the footer), never over it.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._parts: StatusParts | None = None

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
        self._parts = parts
        line = fit_line(parts, self.size.width or self.app.size.width)
        self._set("#status-label", line["label"])
        self._set("#status-updated", line["updated"])
        self._set("#status-next", line["next"])
        self._set("#status-rate", line["rate"])
        self._set("#status-count", line["count"])
        self._set("#status-hidden", line["hidden"])
        self._set("#status-problem", parts.problem)
        self.query_one("#status-stale").display = parts.stale
        self.query_one("#status-updated").set_class(parts.stale, "-stale")
        self.query_one("#status-problem").set_class(parts.problem_fatal, "-fatal")

    def on_resize(self, event: events.Resize) -> None:
        if self._parts is not None:
            self.show(self._parts)
        self._keep_notifications_above()

    def _keep_notifications_above(self) -> None:
        """Notifications stack up from the bottom of the screen: start them above this bar and
        the footer, whatever the height of the bar (a problem adds a line)."""
        below = self.outer_size.height + sum(
            footer.outer_size.height for footer in self.screen.query(Footer) if footer.display
        )
        for rack in self.screen.query("#textual-toastrack"):
            if rack.styles.margin.bottom != below:
                rack.styles.margin = (0, 0, below, 0)

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
