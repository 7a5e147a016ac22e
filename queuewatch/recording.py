"""The day on record: entries (``stream``) kept in SQLite or read back from the collector's stream.

- ``SqliteRecorder``: ``queuewatch --record FILE`` writes the dashboard's own snapshots and alerts
  here (the same entries a collector publishes), no server needed. One table, indexed by time;
  WAL, so ``queuewatch replay FILE`` can read it while the dashboard writes. Entries older than
  the retention (48 hours by default) are deleted as it goes.
- ``Recording``: what ``replay`` reads: ``SqliteRecording`` (a file) or ``RedisRecording`` (the
  stream, ``XREVRANGE``/``XRANGE`` by time: entry ids are the recorded time in ms).

Seeking to a time reads the last full picture at or before it and the deltas after it up to that
time (at most ``full_every`` of them); moving forward from the picture held applies only the
deltas in between. Every entry read is decoded by ``stream.decode``: a file or a stream is text
from outside, and a bad entry stops the chain there (the picture before it is shown).
"""

from __future__ import annotations

import abc
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from queuewatch.errors import ConfigError
from queuewatch.model import Snapshot
from queuewatch.redisstream import StreamKeys, id_ms, read_range
from queuewatch.stream import (
    FORMAT,
    AlertsRaised,
    Assembler,
    BadEntry,
    Decoded,
    Encoded,
    Gap,
    Meta,
    decode,
    fold_deltas,
)

if TYPE_CHECKING:
    import redis

#: The kinds of entry that carry a picture.
PICTURES = ("full", "delta")


class Recording(Protocol):
    """A recording, read by time. Times are milliseconds since the epoch, in the recording's own
    index (the recorded time of each entry)."""

    def span(self) -> tuple[int, int] | None:
        """The first and last picture's times; None when there is none."""
        ...

    def picture_at(self, ms: int) -> tuple[int, Meta, Snapshot] | None:
        """The last picture at or before ``ms``: its time, the collector's state, the snapshot."""
        ...

    def next_after(self, ms: int) -> int | None:
        """The time of the first picture after ``ms``."""
        ...

    def alerts_between(self, after_ms: int, upto_ms: int) -> list[AlertsRaised]:
        """Alert entries recorded in (``after_ms``, ``upto_ms``]."""
        ...


Row = tuple[int, int, str, bytes]
"""An entry as a store gives it: (key, time in ms, kind, payload). Keys grow with time."""


@dataclass
class _Held:
    full_key: int
    last_key: int
    last_ms: int
    assembler: Assembler


class _ChainReader(abc.ABC):
    """Seeking and stepping over any store of rows; subclasses fetch the rows."""

    def __init__(self) -> None:
        self._held: _Held | None = None

    # what a store provides
    @abc.abstractmethod
    def _full_at_or_before(self, ms: int) -> Row | None: ...

    @abc.abstractmethod
    def _pictures_after(self, key: int, upto_ms: int) -> list[Row]: ...

    @abc.abstractmethod
    def _span(self) -> tuple[int, int] | None: ...

    @abc.abstractmethod
    def _next_picture_ms(self, ms: int) -> int | None: ...

    @abc.abstractmethod
    def _alert_rows(self, after_ms: int, upto_ms: int) -> list[Row]: ...

    # the Recording protocol
    def span(self) -> tuple[int, int] | None:
        return self._span()

    def next_after(self, ms: int) -> int | None:
        return self._next_picture_ms(ms)

    def picture_at(self, ms: int) -> tuple[int, Meta, Snapshot] | None:
        full = self._full_at_or_before(ms)
        if full is None:
            return None
        held = self._held
        if held is None or held.full_key != full[0] or held.last_ms > ms:
            entry = _decode(full)
            assembler = Assembler()
            if assembler.apply(entry) is None:
                return None
            held = _Held(full[0], full[0], full[1], assembler)
        rows = []
        for row in self._pictures_after(held.last_key, ms):
            if row[2] != "delta":
                break  # the next full picture is after ``ms`` only if the store is out of order
            rows.append(row)
        if rows:
            try:
                change, folded = fold_deltas([row[3] for row in rows])
                held.assembler.apply(change)
                held.last_key, held.last_ms = rows[folded - 1][0], rows[folded - 1][1]
            except (Gap, BadEntry):
                pass  # the picture before the entry that does not follow on
        self._held = held
        snapshot = held.assembler.snapshot
        assert snapshot is not None
        return held.last_ms, held.assembler.meta, snapshot

    def alerts_between(self, after_ms: int, upto_ms: int) -> list[AlertsRaised]:
        found = []
        for row in self._alert_rows(after_ms, upto_ms):
            try:
                entry = _decode(row)
            except BadEntry:
                continue
            if isinstance(entry, AlertsRaised):
                found.append(entry)
        return found


def _decode(row: Row) -> Decoded:
    _, _, kind, payload = row
    return decode({b"v": str(FORMAT).encode(), b"k": kind.encode(), b"d": payload})


# --- SQLite --------------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    kind TEXT NOT NULL,
    v INTEGER NOT NULL,
    d BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_kind_at ON entries (kind, at_ms);
CREATE INDEX IF NOT EXISTS entries_at ON entries (at_ms);
"""


def _open(path: Path, *, write: bool) -> sqlite3.Connection:
    if not write and not path.is_file():
        raise ConfigError(f"no recording at {path}")
    try:
        if write:
            db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
        else:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
            db.execute("SELECT 1 FROM entries LIMIT 1")
    except sqlite3.Error as error:
        raise ConfigError(f"{path} is not a queuewatch recording: {error}") from None
    return db


class SqliteRecorder:
    """Appends entries to a SQLite file (any thread; one writer)."""

    def __init__(self, path: Path, *, retention_hours: float = 48.0) -> None:
        self.path = path
        self._db = _open(path, write=True)
        self._lock = threading.Lock()
        self._keep_ms = int(retention_hours * 3600 * 1000)
        self._writes = 0

    def write(self, entries: Sequence[Encoded]) -> None:
        if not entries:
            return
        rows = [(int(e.at.timestamp() * 1000), e.kind, FORMAT, e.payload) for e in entries]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT INTO entries (at_ms, kind, v, d) VALUES (?, ?, ?, ?)", rows)
            self._writes += 1
            if self._writes % 500 == 1:
                self._db.execute("DELETE FROM entries WHERE at_ms < ?", (rows[-1][0] - self._keep_ms,))
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()


class SqliteRecording(_ChainReader):
    """A recording in a SQLite file (read only)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._db = _open(path, write=False)
        self._lock = threading.Lock()

    def _rows(self, sql: str, args: tuple[object, ...]) -> list[Row]:
        with self._lock:
            found = self._db.execute(sql, args).fetchall()
        rows: list[Row] = []
        for key, at_ms, kind, version, payload in found:
            if version != FORMAT or not isinstance(payload, bytes):
                raise BadEntry(f"entry {key} of {self.path} is in format {version}, not {FORMAT}")
            rows.append((int(key), int(at_ms), str(kind), payload))
        return rows

    def _full_at_or_before(self, ms: int) -> Row | None:
        rows = self._rows(
            "SELECT id, at_ms, kind, v, d FROM entries WHERE kind = 'full' AND at_ms <= ? "
            "ORDER BY at_ms DESC, id DESC LIMIT 1",
            (ms,),
        )
        return rows[0] if rows else None

    def _pictures_after(self, key: int, upto_ms: int) -> list[Row]:
        return self._rows(
            "SELECT id, at_ms, kind, v, d FROM entries WHERE id > ? AND at_ms <= ? "
            "AND kind IN ('full', 'delta') ORDER BY id",
            (key, upto_ms),
        )

    def _span(self) -> tuple[int, int] | None:
        with self._lock:
            first, last = self._db.execute(
                "SELECT MIN(at_ms), MAX(at_ms) FROM entries WHERE kind IN ('full', 'delta')"
            ).fetchone()
        return None if first is None else (int(first), int(last))

    def _next_picture_ms(self, ms: int) -> int | None:
        with self._lock:
            (found,) = self._db.execute(
                "SELECT MIN(at_ms) FROM entries WHERE kind IN ('full', 'delta') AND at_ms > ?", (ms,)
            ).fetchone()
        return None if found is None else int(found)

    def _alert_rows(self, after_ms: int, upto_ms: int) -> list[Row]:
        return self._rows(
            "SELECT id, at_ms, kind, v, d FROM entries WHERE kind = 'alert' AND at_ms > ? AND at_ms <= ? "
            "ORDER BY id",
            (after_ms, upto_ms),
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()


# --- the collector's stream ----------------------------------------------------------------------


def _row(entry_id: bytes, fields: Mapping[bytes, bytes], counter: int) -> Row | None:
    """A stream entry as a row; None for one that is not this format (it is skipped)."""
    if fields.get(b"v") != str(FORMAT).encode():
        return None
    kind = fields.get(b"k", b"").decode("ascii", "replace")
    payload = fields.get(b"d")
    if payload is None:
        return None
    return counter, id_ms(entry_id), kind, payload


class RedisRecording(_ChainReader):
    """The collector's stream, read as a recording (``replay --from redis://…``).

    Row keys are the entry ids as (ms, seq) packed into one int.
    """

    PAGE = 200

    def __init__(self, client: redis.Redis, keys: StreamKeys) -> None:
        super().__init__()
        self._r = client
        self.keys = keys

    @staticmethod
    def _key(entry_id: bytes) -> int:
        ms, _, seq = entry_id.decode("ascii").partition("-")
        return int(ms) * 1_000_000 + int(seq or 0)

    @staticmethod
    def _id(key: int) -> str:
        return f"{key // 1_000_000}-{key % 1_000_000}"

    def _rows_of(self, found: list[tuple[bytes, Mapping[bytes, bytes]]]) -> list[Row]:
        rows = []
        for entry_id, fields in found:
            row = _row(entry_id, fields, self._key(entry_id))
            if row is not None:
                rows.append(row)
        return rows

    def _full_at_or_before(self, ms: int) -> Row | None:
        end = f"{ms}"
        while True:
            found = read_range(self._r, self.keys, "-", end, self.PAGE, reverse=True)
            for row in self._rows_of(found):
                if row[2] == "full":
                    return row
            if len(found) < self.PAGE:
                return None
            end = f"({found[-1][0].decode('ascii')}"

    def _pictures_after(self, key: int, upto_ms: int) -> list[Row]:
        rows: list[Row] = []
        start = f"({self._id(key)}"
        while True:
            found = read_range(self._r, self.keys, start, f"{upto_ms}", self.PAGE)
            rows.extend(r for r in self._rows_of(found) if r[2] in PICTURES)
            if len(found) < self.PAGE:
                return rows
            start = f"({found[-1][0].decode('ascii')}"

    def _first_picture(self, start: str, *, reverse: bool) -> int | None:
        bound = start
        while True:
            if reverse:
                found = read_range(self._r, self.keys, "-", bound, self.PAGE, reverse=True)
            else:
                found = read_range(self._r, self.keys, bound, "+", self.PAGE)
            for row in self._rows_of(found):
                if row[2] in PICTURES:
                    return row[1]
            if len(found) < self.PAGE:
                return None
            bound = f"({found[-1][0].decode('ascii')}"

    def _span(self) -> tuple[int, int] | None:
        first = self._first_picture("-", reverse=False)
        last = self._first_picture("+", reverse=True)
        return None if first is None or last is None else (first, last)

    def _next_picture_ms(self, ms: int) -> int | None:
        return self._first_picture(f"({ms}-{2**63 - 1}", reverse=False)

    def _alert_rows(self, after_ms: int, upto_ms: int) -> list[Row]:
        found = read_range(self._r, self.keys, f"({after_ms}-{2**63 - 1}", f"{upto_ms}", 1000)
        return [r for r in self._rows_of(found) if r[2] == "alert"]
