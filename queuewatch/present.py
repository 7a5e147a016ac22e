"""From queue statistics to table rows: formatting, thresholds, filter and sort.

Pure: no widgets. A cell carries the text to show, the value it sorts by and its threshold level;
the table decides how a level looks (through the theme) and ``Cell.shown`` adds a mark so that
colour is never the only signal. Unknown values (``None``) show as ``–`` and sort last.

Media types: each is judged by its own thresholds (see ``queuewatch.thresholds``). When a queue's
figure mixes several media types and breaches, the cell names the media type that breaches
(``‼ 56 msg``; ``MEDIA_TAGS``). The Longest cell shows the wait that matters most: the longest wait of the
media type furthest towards (or past) its own critical threshold, named when the queue has
conversations waiting in several media types; it sorts by that urgency, not by raw seconds, so a
voice caller at 8:43 comes above an email at 1:32:47 (an email's critical is 8 h).
"""

from __future__ import annotations

import bisect
import fnmatch
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from rich.cells import cell_len, set_cell_size
from rich.text import Text

from queuewatch.columns import (
    ABANDONED,
    ANSWERED,
    COLUMN_KEYS,
    COLUMNS,
    COLUMNS_BY_KEY,
    IDLE,
    INTERACTING,
    LONGEST_WAIT,
    NAME,
    OFFERED,
    ON_QUEUE,
    TREND,
    WAITING,
    Column,
    SortValue,
)
from queuewatch.formatting import fmt_count, fmt_percent, fmt_wait
from queuewatch.model import MEDIA_TYPES, QueueStats
from queuewatch.names import folded_matcher, name_matcher, narrows, normalize
from queuewatch.thresholds import Level, Rule, Thresholds, judge, mixed_media, most_urgent_wait, worst
from queuewatch.untrusted import ID_MARK

MARKS: Mapping[Level, str] = {Level.OK: "", Level.WARN: "!", Level.CRITICAL: "‼"}
#: How a cell names a media type (short: a table cell has little room).
MEDIA_TAGS: Mapping[str, str] = {
    "voice": "voice",
    "chat": "chat",
    "email": "email",
    "message": "msg",
    "callback": "cb",
}
#: Beside the level mark, in front of the name of a queue whose alerts are muted.
MUTED_MARK = "⊘"
#: Narrowest and widest a queue name column gets; longer names are cut (``cut_name``).
NAME_MIN_WIDTH = 12
NAME_MAX_WIDTH = 48
SORT_MARKS = {False: "▲", True: "▼"}


# --- formatting -------------------------------------------------------------------------------------


def fmt_age(seconds: float) -> str:
    """A short age: ``4 s``, ``3 min``, ``2 h``."""
    whole = max(0, int(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min"
    return f"{whole // 3600} h"


# --- names that stay distinguishable when cut ----------------------------------------------------------

#: How far back ``cut_name`` may move a cut to start a word rather than break it.
_WORD_BACK = 8


def differs_at(names: Iterable[str]) -> dict[str, int]:
    """For each name, the index of its first character that differs from the names closest to it.

    Sorted, a name's longest common prefix with any other name is the longer of those with its
    two neighbours, so one sort (O(n log n)) finds them all. A name that is the start of another
    (``Sales`` and ``Sales - Spanish``) differs at its own end.
    """
    ordered = sorted(set(names))
    found: dict[str, int] = {}
    before = 0
    for index, name in enumerate(ordered):
        after = _common_prefix(name, ordered[index + 1]) if index + 1 < len(ordered) else 0
        found[name] = max(before, after)
        before = after
    return found


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _split_tag(name: str) -> tuple[str, str]:
    """``Sales ⌗4ccb`` -> (``Sales``, `` ⌗4ccb``): the id tag that tells look-alike names apart."""
    body, sep, tag = name.rpartition(f" {ID_MARK}")
    if sep and body and tag and " " not in tag:
        return body, f"{sep}{tag}"
    return name, ""


def _cut_end(text: str, width: int) -> str:
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    return f"{set_cell_size(text, width - 1).rstrip()}…"


def cut_name(name: str, width: int, differs: int = 0) -> str:
    """``name`` in at most ``width`` cells, keeping in view the part that tells it apart.

    ``differs`` is where the name first differs from the others on show (``differs_at``). The cut
    goes before that word: a little of the start, an ellipsis, then the telling part, itself cut
    at its end if it has to be (``Coll…Early Arr…`` and ``Coll…Late Arre…``, where cutting in the
    middle would give ``Collecti…Arrears`` twice); when cutting the end alone keeps that word
    whole, only the end is cut (``Sales - Business Acc…``). A look-alike name's id tag
    (`` ⌗3f2a``) always stays.
    """
    if cell_len(name) <= width:
        return name
    if width <= 1:
        return "…"[:width]
    body, tag = _split_tag(name)
    if tag:
        room = width - cell_len(tag)
        if room >= 2:
            return cut_name(body, room, min(differs, len(body))) + tag
        return _cut_end(tag.lstrip(), width)
    start = min(differs, len(name))
    floor = max(0, start - _WORD_BACK)
    while start > floor and name[start - 1].isalnum():
        start -= 1
    if start > 0 and name[start - 1].isalnum():
        start = min(differs, len(name))  # one long word: cut where it differs
    prefix, rest = name[:start], name[start:]
    # The start keeps what room the telling part leaves, if that is a quarter of the width or more;
    # else a third, and the telling part is cut at its end too.
    head = width - 1 - cell_len(rest)
    if head < max(1, (width - 2) // 4):
        head = (width - 2) // 3
    if not prefix or head >= cell_len(prefix):
        return _cut_end(name, width)
    if head + 1 + cell_len(rest) > width:
        # Cut at both ends, unless cutting the end alone leaves the telling word whole.
        word = len(rest) - len(rest.lstrip())
        word += len(rest[word:].split(maxsplit=1)[0]) if rest.strip() else 0
        if cell_len(name[: start + word]) <= width - 1:
            return _cut_end(name, width)
    kept = set_cell_size(prefix, head).rstrip() if head > 0 else ""
    return f"{kept}…{_cut_end(rest, width - cell_len(kept) - 1)}"


class NameCutter:
    """Cuts the names on show so that each stays distinguishable from the others.

    ``update`` takes the names on show; where a name differs from its neighbours (as
    ``differs_at`` says) is worked out only for the names drawn, when first drawn after the set
    changed: the table can hold thousands of queues, and draws a few dozen.
    """

    def __init__(self) -> None:
        self._names: frozenset[str] = frozenset()
        self._sorted: list[str] | None = []
        self._differs: dict[str, int] = {}

    def update(self, names: Iterable[str]) -> bool:
        """Take the names on show; True when they changed (cut names may then change too)."""
        shown = frozenset(names)
        if shown == self._names:
            return False
        self._names = shown
        self._sorted = None
        self._differs = {}
        return True

    def differs(self, name: str) -> int:
        """Where ``name`` first differs from the names closest to it on show (0: not on show)."""
        found = self._differs.get(name)
        if found is None:
            if self._sorted is None:
                self._sorted = sorted(self._names)
            ordered = self._sorted
            index = bisect.bisect_left(ordered, name)
            found = 0
            if index < len(ordered) and ordered[index] == name:
                before = _common_prefix(ordered[index - 1], name) if index > 0 else 0
                after = _common_prefix(name, ordered[index + 1]) if index + 1 < len(ordered) else 0
                found = max(before, after)
            self._differs[name] = found
        return found

    def cut(self, name: str, width: int) -> str:
        """``name`` in at most ``width`` cells (see ``cut_name``)."""
        return cut_name(name, width, self.differs(name))

    def fit(self, cell: Cell, width: int) -> str:
        """A name cell in at most ``width`` cells: its marks whole, then the name cut to fit."""
        marks = cell.marks
        return marks + self.cut(cell.text, width - cell_len(marks))


# --- cells and rows ----------------------------------------------------------------------------------


def descending_text(text: str) -> tuple[int, ...]:
    """A key that sorts strings Z to A, compared in C rather than through a Python ``__lt__``.

    The code points negated, then 1, which is above any of them: so ``abc`` comes before its own
    prefix ``ab``, as the reverse of A to Z wants.
    """
    return (*(-ord(ch) for ch in text), 1)


def sort_key(value: SortValue, descending: bool = False) -> tuple[bool, Any]:
    """Sort key of one value: unknown values last whichever the direction; names case-insensitive."""
    if value is None:
        return (True, 0)
    if isinstance(value, str):
        key = value.casefold()
        return (False, descending_text(key) if descending else key)
    return (False, -value if descending else value)


@dataclass(slots=True)
class Cell:
    """One table cell: the text, the value it sorts by, and its threshold level.

    Never changed once made (a changed figure makes a new row). Not a frozen dataclass only
    because making one costs several times as much, and a refresh at 5,000 queues makes
    thousands of cells.
    """

    text: str
    value: SortValue
    level: Level = Level.OK
    justify: Literal["left", "right"] = "right"
    note: str = ""
    """After the text: the media type a mixed figure's breach (or wait) is about."""
    muted: bool = False
    """A queue name whose alerts are muted: ``MUTED_MARK`` in front, beside the level's mark."""

    @property
    def marks(self) -> str:
        """What goes in front of the text: the level's mark, the mute mark, each with a space."""
        mark = MARKS[self.level]
        return (f"{mark} " if mark else "") + (f"{MUTED_MARK} " if self.muted else "")

    @property
    def shown(self) -> str:
        """The text with its marks in front and its note after (``‼ 56 msg``, ``! ⊘ Support EMEA``)."""
        return f"{self.marks}{self.text} {self.note}" if self.note else self.marks + self.text

    @property
    def bare(self) -> str:
        """The text with its marks but without its note (``‼ 56``): where there is no room for it."""
        return self.marks + self.text

    def __lt__(self, other: Cell) -> bool:
        return sort_key(self.value) < sort_key(other.value)

    def to_text(self, style: str | Any = "") -> Text:
        """The cell as Rich text; never parsed as markup, long text ends in an ellipsis."""
        return Text(self.shown, style=style, justify=self.justify, no_wrap=True, overflow="ellipsis", end="")

    def __rich__(self) -> Text:
        return self.to_text()


_serials = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Row:
    """A queue's row: keyed by queue id, one cell per column key, and each cell's width in cells.

    ``serial`` tells this row apart from every other row made (of this queue or another): a table
    may keep what it drew of a row under it, since a new row is made whenever figures change.
    """

    key: str
    cells: Mapping[str, Cell]
    level: Level = Level.OK
    widths: Mapping[str, int] = field(default_factory=dict)
    bare_widths: Mapping[str, int] = field(default_factory=dict)
    """Each cell's width without its note (``Cell.bare``)."""
    serial: int = field(default_factory=_serials.__next__, compare=False)


def column_widths(rows: Iterable[Row], keys: Iterable[str], *, bare: bool = False) -> dict[str, int]:
    """The widest cell of each column over ``rows`` (0 for a column with no rows); ``bare``: the
    widths without the cells' notes."""
    widths = dict.fromkeys(keys, 0)
    for row in rows:
        row_widths = row.bare_widths if bare else row.widths
        for key, width in widths.items():
            if row_widths[key] > width:
                widths[key] = row_widths[key]
    return widths


def _width(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


SPARK_LEVELS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], width: int = 12) -> str:
    """``values`` (oldest first) as at most ``width`` block characters, scaled from zero.

    ``▁`` is zero; anything above zero is ``▂`` to ``█`` in proportion to the peak, so 39 then 40
    draws as two nearly full bars, not empty then full. With more values than ``width``, each
    character stands for a run of consecutive values (their peak), the newest run last: the line
    covers the whole span, not just its end.
    """
    points = list(values)
    if not points or width <= 0:
        return ""
    size = -(-len(points) // width)  # values per character, rounded up
    first = len(points) - size * (-(-len(points) // size))
    runs = [points[max(0, start) : start + size] for start in range(first, len(points), size)]
    peaks = [max(run) for run in runs]
    top = max(peaks)
    steps = len(SPARK_LEVELS) - 1
    if top <= 0:
        return SPARK_LEVELS[0] * len(peaks)
    return "".join(
        SPARK_LEVELS[0] if v <= 0 else SPARK_LEVELS[1 + round(v / top * (steps - 1))] for v in peaks
    )


def make_row(
    stats: QueueStats,
    thresholds: Thresholds,
    *,
    muted: bool = False,
    trend: Sequence[float] = (),
    rule: Rule | None = None,
    previous: Row | None = None,
) -> Row:
    """One queue's row, its cells classified by the queue's rule (each media type by its own);
    a muted queue's name is marked.

    ``trend`` is the queue's recent waiting counts, for the optional trend column (blank until
    there are two: one sample is no trend); ``rule`` the queue's thresholds when the caller
    already knows them (else ``thresholds.for_queue``); ``previous`` the queue's last row, whose
    cells are kept where value, level and note are the same (between two polls most of a queue's
    figures do not move).
    """
    rule = rule if rule is not None else thresholds.for_queue(stats.name)
    breaches = judge(stats, rule)
    row_level = worst(breach.level for breach in breaches.values())
    waiting_media, offered_media = mixed_media(stats)
    urgent = most_urgent_wait(stats, rule)
    cells: dict[str, Cell] = {}
    widths: dict[str, int] = {}
    bare: dict[str, int] = {}

    def put(key: str, cell: Cell) -> None:
        cells[key] = cell
        widths[key] = _width(cell.shown)
        bare[key] = _width(cell.bare) if cell.note else widths[key]

    put(NAME, Cell(stats.name, stats.name, row_level, justify="left", muted=muted))
    old_cells = previous.cells if previous is not None else None
    for column in COLUMNS:
        if column.key == NAME:
            continue
        # A figure that blends media types names the one that breaches (or, for Longest, the one
        # whose wait is shown) when more than one is in the blend.
        mixed = {"live": waiting_media, "today": offered_media}.get(column.figures, [])
        if column.key == LONGEST_WAIT:
            note = MEDIA_TAGS.get(urgent.media, urgent.media) if urgent.media and len(mixed) > 1 else ""
            put(
                LONGEST_WAIT,
                Cell(fmt_wait(urgent.wait_s, urgent.exact), urgent.rank, urgent.level, note=note),
            )
            continue
        assert column.value is not None
        value = column.value(stats)
        breach = breaches.get(column.key)
        level, note = Level.OK, ""
        if breach is not None:
            level = breach.level
            note = MEDIA_TAGS.get(breach.media, breach.media) if breach.media and len(mixed) > 1 else ""
        if old_cells is not None and previous is not None:
            old = old_cells[column.key]
            if old.value == value and old.level is level and old.note == note:
                cells[column.key] = old
                widths[column.key] = previous.widths[column.key]
                bare[column.key] = previous.bare_widths[column.key]
                continue
        put(
            column.key,
            Cell(column.fmt(value if not isinstance(value, str) else None), value, level, note=note),
        )
    spark = sparkline(trend) if len(trend) >= 2 else ""
    put(TREND, Cell(spark, max(trend)) if trend else _NO_TREND)
    # Most rows have no note: one dict for both widths then (at 5,000 queues, some 5 MB less).
    return Row(
        key=stats.id,
        cells=cells,
        level=row_level,
        widths=widths,
        bare_widths=widths if bare == widths else bare,
    )


_NO_TREND = Cell("", None)


class RowMaker:
    """``make_row`` with a memory: a queue whose figures did not change keeps its row.

    Between two polls most queues of a large org do not change, so a refresh classifies and
    formats only the ones that did. It forgets queues that are no longer asked for.
    """

    def __init__(self, thresholds: Thresholds) -> None:
        self.thresholds = thresholds
        self._made: dict[str, tuple[QueueStats, bool, tuple[float, ...], Row]] = {}
        self._levels: dict[str, tuple[QueueStats, Level]] = {}

    def levels(self, queues: Iterable[QueueStats]) -> dict[str, Level]:
        """Each queue's worst level over all its media types (for the queues the filters hide),
        judged again only for queues whose figures changed."""
        known = self._levels
        fresh: dict[str, tuple[QueueStats, Level]] = {}
        for stats in queues:
            entry = known.get(stats.id)
            if entry is None or (entry[0] is not stats and entry[0] != stats):
                rule = self.thresholds.for_queue(stats.name)
                entry = (stats, worst(breach.level for breach in judge(stats, rule).values()))
            fresh[stats.id] = entry
        self._levels = fresh
        return {queue_id: level for queue_id, (_, level) in fresh.items()}

    def rows(
        self,
        queues: Iterable[QueueStats],
        muted: Set[str] = frozenset(),
        trends: Callable[[str], Sequence[float]] | None = None,
    ) -> list[Row]:
        made: dict[str, tuple[QueueStats, bool, tuple[float, ...], Row]] = {}
        rows = []
        for stats in queues:
            known = self._made.get(stats.id)
            is_muted = stats.id in muted
            trend = tuple(trends(stats.id)) if trends is not None else ()
            if known is not None and known[0] == stats and known[1] == is_muted and known[2] == trend:
                row = known[3]
            else:
                row = make_row(stats, self.thresholds, muted=is_muted, trend=trend)
            made[stats.id] = (stats, is_muted, trend, row)
            rows.append(row)
        self._made = made
        return rows


# --- filter and sort ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sort:
    """Which column the rows are sorted by, and which way."""

    column: str = LONGEST_WAIT
    descending: bool = True

    def reversed(self) -> Sort:
        return replace(self, descending=not self.descending)

    def next(self, keys: Sequence[str] = COLUMN_KEYS) -> Sort:
        """The next of ``keys`` (the columns shown), largest first for figures, A to Z for names."""
        index = (keys.index(self.column) + 1) % len(keys) if self.column in keys else 0
        return Sort.by(keys[index])

    @staticmethod
    def by(column: str) -> Sort:
        return Sort(column, descending=COLUMNS_BY_KEY[column].numeric)

    def describe(self) -> str:
        """In words, e.g. ``longest wait now, largest first``."""
        column = COLUMNS_BY_KEY[self.column]
        direction = "largest first" if self.descending else "smallest first"
        if not column.numeric:
            direction = "Z to A" if self.descending else "A to Z"
        return f"{column.title.split(' (')[0]}, {direction}"


DEFAULT_SORT = Sort()


def row_sort_key(cell: Cell, name: Cell, sort: Sort) -> tuple[Any, ...]:
    """Sort key of a row from its sorted-by cell and its name cell (ties go A to Z by name)."""
    return (sort_key(cell.value, sort.descending), sort_key(name.value))


def _row_key(row: Row, sort: Sort, pinned: bool) -> tuple[Any, ...]:
    """Where a row goes: pinned first, then by the sorted column, then A to Z by name, then by id.

    One flat tuple, which compares faster than nested ones.
    """
    cell = row.cells[sort.column]
    name = row.cells[NAME]
    return (not pinned, *sort_key(cell.value, sort.descending), *sort_key(name.value), row.key)


def sort_rows(rows: Iterable[Row], sort: Sort, pinned: Callable[[str], bool] | None = None) -> list[Row]:
    """Rows in ``sort`` order; queues whose name ``pinned`` accepts come first (in the same order)."""

    def key(row: Row) -> tuple[Any, ...]:
        name = row.cells[NAME].value
        return _row_key(row, sort, pinned is not None and isinstance(name, str) and pinned(name))

    return sorted(rows, key=key)


def pin_matcher(patterns: Sequence[str]) -> Callable[[str], bool] | None:
    """A predicate for queue names pinned to the top: globs, case-insensitive (as in thresholds)."""
    if not patterns:
        return None
    folded = [pattern.casefold() for pattern in patterns]
    return lambda name: any(fnmatch.fnmatchcase(name.casefold(), pattern) for pattern in folded)


def header(column: Column, sort: Sort) -> str:
    """A column's header, with ▲ or ▼ on the sorted column."""
    return f"{column.header}{SORT_MARKS[sort.descending]}" if column.key == sort.column else column.header


# --- media -------------------------------------------------------------------------------------------

#: The media filter's steps: every queue (None), then one media type at a time.
MEDIA_FILTERS: tuple[str | None, ...] = (None, *MEDIA_TYPES)


def next_media(media: str | None) -> str | None:
    """The media filter after ``media``: all → voice → chat → email → message → callback → all."""
    return MEDIA_FILTERS[(MEDIA_FILTERS.index(media) + 1) % len(MEDIA_FILTERS)]


def for_media(stats: QueueStats, media: str | None) -> QueueStats | None:
    """The queue's figures for one media type, or None when the queue does not handle it.

    Conversations (waiting, longest wait, interacting, alerting) and today's figures become the
    media type's; the agents are the queue's, whatever they handle. ``None`` returns ``stats``.
    """
    if media is None:
        return stats
    figures = stats.by_media.get(media)
    if figures is None:
        return None
    return replace(
        stats,
        waiting=figures.live.waiting,
        longest_wait_s=figures.live.longest_wait_s,
        longest_wait_exact=figures.live.longest_wait_exact,
        interacting=figures.live.interacting,
        alerting=figures.live.alerting,
        today=figures.today,
        by_media={media: figures},
        waiting_detail=tuple(w for w in stats.waiting_detail if w[1] == media),
    )


# --- the view ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class View:
    """What the table and the totals show: the visible rows in order, and how many queues exist.

    ``queues`` are the visible queues' figures as shown (one media type's under a media filter),
    in the order they came; ``ordered()`` gives them in the table's order.
    """

    rows: tuple[Row, ...]
    queues: tuple[QueueStats, ...]
    total: int
    media: str | None = None
    hidden_breaching: int = 0
    """Queues in breach whose breach the filters hide: not shown, or shown (under a media type)
    less severe than they are over all their media types."""

    @property
    def visible(self) -> int:
        """How many queues pass the filters (the rows of the table)."""
        return len(self.rows)

    def ordered(self) -> list[QueueStats]:
        """The visible queues' figures, in the order of the rows."""
        by_id = {q.id: q for q in self.queues}
        return [by_id[row.key] for row in self.rows]


def build_view(
    queues: Sequence[QueueStats],
    thresholds: Thresholds | RowMaker,
    pattern: str,
    sort: Sort,
    *,
    media: str | None = None,
    muted: Set[str] = frozenset(),
    pinned: Sequence[str] = (),
    trends: Callable[[str], Sequence[float]] | None = None,
) -> View:
    """Filter (by name and media type), classify and sort: the single way from statistics to what
    the table shows.

    Under a media filter only queues that handle that media type stay, with its figures. Pass a
    ``RowMaker`` rather than bare thresholds to reuse the rows of unchanged queues.
    """
    keep = name_matcher(pattern)
    visible = tuple(shown for q in queues if keep(q.name) and (shown := for_media(q, media)) is not None)
    maker = thresholds if isinstance(thresholds, RowMaker) else RowMaker(thresholds)
    rows = sort_rows(maker.rows(visible, muted, trends), sort, pin_matcher(tuple(pinned)))
    shown_levels = {row.key: row.level for row in rows}
    # Without a media type, a queue shown is judged as it is: only the queues left out can hide.
    unseen = queues if media is not None else [q for q in queues if q.id not in shown_levels]
    hidden = sum(
        1 for queue_id, level in maker.levels(unseen).items() if level > shown_levels.get(queue_id, Level.OK)
    )
    return View(rows=tuple(rows), queues=visible, total=len(queues), media=media, hidden_breaching=hidden)


@dataclass(slots=True)
class _Entry:
    """One queue in a ``LiveView``: its figures, its row, and what placing the row needs."""

    stats: QueueStats
    """The figures as they came."""
    shown: QueueStats
    """The figures as shown: the media type's, under a media filter."""
    muted: bool
    trend: tuple[float, ...]
    row: Row
    folded: str
    """The name, case-folded once for the name filter."""
    pinned: bool
    key: tuple[Any, ...]
    """Where the row goes under the view's sort (see ``_row_key``)."""


def _entry_key(row: Row, sort: Sort, pinned: bool, folded: str) -> tuple[Any, ...]:
    """``_row_key``, from the name already case-folded (a sort at 5,000 queues keys every row)."""
    value = row.cells[sort.column].value
    if value is None:
        return (not pinned, True, 0, False, folded, row.key)
    if isinstance(value, str):
        text = value.casefold()
        return (not pinned, False, descending_text(text) if sort.descending else text, False, folded, row.key)
    return (not pinned, False, -value if sort.descending else value, False, folded, row.key)


class LiveView:
    """What the table shows, kept up to date rather than rebuilt.

    The same rows in the same order as ``build_view`` gives for the same input (a test holds
    them equal), for a fraction of the work, so that neither a refresh nor a keystroke costs in
    proportion to the number of queues:

    - ``update(queues)``: a queue's row is made (classified, formatted) only when its figures,
      its mute or its trend changed (the poller hands over the very same object for a queue whose
      figures did not change, so most queues cost one identity check); names are case-folded and
      matched against the pinned globs once;
    - the order is kept across refreshes: only the rows whose sort key changed are moved (taken
      out and put back by bisection); when many moved, the kept order is sorted again, which for
      a nearly sorted list is close to one pass;
    - ``set_pattern``: a filter that grows looks only among the rows the previous one kept; one
      that shrinks looks among all names, already folded;
    - the widest cell of each column is a count of widths, so a changed row costs only its cells.

    Column widths are those of every queue under the media filter, not only the rows the name
    filter keeps, so the columns stay put while typing a filter.
    """

    def __init__(
        self,
        thresholds: Thresholds,
        *,
        sort: Sort = DEFAULT_SORT,
        pattern: str = "",
        media: str | None = None,
        pinned: Sequence[str] = (),
    ) -> None:
        self.thresholds = thresholds
        self._sort = sort
        self._pattern = pattern
        self._media = media
        self._pin = pin_matcher(tuple(pinned))
        self._entries: dict[str, _Entry] = {}
        self._order: list[str] = []
        """Every queue under the media filter, in the sort's order."""
        self._visible: list[str] = []
        """The queues the name filter keeps, in the same order."""
        self._width_counts: dict[str, Counter[int]] = {}
        self._bare_counts: dict[str, Counter[int]] = {}
        self._breaching = 0
        """Rows (under the media filter) in breach, shown or not."""
        self._overall: dict[str, tuple[QueueStats, Level]] = {}
        """Under a media filter, each queue's worst level over all its media types."""
        self._queues: Sequence[QueueStats] = ()
        self._muted: Set[str] = frozenset()
        self._trends: Callable[[str], Sequence[float]] | None = None
        self._rules: dict[str, Rule] = {}
        self._pins: dict[str, bool] = {}
        self._rows: tuple[Row, ...] | None = ()
        self.made = 0
        """How many rows the last ``update`` made (the others were kept)."""
        self.names = 0
        """Counts the changes of the names on show (a filter, a queue that came, left or was
        renamed): the table works out where names differ only when it moved."""
        self.contents = 0
        """Counts the changes of which rows are shown and what they say (not of their order): what
        is drawn from the rows whatever their order (the totals) need not be worked out again
        while it stays the same."""

    # --- what it shows -------------------------------------------------------------------------------

    @property
    def sort(self) -> Sort:
        return self._sort

    @property
    def pattern(self) -> str:
        return self._pattern

    @property
    def media(self) -> str | None:
        return self._media

    @property
    def rows(self) -> tuple[Row, ...]:
        """The rows the filters keep, in order."""
        if self._rows is None:
            entries = self._entries
            self._rows = tuple(entries[key].row for key in self._visible)
        return self._rows

    @property
    def view(self) -> View:
        """The rows, the figures they show and the count of queues, as ``build_view`` returns them."""
        entries = self._entries
        queues = tuple(entries[key].shown for key in self._visible)
        return View(
            rows=self.rows,
            queues=queues,
            total=len(self._queues),
            media=self._media,
            hidden_breaching=self._hidden_breaching(),
        )

    @property
    def widths(self) -> dict[str, int]:
        """The widest cell of each column, over every queue under the media filter."""
        return {key: max(counts) if counts else 0 for key, counts in self._width_counts.items()}

    @property
    def bare_widths(self) -> dict[str, int]:
        """The same, without the cells' notes (``Cell.bare``)."""
        return {key: max(counts) if counts else 0 for key, counts in self._bare_counts.items()}

    def _hidden_breaching(self) -> int:
        """Queues in breach whose breach the filters hide (see ``View.hidden_breaching``)."""
        rows = self.rows
        if self._media is None:
            return self._breaching - sum(1 for row in rows if row.level > Level.OK)
        shown = {row.key: row.level for row in rows}
        return sum(1 for _, level in self._overall.values() if level > Level.OK) - sum(
            1
            for queue_id, (_, level) in self._overall.items()
            if level > Level.OK and level <= shown.get(queue_id, Level.OK)
        )

    # --- what changes it -----------------------------------------------------------------------------

    def update(
        self,
        queues: Sequence[QueueStats],
        muted: Set[str] = frozenset(),
        trends: Callable[[str], Sequence[float]] | None = None,
    ) -> None:
        """A new snapshot's queues (or a new mute): remake the rows that changed, move those whose
        place changed, drop the queues that left."""
        self._queues, self._muted, self._trends = queues, muted, trends
        old_entries = self._entries
        entries: dict[str, _Entry] = {}
        moved: list[str] = []
        made: list[tuple[_Entry | None, _Entry]] = []
        added = 0
        renamed = False
        for stats in queues:
            queue_id = stats.id
            old = old_entries.get(queue_id)
            is_muted = queue_id in muted
            trend = tuple(trends(queue_id)) if trends is not None else ()
            if (
                old is not None
                and (old.stats is stats or old.stats == stats)
                and old.muted == is_muted
                and old.trend == trend
            ):
                old.stats = stats
                entries[queue_id] = old
                continue
            entry = self._make(stats, is_muted, trend, old.row if old is not None else None)
            if entry is None:
                continue
            entries[queue_id] = entry
            made.append((old, entry))
            if old is None:
                added += 1
                moved.append(queue_id)
            elif old.key != entry.key or old.folded != entry.folded:
                moved.append(queue_id)
            if old is not None and old.stats.name != stats.name:
                renamed = True
        removed = []
        if len(old_entries) + added != len(entries):
            removed = [key for key in old_entries if key not in entries]
        self._entries = entries
        self.made = len(made)
        for key in removed:
            self._count(old_entries[key].row, -1)
        for old, entry in made:
            if old is None:
                self._count(entry.row, 1)
            else:
                self._recount(old.row, entry.row)
        if moved or removed:
            self._reorder(old_entries, moved, removed)
            self._visible = self._filtered(self._order)
        if made or removed:
            self._rows = None
            self.contents += 1
        if added or removed or renamed:
            self.names += 1
        if self._media is not None:
            self._judge_overall(queues)

    def set_pattern(self, pattern: str) -> None:
        """Filter by name: a longer pattern looks only among what the shorter one kept."""
        before = self._pattern
        self._pattern = pattern
        if normalize(pattern) == normalize(before):
            return
        self._visible = self._filtered(self._visible if narrows(pattern, before) else self._order)
        self._rows = None
        self.contents += 1
        self.names += 1

    def set_sort(self, sort: Sort) -> None:
        if sort == self._sort:
            return
        self._sort = sort
        entries = self._entries
        keys = {}
        for queue_id, entry in entries.items():
            entry.key = keys[queue_id] = _entry_key(entry.row, sort, entry.pinned, entry.folded)
        self._order.sort(key=keys.__getitem__)
        self._visible = self._filtered(self._order)
        self._rows = None

    def set_media(self, media: str | None) -> None:
        """Show one media type's figures (None: every queue, all media); every row is made again."""
        if media == self._media:
            return
        self._media = media
        self._entries, self._order, self._visible = {}, [], []
        self._width_counts, self._bare_counts, self._breaching, self._overall = {}, {}, 0, {}
        self.update(self._queues, self._muted, self._trends)
        self._rows = None
        self.contents += 1
        self.names += 1

    # --- inner workings ------------------------------------------------------------------------------

    def _rule(self, name: str) -> Rule:
        rule = self._rules.get(name)
        if rule is None:
            rule = self._rules[name] = self.thresholds.for_queue(name)
        return rule

    def _make(
        self, stats: QueueStats, muted: bool, trend: tuple[float, ...], previous: Row | None = None
    ) -> _Entry | None:
        shown = for_media(stats, self._media)
        if shown is None:
            return None
        name = stats.name
        pinned = self._pins.get(name)
        if pinned is None:
            pinned = self._pins[name] = self._pin is not None and self._pin(name)
        rule = self._rule(name)
        row = make_row(shown, self.thresholds, muted=muted, trend=trend, rule=rule, previous=previous)
        folded = name.casefold()
        return _Entry(
            stats, shown, muted, trend, row, folded, pinned, _entry_key(row, self._sort, pinned, folded)
        )

    def _judge_overall(self, queues: Sequence[QueueStats]) -> None:
        """Each queue's worst level over all its media types, judged again only when it changed."""
        known = self._overall
        fresh: dict[str, tuple[QueueStats, Level]] = {}
        for stats in queues:
            entry = known.get(stats.id)
            if entry is None or (entry[0] is not stats and entry[0] != stats):
                breaches = judge(stats, self._rule(stats.name))
                entry = (stats, worst(breach.level for breach in breaches.values()))
            fresh[stats.id] = entry
        self._overall = fresh

    def _count(self, row: Row, step: int) -> None:
        """Count a row's cell widths in (``step`` 1) or out (-1), and whether it breaches."""
        for counts, widths in ((self._width_counts, row.widths), (self._bare_counts, row.bare_widths)):
            for key, width in widths.items():
                column = counts.get(key)
                if column is None:
                    column = counts[key] = Counter()
                column[width] += step
                if not column[width]:
                    del column[width]
        if row.level > Level.OK:
            self._breaching += step

    def _recount(self, old: Row, new: Row) -> None:
        """A row remade: count again only the cells whose width changed, and the breach."""
        for counts, before, after in (
            (self._width_counts, old.widths, new.widths),
            (self._bare_counts, old.bare_widths, new.bare_widths),
        ):
            for key, width in after.items():
                was = before.get(key)
                if was == width:
                    continue
                column = counts.setdefault(key, Counter())
                if was is not None:
                    column[was] -= 1
                    if not column[was]:
                        del column[was]
                column[width] += 1
        self._breaching += (new.level > Level.OK) - (old.level > Level.OK)

    def _reorder(self, old_entries: Mapping[str, _Entry], moved: list[str], removed: list[str]) -> None:
        """Take out the rows that moved or left (found by their old keys), put back the moved ones."""
        entries = self._entries
        order = self._order
        leaving = [key for key in moved if key in old_entries] + removed
        if len(leaving) + len(moved) <= max(16, len(order) // 16):
            for key in leaving:
                index = bisect.bisect_left(order, old_entries[key].key, key=lambda k: old_entries[k].key)
                del order[index]
            for key in moved:
                bisect.insort(order, key, key=lambda k: entries[k].key)
            return
        kept = [key for key in order if key in entries] if removed else order
        kept.extend(key for key in moved if key not in old_entries)
        keys = {queue_id: entry.key for queue_id, entry in entries.items()}
        kept.sort(key=keys.__getitem__)
        self._order = kept

    def _filtered(self, keys: Sequence[str]) -> list[str]:
        if not normalize(self._pattern):
            return list(keys)
        matches = folded_matcher(self._pattern)
        entries = self._entries
        return [key for key in keys if matches(entries[key].folded)]


def step_breaching(rows: Sequence[Row], current: str | None, forward: bool = True) -> str | None:
    """The key of the next (or previous) breaching row after ``current``, wrapping round.

    A row breaches when its level is warning or critical. From no row (``current`` None or gone),
    forward starts at the top and backward at the bottom. None when no row breaches.
    """
    keys = [row.key for row in rows]
    start = keys.index(current) if current in keys else (-1 if forward else len(keys))
    step = 1 if forward else -1
    for offset in range(1, len(rows) + 1):
        index = (start + step * offset) % len(rows)
        if rows[index].level > Level.OK:
            return rows[index].key
    return None


# --- totals -------------------------------------------------------------------------------------------


def _sum(values: Iterable[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def overall_service_level(queues: Iterable[QueueStats]) -> float | None:
    """Service level across queues, each weighted by its answered conversations."""
    pairs = [
        (q.today.service_level, q.today.answered)
        for q in queues
        if q.today.service_level is not None and q.today.answered
    ]
    weight = sum(answered for _, answered in pairs if answered)
    if not weight:
        return None
    return sum(level * (answered or 0) for level, answered in pairs) / weight


#: Labels of the totals strip that head a group of figures rather than name one.
TOTALS_AGENTS_HEADING = "agents counted once per queue:"


def _most_urgent(rows: Iterable[Row]) -> Cell | None:
    best: Cell | None = None
    best_value = 0.0
    for row in rows:
        cell = row.cells[LONGEST_WAIT]
        if cell.value is not None and (best is None or float(cell.value) > best_value):
            best, best_value = cell, float(cell.value)
    return best


def totals(
    queues: Sequence[QueueStats], rows: Sequence[Row] = (), today_since: str = ""
) -> list[tuple[str, str]]:
    """(label, value) pairs for the totals strip over ``queues``; a pair with an empty value is a
    heading for the figures after it.

    Longest is the most urgent wait of ``rows`` (each judged by its media type's threshold, with
    its media type when a queue mixes several), else the longest of ``queues``; a lower bound
    (``≥``) when Genesys truncated the list it comes from. Agents are summed
    over queues, so an agent in three queues counts three times: the heading says so.
    ``today_since`` (``today since 00:00 Europe/London``) heads today's figures (else ``today``).
    """
    urgent = _most_urgent(rows)
    sums = _Sums()
    for q in queues:  # one pass: at 5,000 queues this is redrawn at every refresh
        sums.add(q)
    if urgent is not None:
        longest = f"{urgent.text} {urgent.note}" if urgent.note else urgent.text
    else:
        longest = fmt_wait(sums.longest, sums.exact)
    parts = [
        ("Wait", fmt_count(sums.get(WAITING))),
        ("Longest", longest),
        ("Intr", fmt_count(sums.get(INTERACTING))),
        (TOTALS_AGENTS_HEADING, ""),
        ("Idle", fmt_count(sums.get(IDLE))),
        ("OnQ", fmt_count(sums.get(ON_QUEUE))),
    ]
    parts.append((f"{today_since}:" if today_since else "today:", ""))
    parts += [
        ("Offer", fmt_count(sums.get(OFFERED))),
        ("Ans", fmt_count(sums.get(ANSWERED))),
        ("Abn", fmt_count(sums.get(ABANDONED))),
        ("SL%", fmt_percent(sums.service_level())),
    ]
    return parts


class _Sums:
    """The totals strip's sums, gathered in one pass (a sum of no known value is unknown)."""

    __slots__ = (
        "abandoned",
        "answered",
        "exact",
        "idle",
        "interacting",
        "level_sum",
        "level_weight",
        "longest",
        "offered",
        "on_queue",
        "waiting",
    )

    def __init__(self) -> None:
        self.waiting: int | None = None
        self.interacting: int | None = None
        self.idle: int | None = None
        self.on_queue: int | None = None
        self.offered: int | None = None
        self.answered: int | None = None
        self.abandoned: int | None = None
        self.longest: float | None = None
        self.exact = True
        self.level_sum = 0.0
        self.level_weight = 0

    def add(self, q: QueueStats) -> None:
        today, agents = q.today, q.agents
        if (v := q.waiting) is not None:
            self.waiting = v if self.waiting is None else self.waiting + v
        if (v := q.interacting) is not None:
            self.interacting = v if self.interacting is None else self.interacting + v
        if (v := agents.idle) is not None:
            self.idle = v if self.idle is None else self.idle + v
        if (v := agents.on_queue) is not None:
            self.on_queue = v if self.on_queue is None else self.on_queue + v
        if (v := today.offered) is not None:
            self.offered = v if self.offered is None else self.offered + v
        if (v := today.answered) is not None:
            self.answered = v if self.answered is None else self.answered + v
            if today.service_level is not None and v:
                self.level_sum += today.service_level * v
                self.level_weight += v
        if (v := today.abandoned) is not None:
            self.abandoned = v if self.abandoned is None else self.abandoned + v
        if (wait := q.longest_wait_s) is not None:
            self.exact = self.exact and q.longest_wait_exact
            if self.longest is None or wait > self.longest:
                self.longest = wait

    def get(self, key: str) -> int | None:
        value: int | None = getattr(self, key)
        return value

    def service_level(self) -> float | None:
        return self.level_sum / self.level_weight if self.level_weight else None
