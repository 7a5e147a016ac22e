"""The dashboard's columns, each declared once: its key, header and meaning, the figure it shows
(which it sorts by) and how that reads, whose figures it is, and the thresholds that judge it.

Everything else reads them from here: the table and ``snapshot``'s table (``present``), the
thresholds (``thresholds.judge`` keys its breaches by column key), the alerts (which figures are
live), the detail screen, the help and the config's ``columns``. A column key is a model field
name, and is written as the constant below (``WAITING``), never as a string: a renamed column then
fails at import instead of silently losing its breach marks. ``tests/test_columns.py`` holds every
module to that.

Pure, and free of rich, so the config can check a ``columns`` list before anything is drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from queuewatch.formatting import fmt_count, fmt_duration, fmt_percent, fmt_wait
from queuewatch.model import QueueStats

NAME = "name"
WAITING = "waiting"
LONGEST_WAIT = "longest_wait_s"
INTERACTING = "interacting"
IDLE = "idle"
ON_QUEUE = "on_queue"
NOT_RESPONDING = "not_responding"
OFF_QUEUE = "off_queue"
OFFERED = "offered"
ANSWERED = "answered"
ABANDONED = "abandoned"
ABANDON_RATE = "abandon_rate"
SERVICE_LEVEL = "service_level"
ASA = "asa_s"
AHT = "aht_s"
TREND = "trend"

#: Whose figures a column shows: the queue's name; conversations now (``live``, summed over the
#: media types, one media type's under a media filter); the queue's agents (whatever media they
#: serve); or today's figures since midnight (per media type like the live ones). Alerts watch the
#: live and agents' figures apart from today's.
Figures = Literal["queue", "live", "agents", "today"]

#: What a column sorts by: a number, a name, or None (unknown: last either way).
SortValue = float | str | None


@dataclass(frozen=True, slots=True)
class Column:
    """A table column."""

    key: str
    """Its key: a model field name."""
    header: str
    """The short header the table shows."""
    title: str
    """What it means, in the help (``longest wait now (m:ss; …)``)."""
    figures: Figures
    value: Callable[[QueueStats], SortValue] | None = None
    """The figure it shows, and sorts by (None: made where the row is made, see ``present``)."""
    fmt: Callable[[float | None], str] = lambda value: fmt_count(None if value is None else int(value))
    """How the figure reads (a count, by default)."""
    threshold: str | None = None
    """The ``thresholds.Rule`` fields that judge it (``waiting``: ``waiting_warn`` and
    ``waiting_critical``; ``no_agents``: ``no_agents_critical``); None: never marked."""

    @property
    def numeric(self) -> bool:
        """Whether it holds figures (sorted largest first at first) rather than names (A to Z)."""
        return self.figures != "queue"


def _rate(value: float | None) -> str:
    return fmt_percent(value, 1)


COLUMNS: tuple[Column, ...] = (
    Column(NAME, "Queue", "queue name", "queue", value=lambda s: s.name),
    Column(WAITING, "Wait", "conversations waiting", "live", value=lambda s: s.waiting, threshold="waiting"),
    Column(
        LONGEST_WAIT,
        "Longest",
        "longest wait now (m:ss; the most urgent, by its media type's threshold)",
        "live",
        value=None,  # the most urgent wait, sorted by its urgency (``thresholds.most_urgent_wait``)
        fmt=fmt_wait,
        threshold="longest_wait",
    ),
    Column(INTERACTING, "Intr", "conversations interacting", "live", value=lambda s: s.interacting),
    Column(
        IDLE,
        "Idle",
        "agents idle (routing status IDLE: ready for the next conversation)",
        "agents",
        value=lambda s: s.agents.idle,
        threshold="no_agents",
    ),
    Column(ON_QUEUE, "OnQ", "agents on queue", "agents", value=lambda s: s.agents.on_queue),
    Column(
        NOT_RESPONDING,
        "NoRsp",
        "agents not responding",
        "agents",
        value=lambda s: s.agents.not_responding,
        threshold="not_responding",
    ),
    Column(OFF_QUEUE, "OffQ", "agents off queue", "agents", value=lambda s: s.agents.off_queue),
    Column(OFFERED, "Offer", "offered today", "today", value=lambda s: s.today.offered),
    Column(ANSWERED, "Ans", "answered today", "today", value=lambda s: s.today.answered),
    Column(ABANDONED, "Abn", "abandoned today", "today", value=lambda s: s.today.abandoned),
    Column(
        ABANDON_RATE,
        "Ab%",
        "abandon rate today (%)",
        "today",
        value=lambda s: s.today.abandon_rate,
        fmt=lambda rate: fmt_percent(rate, 1),
        threshold="abandon_rate",
    ),
    Column(
        SERVICE_LEVEL,
        "SL%",
        "service level today (%; each media type against its own target)",
        "today",
        value=lambda s: s.today.service_level,
        fmt=fmt_percent,
        threshold="service_level",
    ),
    Column(
        ASA,
        "ASA",
        "average speed of answer today (m:ss)",
        "today",
        value=lambda s: s.today.asa_s,
        fmt=fmt_duration,
    ),
    Column(
        AHT,
        "AHT",
        "average handle time today (m:ss)",
        "today",
        value=lambda s: s.today.aht_s,
        fmt=fmt_duration,
    ),
)
COLUMN_KEYS = tuple(column.key for column in COLUMNS)

#: Columns shown only when the config file's ``columns`` asks for them.
OPTIONAL_COLUMNS: tuple[Column, ...] = (
    # Its figures are the queue's recent waiting counts, kept by ``trends``; it sorts by their peak.
    Column(
        TREND,
        "Trend",
        "conversations waiting over the last 30 minutes (sparkline; sorts by its peak)",
        "live",
    ),
)

COLUMNS_BY_KEY: Mapping[str, Column] = {column.key: column for column in (*COLUMNS, *OPTIONAL_COLUMNS)}

#: Former keys still accepted in a config file's ``columns``: old name -> key.
COLUMN_ALIASES: Mapping[str, str] = {"available": IDLE}


def choose_columns(keys: Sequence[str] | None) -> tuple[Column, ...]:
    """The columns to show, in the order given (the queue name always first); all when None.

    A former key (``COLUMN_ALIASES``) stands for its new one. Raises ``ValueError`` naming an
    unknown key and the valid ones.
    """
    if not keys:
        return COLUMNS
    keys = [COLUMN_ALIASES.get(key, key) for key in keys]
    unknown = [key for key in keys if key not in COLUMNS_BY_KEY]
    if unknown:
        raise ValueError(f"unknown column {unknown[0]!r}: use {', '.join(COLUMNS_BY_KEY)}")
    ordered = [NAME, *(key for key in dict.fromkeys(keys) if key != NAME)]
    return tuple(COLUMNS_BY_KEY[key] for key in ordered)


#: The columns a narrow plain table (``snapshot --format table``) leaves out first, least important
#: first; the queue name is never left out, and the rest go in this order only as far as needed.
DROP_ORDER: tuple[str, ...] = (
    TREND,
    AHT,
    ASA,
    ANSWERED,
    OFFERED,
    OFF_QUEUE,
    NOT_RESPONDING,
    INTERACTING,
    ABANDONED,
    ON_QUEUE,
    ABANDON_RATE,
    SERVICE_LEVEL,
    IDLE,
    LONGEST_WAIT,
    WAITING,
)
