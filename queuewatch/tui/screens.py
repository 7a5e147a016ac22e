"""The help screen: the keys, the thresholds in force and the current sort."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from queuewatch.formatting import fmt_duration
from queuewatch.thresholds import Level, Override, Rule, Thresholds
from queuewatch.tui.present import COLUMNS, MARKS, Sort


def _rule_lines(rule: Rule) -> list[str]:
    no_agents = "critical" if rule.no_agents_critical else "not flagged"
    return [
        f"longest wait      warn ≥ {fmt_duration(rule.longest_wait_warn)}"
        f"   critical ≥ {fmt_duration(rule.longest_wait_critical)}",
        f"waiting           warn ≥ {rule.waiting_warn:g}   critical ≥ {rule.waiting_critical:g}",
        f"abandon rate      warn ≥ {rule.abandon_rate_warn:.0%}"
        f"   critical ≥ {rule.abandon_rate_critical:.0%}",
        f"service level     warn below the queue's target (else {rule.service_level_target:.0%}),"
        f" critical {rule.service_level_margin:.0%} points below it",
        f"nobody available  while conversations wait: {no_agents}",
    ]


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
        lines.append(f"{override.pattern!r:<17} {values or '(no changes)'}")
    return lines


Section = tuple[str, list[str]]


def help_sections(bindings: Iterable[tuple[str, str]], thresholds: Thresholds, sort: Sort) -> list[Section]:
    """The help screen's sections: (title, lines), plain text."""
    keys = [f"{key:<8} {description}" for key, description in bindings]
    columns = [f"{column.header:<8} {column.title}" for column in COLUMNS]
    warn, critical = MARKS[Level.WARN], MARKS[Level.CRITICAL]
    marks = f"marks             {warn} warning   {critical} critical (also in front of the queue name)"
    sections = [
        ("Keys", keys),
        (
            "Sort",
            [
                f"now       {sort.describe()}",
                "default   longest wait now, largest first",
                "s next column, S reverse, or click a header (again to reverse)",
            ],
        ),
        ("Filter", ["part of a queue name, any case; * matches any text; nothing else is special"]),
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
