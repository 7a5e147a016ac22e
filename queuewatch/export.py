"""A snapshot as JSON, CSV or a rich table: what ``queuewatch snapshot`` prints.

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
``today.service_level``); ``by_media`` is left out; unknown values are empty cells. A text cell
that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR)
gets a leading ``'``, as OWASP advises for CSV injection.

``save_view`` writes what the dashboard shows (its queues, in its order) to a new file in one of
those two formats: the dashboard's ``e`` and ``E`` keys.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from rich.table import Table
from rich.text import Text

from queuewatch.columns import COLUMNS
from queuewatch.model import QueueStats, Snapshot
from queuewatch.present import Sort, build_view
from queuewatch.thresholds import Thresholds
from queuewatch.untrusted import csv_cell

CSV_COLUMNS = (
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


def csv_rows(queues: tuple[QueueStats, ...] | list[QueueStats]) -> Iterator[dict[str, Any]]:
    for stats in queues:
        flat = dict(_flatten("", {k: v for k, v in queue_dict(stats).items() if k != "by_media"}))
        yield {column: flat.get(column) for column in CSV_COLUMNS}


def to_csv(queues: tuple[QueueStats, ...] | list[QueueStats]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in csv_rows(queues):
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
    shown = replace(snapshot, queues=tuple(queues))
    text = to_json(shown) + "\n" if fmt == "json" else to_csv(list(queues))
    for n in range(1, 100):
        path = directory / export_name(when, fmt, n)
        try:
            with path.open("x", encoding="utf-8", newline="") as out:
                out.write(text)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{directory / export_name(when, fmt)} and 98 more exist already")


# --- the rich table -------------------------------------------------------------------------------


def render_table(snapshot: Snapshot, thresholds: Thresholds | None = None) -> Table:
    """The dashboard's table, once: the same columns, figures and breach marks, sorted by name."""
    view = build_view(snapshot.queues, thresholds or Thresholds(), "", Sort("name", descending=False))
    table = Table(title=f"{len(snapshot.queues)} queues at {snapshot.taken_at:%H:%M:%S %Z}", expand=False)
    for column in COLUMNS:
        table.add_column(column.header, justify="right" if column.numeric else "left", no_wrap=True)
    for row in view.rows:
        table.add_row(*(Text(row.cells[column.key].shown) for column in COLUMNS))
    return table
