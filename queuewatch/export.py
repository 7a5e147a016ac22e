"""A snapshot as JSON, CSV or a plain table: what ``queuewatch snapshot`` prints.

The JSON shape (null where a value is unknown)::

    {"taken_at": "2026-11-29T10:15:02.120+00:00", "today_at": "...", "partial": false,
     "queues": [{"id", "name", "division", "waiting", "longest_wait_s", "longest_wait_exact",
                 "interacting", "alerting",
                 "agents": {"idle", "interacting", "not_responding", "communicating",
                            "off_queue", "on_queue"},
                 "members",
                 "today": {"offered", "answered", "abandoned", "abandon_rate", "service_level",
                           "sl_target", "asa_s", "aht_s"},
                 "by_media": {"voice": {"waiting", "longest_wait_s", "interacting", "alerting",
                                        "longest_wait_exact", "today": {...same keys as today...}},
                              ...only the media types the queue handles}}],
     "errors": [{"part", "kind", "message", "queue_ids"}]}

CSV has one row per queue with the same names flattened by ``.`` (``agents.idle``,
``today.service_level``), after ``taken_at`` (the snapshot's, so that the rows of successive polls
can share one file); ``by_media`` is left out; unknown values are empty cells. A text cell
that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR)
gets a leading ``'``, as OWASP advises for CSV injection.

``compact_table`` is the dashboard's table as plain text that fits a width (80 columns when the
output is no terminal): the same columns, marks and name cutting, one space between columns.

``save_view`` writes what the dashboard shows (its queues, in its order) to a new file in one of
those two formats: the dashboard's ``e`` and ``E`` keys.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from rich.cells import cell_len, set_cell_size

from queuewatch.columns import COLUMNS, DROP_ORDER, NAME, TREND, Column
from queuewatch.model import QueueStats, Snapshot
from queuewatch.present import NAME_MAX_WIDTH, NameCutter, Sort, build_view
from queuewatch.thresholds import Thresholds
from queuewatch.untrusted import csv_cell

CSV_COLUMNS = (
    "taken_at",
    "id",
    "name",
    "division",
    "waiting",
    "longest_wait_s",
    "longest_wait_exact",
    "interacting",
    "alerting",
    "agents.idle",
    "agents.interacting",
    "agents.not_responding",
    "agents.communicating",
    "agents.off_queue",
    "agents.on_queue",
    "members",
    "today.offered",
    "today.answered",
    "today.abandoned",
    "today.abandon_rate",
    "today.service_level",
    "today.sl_target",
    "today.asa_s",
    "today.aht_s",
)


def _round(value: Any) -> Any:
    return round(value, 3) if isinstance(value, float) else value


def queue_dict(stats: QueueStats) -> dict[str, Any]:
    return {
        "id": stats.id,
        "name": stats.name,
        "division": stats.division,
        "waiting": stats.waiting,
        "longest_wait_s": _round(stats.longest_wait_s),
        "longest_wait_exact": stats.longest_wait_exact,
        "interacting": stats.interacting,
        "alerting": stats.alerting,
        "agents": asdict(stats.agents),
        "members": stats.members,
        "today": {k: _round(v) for k, v in asdict(stats.today).items()},
        "by_media": {
            media: {
                **{k: _round(v) for k, v in asdict(m.live).items()},
                "today": {k: _round(v) for k, v in asdict(m.today).items()},
            }
            for media, m in stats.by_media.items()
        },
    }


def snapshot_dict(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "taken_at": snapshot.taken_at.isoformat(timespec="milliseconds"),
        "today_at": snapshot.today_at.isoformat(timespec="milliseconds") if snapshot.today_at else None,
        "partial": snapshot.partial,
        "queues": [queue_dict(q) for q in snapshot.queues],
        "errors": [
            {"part": e.part, "kind": e.kind, "message": e.message, "queue_ids": list(e.queue_ids)}
            for e in snapshot.errors
        ],
    }


def to_json(snapshot: Snapshot, *, indent: int | None = 2) -> str:
    return json.dumps(snapshot_dict(snapshot), indent=indent, ensure_ascii=False)


def _flatten(prefix: str, value: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, Mapping):
            yield from _flatten(f"{name}.", item)
        else:
            yield name, item


def csv_rows(
    queues: tuple[QueueStats, ...] | list[QueueStats], taken_at: datetime | None = None
) -> Iterator[dict[str, Any]]:
    when = taken_at.isoformat(timespec="milliseconds") if taken_at is not None else None
    for stats in queues:
        flat = dict(_flatten("", {k: v for k, v in queue_dict(stats).items() if k != "by_media"}))
        flat["taken_at"] = when
        yield {column: flat.get(column) for column in CSV_COLUMNS}


def to_csv(
    queues: tuple[QueueStats, ...] | list[QueueStats],
    *,
    taken_at: datetime | None = None,
    header: bool = True,
) -> str:
    """The queues as CSV rows stamped ``taken_at``; ``header=False`` for the polls after the first."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    if header:
        writer.writeheader()
    for row in csv_rows(queues, taken_at):
        writer.writerow({k: "" if v is None else csv_cell(v) for k, v in row.items()})
    return out.getvalue()


# --- the dashboard's export -----------------------------------------------------------------------

ExportFormat = Literal["csv", "json"]


def export_name(when: datetime, fmt: ExportFormat, n: int = 1) -> str:
    """``queuewatch-20261129-101502.csv``; the ``n``-th file of the same second gets ``-n``."""
    suffix = f"-{n}" if n > 1 else ""
    return f"queuewatch-{when:%Y%m%d-%H%M%S}{suffix}.{fmt}"


def save_view(
    directory: Path, queues: Sequence[QueueStats], snapshot: Snapshot, fmt: ExportFormat, when: datetime
) -> Path:
    """Write ``queues`` (in their order) to a new file in ``directory``; its path.

    JSON is ``snapshot``'s document with ``queues`` in their place; CSV is ``to_csv`` of them. An
    existing file is never overwritten: a second export in the same second is numbered. Raises
    ``OSError`` when the file cannot be written.
    """
    exported = replace(snapshot, queues=tuple(queues))
    text = to_json(exported) + "\n" if fmt == "json" else to_csv(list(queues), taken_at=snapshot.taken_at)
    for n in range(1, 100):
        path = directory / export_name(when, fmt, n)
        try:
            with path.open("x", encoding="utf-8", newline="") as out:
                out.write(text)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{directory / export_name(when, fmt)} and 98 more exist already")


# --- the plain table -------------------------------------------------------------------------------

#: The plain table leaves figures out before it cuts names narrower than this (a name, once cut,
#: needs some room to stay readable; the dashboard can scroll sideways, a printed table cannot).
PLAIN_NAME_MIN_WIDTH = 20


def compact_table(
    snapshot: Snapshot,
    thresholds: Thresholds | None = None,
    *,
    width: int = 80,
    columns: Sequence[Column] = COLUMNS,
) -> str:
    """The dashboard's table, once, as plain text at most ``width`` cells wide, sorted by name.

    The same columns (those the config chose, but the trend: a snapshot has no history), figures
    and marks; one space between columns, a header row. Figures are never cut: when they do not
    all fit beside names of a readable width, first the media type a mixed figure is about goes
    (``‼ 56 msg`` becomes ``‼ 56``, as on a narrow dashboard), then the least important columns
    (``DROP_ORDER``), and the last line says which. Names are cut where they differ from the others.
    """
    view = build_view(snapshot.queues, thresholds or Thresholds(), "", Sort(NAME, descending=False))
    shown = [column for column in columns if column.key != TREND]

    def widths(notes: bool) -> dict[str, int]:
        cells = [row.widths if notes else row.bare_widths for row in view.rows]
        return {
            column.key: max([cell_len(column.header), *(w[column.key] for w in cells)]) for column in shown
        }

    natural = widths(notes=True)
    longest_name = min(natural[NAME], NAME_MAX_WIDTH)
    least = min(longest_name, PLAIN_NAME_MIN_WIDTH)
    notes = width - sum(natural[column.key] + 1 for column in shown if column.key != NAME) >= least
    if not notes:
        natural = widths(notes=False)
    left_out: list[Column] = []
    while True:
        figures = sum(natural[column.key] + 1 for column in shown if column.key != NAME)
        if width - figures >= least or len(shown) == 1:
            break
        drop = next(key for key in (*DROP_ORDER, *natural) if key != NAME and key in {c.key for c in shown})
        left_out.append(next(column for column in shown if column.key == drop))
        shown = [column for column in shown if column.key != drop]
    name_width = max(least, min(longest_name, width - figures))
    names = NameCutter()
    names.update(row.cells[NAME].text for row in view.rows)

    def line(cells: Sequence[tuple[Column, str]]) -> str:
        parts = []
        for column, text in cells:
            if column.key == NAME:
                parts.append(set_cell_size(text, name_width))
            else:
                parts.append(" " * (natural[column.key] - cell_len(text)) + text)
        return " ".join(parts).rstrip()

    title = f"{len(snapshot.queues)} queues at {snapshot.taken_at:%H:%M:%S %Z}"
    lines = [title if cell_len(title) <= width else f"{set_cell_size(title, width - 1)}…"]
    lines.append(line([(column, column.header) for column in shown]))
    for row in view.rows:
        lines.append(
            line(
                [
                    (
                        column,
                        names.fit(cell, name_width)
                        if column.key == NAME
                        else cell.shown
                        if notes
                        else cell.bare,
                    )
                    for column in shown
                    for cell in (row.cells[column.key],)
                ]
            )
        )
    if left_out:
        note = f"left out to fit {width} columns: {', '.join(column.header for column in left_out)}"
        lines.extend(textwrap.wrap(note, max(width, 1)))
    return "\n".join(lines) + "\n"
