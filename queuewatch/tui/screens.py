"""The help screen (the keys, the thresholds in force and the current sort) and the queue detail
screen (one queue, live, with its trend over the last half hour)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Label, Sparkline, Static

from queuewatch.columns import COLUMNS
from queuewatch.formatting import fmt_duration
from queuewatch.model import MEDIA_TYPES, AgentActivity, QueueStats
from queuewatch.present import MARKS, Sort
from queuewatch.thresholds import Level, Override, Rule, Thresholds
from queuewatch.tui.detail import detail_sections, detail_title


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


Section = tuple[str, list[str]]


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
    marks = f"marks             {warn} warning   {critical} critical (also in front of the queue name)"
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
        ("Thresholds", [*_rule_lines(thresholds.default), marks]),
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


def _trend_label(what: str, values: Sequence[float], fmt: str) -> str:
    if len(values) < 2:
        return f"{what}, last 30 min: no trend yet"
    low, high = min(values), max(values)
    if fmt == "duration":
        now = fmt_duration(values[-1])
        return f"{what}, last 30 min: {fmt_duration(low)} to {fmt_duration(high)}, now {now}"
    return f"{what}, last 30 min: {low:g} to {high:g}, now {values[-1]:g}"


class QueueDetailScreen(Screen[None]):
    """One queue: who waits (oldest first), its agents, today's figures per media type, and the
    trend of waiting and longest wait. The app calls ``show`` with every new snapshot."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Back"),
        Binding("q", "dismiss", "Back", show=False),
    ]

    def __init__(self, queue_id: str) -> None:
        super().__init__()
        self.queue_id = queue_id
        self._latest: (
            tuple[
                QueueStats | None, Thresholds, list[float], list[float], Sequence[AgentActivity] | None, str
            ]
            | None
        ) = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail-body"):
            yield Label(id="detail-waiting-label", classes="trend-label")
            yield Sparkline([], id="detail-waiting-trend")
            yield Label(id="detail-longest-label", classes="trend-label")
            yield Sparkline([], id="detail-longest-trend")
            yield Static(id="detail-text")
        yield Footer()

    def on_mount(self) -> None:
        self._draw()

    def show(
        self,
        stats: QueueStats | None,
        thresholds: Thresholds,
        waiting: Sequence[float],
        longest: Sequence[float],
        *,
        agents: Sequence[AgentActivity] | None = None,
        today_since: str = "",
    ) -> None:
        """Show the queue's latest figures (None: it is no longer listed), its trend, and its
        agents one by one (None: not fetched yet).

        Called before the screen is mounted, it keeps them until it is.
        """
        self._latest = (stats, thresholds, list(waiting), list(longest), agents, today_since)
        if self.is_mounted:
            self._draw()

    def _draw(self) -> None:
        if self._latest is None:
            return
        stats, thresholds, waiting, longest, agents, today_since = self._latest
        body = self.query_one("#detail-body")
        text = self.query_one("#detail-text", Static)
        if stats is None:
            body.border_subtitle = "Esc back"
            text.update(Content("This queue is no longer listed."))
        else:
            body.border_title = Content(detail_title(stats))  # literal, never markup
            body.border_subtitle = "Esc back"
            text.update(_as_content(detail_sections(stats, thresholds, agents, today_since)))
        self.query_one("#detail-waiting-label", Label).update(
            Content(_trend_label("Waiting", waiting, "count"))
        )
        self._set_trend("#detail-waiting-trend", waiting)
        self.query_one("#detail-longest-label", Label).update(
            Content(_trend_label("Longest wait", longest, "duration"))
        )
        self._set_trend("#detail-longest-trend", longest)

    def _set_trend(self, selector: str, values: list[float]) -> None:
        """A trend needs two samples; one would draw as a misleading full bar."""
        sparkline = self.query_one(selector, Sparkline)
        sparkline.data = values
        sparkline.display = len(values) >= 2
