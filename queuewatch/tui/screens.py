"""The help screen (the keys, the thresholds in force and the current sort) and the queue detail
screen (one queue, live, with its trend over the last half hour)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Footer, Label, Static

from queuewatch.columns import COLUMNS
from queuewatch.formatting import fmt_duration
from queuewatch.model import MEDIA_TYPES, AgentActivity, QueueStats
from queuewatch.present import MARKS, MUTED_MARK, Sort, sparkline
from queuewatch.thresholds import Level, Override, Rule, Thresholds
from queuewatch.trends import Sample
from queuewatch.tui.detail import (
    SUMMARY_SECTIONS,
    Section,
    detail_sections,
    detail_title,
    side_by_side,
    trend_label,
)


def _rule_lines(rule: Rule) -> list[str]:
    """The thresholds per media type (each judged by its own), then the queue's own."""
    lines = [f"{'':<10}{'longest wait':>21}{'waiting':>12}{'abandon':>12}  waiting, no agent idle"]
    for media in MEDIA_TYPES:
        r = rule.for_media(media)
        longest = f"{fmt_duration(r.longest_wait_warn)} / {fmt_duration(r.longest_wait_critical)}"
        waiting = f"{r.waiting_warn:g} / {r.waiting_critical:g}"
        abandon = f"{r.abandon_rate_warn:.0%} / {r.abandon_rate_critical:.0%}"
        no_agents = "critical" if r.no_agents_critical else "not flagged"
        lines.append(f"{media:<10}{longest:>21}{waiting:>12}{abandon:>12}  {no_agents}")
    lines += [
        "(warn / critical; a queue's level is the worst of its media types', each against its own)",
        f"service level     warn below the media type's target (else {rule.service_level_target:.0%}),"
        f" critical {rule.service_level_margin:.0%} points below it",
        f"not responding    warn ≥ {rule.not_responding_warn:g}   critical ≥ {rule.not_responding_critical:g}"
        " agents of the queue",
    ]
    return lines


def _setting(key: str, value: float | bool) -> str:
    if isinstance(value, bool):
        return f"{key} = {str(value).lower()}"
    if key.startswith(("abandon", "service_level")):
        return f"{key} = {value:.0%}"
    if key.startswith("longest_wait"):
        return f"{key} = {fmt_duration(value)}"
    return f"{key} = {value:g}"


def _override_lines(overrides: Iterable[Override]) -> list[str]:
    lines = []
    for override in overrides:
        values = ", ".join(_setting(key, value) for key, value in override.values.items())
        media = f" ({', '.join(override.media)})" if override.media else ""
        lines.append(f"{override.pattern!r:<17} {values or '(no changes)'}{media}")
    return lines


def help_sections(
    bindings: Iterable[tuple[str, str]],
    thresholds: Thresholds,
    sort: Sort,
    navigation: Iterable[tuple[str, str]] = (),
) -> list[Section]:
    """The help screen's sections: (title, lines), plain text. ``bindings`` and ``navigation`` are
    (key, what it does) pairs: the app's keys, and the table's for moving about."""
    keys = [f"{key:<8} {description}" for key, description in bindings]
    moves = [f"{key:<8} {description}" for key, description in navigation]
    columns = [f"{column.header:<8} {column.title}" for column in COLUMNS]
    warn, critical = MARKS[Level.WARN], MARKS[Level.CRITICAL]
    marks = [
        f"marks             {warn} warning   {critical} critical (also in front of the queue name)",
        f"                  {MUTED_MARK} alerts muted (x), after the queue's level mark",
    ]
    sections = [
        ("Keys", keys),
        ("Moving about the table", moves),
        (
            "Sort",
            [
                f"now       {sort.describe()}",
                "default   longest wait now, largest first",
                "s next column, S reverse, or click a header (again to reverse)",
            ],
        ),
        ("Filter", ["part of a queue name, any case; * matches any text; nothing else is special"]),
        (
            "Media",
            [
                "m: all → voice → chat → email → message → callback → all, with the name filter;",
                "only queues handling that media type, with its figures (agents stay the queue's).",
                "Each media type is judged by its own thresholds. Under all media, Longest shows (and",
                "sorts by) the wait furthest towards its own media type's critical threshold, and a",
                "figure mixing media types names the one that breaches: ‼ 56 msg (msg message,",
                "cb callback). The status bar counts the queues in breach that the filters hide.",
            ],
        ),
        (
            "Alerts",
            [
                "a queue whose live figures (waiting, longest wait, no agent idle, not responding)",
                "become critical raises a notification (and the bell, with --bell); so, separately,",
                "do today's (abandon rate, service level); each alerts again only after two snapshots",
                "back to OK; x mutes the queue under the cursor. Data going stale alerts too.",
            ],
        ),
        ("Export", ["e CSV, E JSON: the queues shown, in order, to queuewatch-YYYYMMDD-HHMMSS.csv|json"]),
        ("Thresholds", [*_rule_lines(thresholds.default), *marks]),
        ("Per-queue overrides (first match wins per setting)", _override_lines(thresholds.overrides)),
        ("Columns", columns),
    ]
    return [(title, lines) for title, lines in sections if lines]


def _as_content(sections: Iterable[Section]) -> Content:
    parts: list[str | tuple[str, str]] = []
    for title, lines in sections:
        parts.extend([(title, "bold underline"), "\n", *(f"  {line}\n" for line in lines), "\n"])
    return Content.assemble(*parts).rstrip()


class HelpScreen(ModalScreen[None]):
    """Keys, thresholds and sort; any of Esc, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("q", "dismiss", "Close", show=False),
        Binding("question_mark", "dismiss", "Close", show=False),
    ]

    def __init__(self, sections: list[Section]) -> None:
        super().__init__()
        self._sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "queuewatch help"
            body.border_subtitle = "Esc closes"
            yield Static(_as_content(self._sections), id="help-text")


class SummaryColumns(Widget):
    """Sections side by side when the width allows, else one under another; as tall as it needs."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._sections: list[Section] = []

    def show(self, sections: list[Section]) -> None:
        self._sections = sections
        self.refresh(layout=True)

    def _content(self, width: int) -> Content:
        parts: list[str | tuple[str, str]] = []
        for number, line in enumerate(side_by_side(self._sections, width) if self._sections else []):
            if number:
                parts.append("\n")
            parts.extend((text, "bold underline") if title else text for text, title in line)
        return Content.assemble(*parts)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(side_by_side(self._sections, width)) if self._sections else 0

    def render(self) -> Content:
        return self._content(self.content_size.width)


class TrendLine(Widget):
    """A sparkline as wide as the widget, scaled from zero (``present.sparkline``)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.values: list[float] = []

    def show(self, values: Sequence[float]) -> None:
        self.values = list(values)
        self.display = len(self.values) >= 2  # one sample is no trend
        self.refresh()

    def render(self) -> Content:
        return Content(sparkline(self.values, self.content_size.width))


class QueueDetailScreen(Screen[None]):
    """One queue: first the summary (now, its agents, today), then the trend of waiting and longest
    wait, who waits (oldest first), its agents one by one and the figures per media type. The app
    calls ``show`` with every new snapshot."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Back"),
        Binding("q", "dismiss", "Back", show=False),
        Binding("question_mark", "app.help", "Help", key_display="?", tooltip="Every key, the thresholds"),
        Binding("x", "mute", "Mute", tooltip="Mute or unmute alerts for this queue"),
    ]

    def __init__(self, queue_id: str) -> None:
        super().__init__()
        self.queue_id = queue_id
        self._latest: (
            tuple[QueueStats | None, Thresholds, list[Sample], Sequence[AgentActivity] | None, str] | None
        ) = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail-body"):
            yield SummaryColumns(id="detail-summary")
            yield Label(id="detail-waiting-label", classes="trend-label")
            yield TrendLine(id="detail-waiting-trend")
            yield Label(id="detail-longest-label", classes="trend-label")
            yield TrendLine(id="detail-longest-trend")
            yield Static(id="detail-text")
        yield Footer()

    def on_mount(self) -> None:
        self._draw()

    def action_mute(self) -> None:
        toggle = getattr(self.app, "toggle_mute", None)
        if toggle is not None:
            toggle(self.queue_id)

    def show(
        self,
        stats: QueueStats | None,
        thresholds: Thresholds,
        samples: Sequence[Sample],
        *,
        agents: Sequence[AgentActivity] | None = None,
        today_since: str = "",
    ) -> None:
        """Show the queue's latest figures (None: it is no longer listed), its recent samples, and
        its agents one by one (None: not fetched yet); ``today_since`` says when today began.

        Called before the screen is mounted, it keeps them until it is.
        """
        self._latest = (stats, thresholds, list(samples), agents, today_since)
        if self.is_mounted:
            self._draw()

    def _draw(self) -> None:
        if self._latest is None:
            return
        stats, thresholds, samples, agents, today_since = self._latest
        body = self.query_one("#detail-body")
        summary = self.query_one("#detail-summary", SummaryColumns)
        text = self.query_one("#detail-text", Static)
        body.border_subtitle = f"{today_since} · Esc back" if today_since else "Esc back"
        if stats is None:
            summary.show([])
            text.update(Content("This queue is no longer listed."))
        else:
            body.border_title = Content(detail_title(stats))  # literal, never markup
            sections = detail_sections(stats, thresholds, agents)
            summary.show(sections[:SUMMARY_SECTIONS])
            text.update(_as_content(sections[SUMMARY_SECTIONS:]))
        waiting = [(s.at, float(s.waiting)) for s in samples if s.waiting is not None]
        longest = [(s.at, s.longest_wait_s) for s in samples if s.longest_wait_s is not None]
        self.query_one("#detail-waiting-label", Label).update(Content(trend_label("Waiting", waiting)))
        self.query_one("#detail-waiting-trend", TrendLine).show([value for _, value in waiting])
        self.query_one("#detail-longest-label", Label).update(
            Content(trend_label("Longest wait", longest, duration=True))
        )
        self.query_one("#detail-longest-trend", TrendLine).show([value for _, value in longest])
