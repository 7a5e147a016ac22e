"""The dashboard's columns: their keys (field names), headers and meanings, and the choice of them.

Pure, and free of rich, so the config can check a ``columns`` list before anything is drawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: its key (a field name), its short header and what it means."""

    key: str
    header: str
    title: str
    numeric: bool = True


COLUMNS: tuple[Column, ...] = (
    Column("name", "Queue", "queue name", numeric=False),
    Column("waiting", "Wait", "conversations waiting"),
    Column(
        "longest_wait_s", "Longest", "longest wait now (m:ss; the most urgent, by its media type's threshold)"
    ),
    Column("interacting", "Intr", "conversations interacting"),
    Column("idle", "Idle", "agents idle (routing status IDLE: ready for the next conversation)"),
    Column("on_queue", "OnQ", "agents on queue"),
    Column("not_responding", "NoRsp", "agents not responding"),
    Column("off_queue", "OffQ", "agents off queue"),
    Column("offered", "Offer", "offered today"),
    Column("answered", "Ans", "answered today"),
    Column("abandoned", "Abn", "abandoned today"),
    Column("abandon_rate", "Ab%", "abandon rate today (%)"),
    Column("service_level", "SL%", "service level today (%; each media type against its own target)"),
    Column("asa_s", "ASA", "average speed of answer today (m:ss)"),
    Column("aht_s", "AHT", "average handle time today (m:ss)"),
)
COLUMN_KEYS = tuple(column.key for column in COLUMNS)

#: Columns shown only when the config file's ``columns`` asks for them.
OPTIONAL_COLUMNS: tuple[Column, ...] = (
    Column("trend", "Trend", "conversations waiting over the last 30 minutes (sparkline; sorts by its peak)"),
)

COLUMNS_BY_KEY: Mapping[str, Column] = {column.key: column for column in (*COLUMNS, *OPTIONAL_COLUMNS)}

#: Former keys still accepted in a config file's ``columns``: old name -> key.
COLUMN_ALIASES: Mapping[str, str] = {"available": "idle"}


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
    ordered = ["name", *(key for key in dict.fromkeys(keys) if key != "name")]
    return tuple(COLUMNS_BY_KEY[key] for key in ordered)


#: The columns a narrow plain table (``snapshot --format table``) leaves out first, least important
#: first; the queue name is never left out, and the rest go in this order only as far as needed.
DROP_ORDER: tuple[str, ...] = (
    "trend",
    "aht_s",
    "asa_s",
    "answered",
    "offered",
    "off_queue",
    "not_responding",
    "interacting",
    "abandoned",
    "on_queue",
    "abandon_rate",
    "service_level",
    "idle",
    "longest_wait_s",
    "waiting",
)
