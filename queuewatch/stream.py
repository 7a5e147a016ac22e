"""Snapshots and alerts as stream entries, and back: what the collector writes and a viewer reads.

Pure: no Redis, no SQLite, no textual, no rich. The same entries go into a Redis stream
(``queuewatch collect``) and into a SQLite recording (``queuewatch --record``); ``replay`` reads
either.

An entry is three fields: ``v`` (the format version, ``FORMAT``), ``k`` (its kind) and ``d`` (its
payload: JSON, zlib-compressed when that is shorter, then starting with ``Z``'s marker byte).
Kinds:

- ``full``: the whole picture (every queue) and the collector's state (``Meta``);
- ``delta``: what changed since the picture before it (``base``): the queues whose figures
  changed, the order of the queues when the set changed, the snapshot's times and errors;
- ``alert``: alerts the collector raised on that picture (by its thresholds);
- ``status``: the collector's own news (started, backing off, failed, stopped, a gap).

Every entry has ``run`` (one collector process) and ``seq`` (its number in that run, from 0), so a
reader can tell when it missed one. A queue is the JSON of ``queuewatch snapshot --format json``
plus ``waiting_detail``.

Decoding trusts nothing: entries come from outside (anyone who can write the key). Every field's
type is checked, numbers must be finite, names and messages pass ``untrusted.clean_name`` /
``clean``, sizes are bounded; anything else raises ``BadEntry`` with the path of the field, which a
viewer shows and skips.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from queuewatch.alerts import Alert, Alerter
from queuewatch.model import (
    MEDIA_TYPES,
    Agents,
    Live,
    MediaStats,
    PartFailure,
    QueueStats,
    Snapshot,
    Today,
)
from queuewatch.poller import (
    Allowance,
    BackingOff,
    Connected,
    PollerEvent,
    PollFailed,
    Scheduled,
    SnapshotReceived,
)
from queuewatch.source import RateStatus
from queuewatch.thresholds import Thresholds
from queuewatch.untrusted import clean, clean_name, distinguish

#: The entry format this queuewatch writes and reads.
FORMAT = 1

#: A full picture every this many snapshots (deltas between): a seek in a recording reads at most
#: this many entries (one full, the rest deltas); at 5 s, one every 100 s.
FULL_EVERY = 20

#: The payload starts with this byte when it is zlib-compressed JSON (JSON never starts with it).
ZLIB_MARK = b"Z"

#: Payloads at least this long are compressed (when that makes them shorter).
COMPRESS_FROM = 2048

#: Bounds on what a reader accepts, against a hostile or broken writer.
MAX_PAYLOAD = 64 * 1024 * 1024
MAX_QUEUES = 50_000
MAX_LIST = 100_000

Kind = Literal["full", "delta", "alert", "status"]
KINDS: tuple[Kind, ...] = ("full", "delta", "alert", "status")

StatusEvent = Literal["started", "connected", "backing_off", "failed", "gap", "stopped"]
STATUS_EVENTS: tuple[StatusEvent, ...] = ("started", "connected", "backing_off", "failed", "gap", "stopped")


class BadEntry(ValueError):
    """An entry that cannot be read; ``str()`` says which field and why, cleaned."""


# --- the decoded entries ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Meta:
    """The collector's state as of an entry: what the dashboard's status bar shows of it."""

    label: str = ""
    timezone: str | None = None
    interval: float = 5.0
    next_at: datetime | None = None
    """When the collector's next poll is due (wall clock)."""
    rate: RateStatus = field(default_factory=RateStatus)
    allowance: Allowance = field(default_factory=Allowance)


@dataclass(frozen=True, slots=True)
class Picture:
    """A ``full`` entry: the whole snapshot."""

    run: str
    seq: int
    meta: Meta
    snapshot: Snapshot

    @property
    def at(self) -> datetime:
        return self.snapshot.taken_at


@dataclass(frozen=True, slots=True)
class Change:
    """A ``delta`` entry: the picture ``base`` with ``changed`` queues replaced (or added) and, when
    ``order`` is given, only those queues, in that order."""

    run: str
    seq: int
    base: int
    meta: Meta
    taken_at: datetime
    today_at: datetime | None
    errors: tuple[PartFailure, ...]
    changed: tuple[QueueStats, ...]
    order: tuple[str, ...] | None

    @property
    def at(self) -> datetime:
        return self.taken_at


@dataclass(frozen=True, slots=True)
class AlertsRaised:
    """An ``alert`` entry: the alerts the collector raised on the picture taken ``at``."""

    run: str
    seq: int
    at: datetime
    alerts: tuple[Alert, ...]


@dataclass(frozen=True, slots=True)
class CollectorStatus:
    """A ``status`` entry: the collector's own news."""

    run: str
    seq: int
    at: datetime
    event: StatusEvent
    message: str = ""
    part: str = ""
    kind: str = ""
    retry_at: datetime | None = None
    attempt: int | None = None


Decoded = Picture | Change | AlertsRaised | CollectorStatus


@dataclass(frozen=True, slots=True)
class Encoded:
    """An entry ready to store: its kind, its recorded time (for retention and seeking), its fields."""

    kind: Kind
    seq: int
    at: datetime
    payload: bytes

    def fields(self) -> dict[str, bytes]:
        return {"v": str(FORMAT).encode(), "k": self.kind.encode(), "d": self.payload}


# --- encoding --------------------------------------------------------------------------------------


def _r(value: float | None) -> float | None:
    """A figure as it is: not rounded, so a viewer judges it against a threshold as the collector
    does (JSON keeps a float exactly)."""
    return value


def _live(live: Live) -> dict[str, Any]:
    return {
        "waiting": live.waiting,
        "longest_wait_s": _r(live.longest_wait_s),
        "interacting": live.interacting,
        "alerting": live.alerting,
        "longest_wait_exact": live.longest_wait_exact,
    }


def _today(today: Today) -> dict[str, Any]:
    return {
        "offered": today.offered,
        "answered": today.answered,
        "abandoned": today.abandoned,
        "abandon_rate": _r(today.abandon_rate),
        "service_level": _r(today.service_level),
        "sl_target": _r(today.sl_target),
        "asa_s": _r(today.asa_s),
        "aht_s": _r(today.aht_s),
    }


def queue_json(stats: QueueStats) -> dict[str, Any]:
    """One queue as ``queuewatch snapshot --format json`` writes it, plus ``waiting_detail``."""
    agents = stats.agents
    return {
        "id": stats.id,
        "name": stats.name,
        "division": stats.division,
        "waiting": stats.waiting,
        "longest_wait_s": _r(stats.longest_wait_s),
        "longest_wait_exact": stats.longest_wait_exact,
        "interacting": stats.interacting,
        "alerting": stats.alerting,
        "agents": {
            "idle": agents.idle,
            "interacting": agents.interacting,
            "not_responding": agents.not_responding,
            "communicating": agents.communicating,
            "off_queue": agents.off_queue,
            "on_queue": agents.on_queue,
        },
        "members": stats.members,
        "today": _today(stats.today),
        "by_media": {
            media: {**_live(m.live), "today": _today(m.today)} for media, m in stats.by_media.items()
        },
        "waiting_detail": [[cid, media, _r(seconds)] for cid, media, seconds in stats.waiting_detail],
    }


def _time(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat(timespec="milliseconds")


def _errors(errors: Iterable[PartFailure]) -> list[dict[str, Any]]:
    return [
        {"part": e.part, "kind": e.kind, "message": e.message, "queue_ids": list(e.queue_ids)} for e in errors
    ]


def _meta(meta: Meta) -> dict[str, Any]:
    return {
        "label": meta.label,
        "timezone": meta.timezone,
        "interval": meta.interval,
        "next_at": _time(meta.next_at),
        "rate": {"last_minute": meta.rate.last_minute, "refused_last_minute": meta.rate.refused_last_minute},
        "allowance": {"per_minute": meta.allowance.per_minute, "basis": meta.allowance.basis},
    }


def pack(document: Mapping[str, Any] | str) -> bytes:
    """JSON text (or a document to dump), compressed when long enough for that to pay."""
    text = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False)
    raw = text.encode("utf-8")
    if len(raw) >= COMPRESS_FROM:
        packed = ZLIB_MARK + zlib.compress(raw, 1)
        if len(packed) < len(raw):
            return packed
    return raw


class QueueCache:
    """Each queue's JSON, kept while its figures do not change: a full picture at every publish
    costs a join, not an encoding of every queue."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[QueueStats, str]] = {}

    def text(self, stats: QueueStats) -> str:
        held = self._cache.get(stats.id)
        if held is not None and held[0] == stats:
            return held[1]
        text = json.dumps(queue_json(stats), ensure_ascii=False)
        self._cache[stats.id] = (stats, text)
        return text

    def forget_except(self, ids: Iterable[str]) -> None:
        keep = set(ids)
        for queue_id in [q for q in self._cache if q not in keep]:
            del self._cache[queue_id]


def _head(run: str, seq: int, at: datetime) -> str:
    return f'"run": {json.dumps(run)}, "seq": {seq}, "at": {json.dumps(_time(at))}'


def encode_full(
    run: str,
    seq: int,
    meta: Meta,
    snapshot: Snapshot,
    cache: QueueCache | None = None,
    *,
    before: tuple[int, Snapshot] | None = None,
) -> Encoded:
    """The whole picture. With ``before`` (the previous snapshot entry's number and snapshot), it
    also says which queues changed since (``base``, ``changed_ids``), so that a reader holding
    that picture reads only those (``decode(..., held=...)``)."""
    cache = cache or QueueCache()
    since = ""
    if before is not None:
        old = {q.id: q for q in before[1].queues}
        changed_ids = [q.id for q in snapshot.queues if old.get(q.id) != q]
        since = f'"base": {before[0]}, "changed_ids": {json.dumps(changed_ids, ensure_ascii=False)}, '
    queues = ", ".join(cache.text(q) for q in snapshot.queues)
    snap = (
        f'{{"taken_at": {json.dumps(_time(snapshot.taken_at))}, '
        f'"today_at": {json.dumps(_time(snapshot.today_at))}, '
        f'"errors": {json.dumps(_errors(snapshot.errors), ensure_ascii=False)}, "queues": [{queues}]}}'
    )
    text = (
        f"{{{_head(run, seq, snapshot.taken_at)}, {since}"
        f'"meta": {json.dumps(_meta(meta), ensure_ascii=False)}, "snapshot": {snap}}}'
    )
    return Encoded("full", seq, snapshot.taken_at, pack(text))


def encode_delta(
    run: str,
    seq: int,
    base: int,
    meta: Meta,
    before: Snapshot,
    after: Snapshot,
    cache: QueueCache | None = None,
) -> Encoded:
    cache = cache or QueueCache()
    old = {q.id: q for q in before.queues}
    changed = [q for q in after.queues if old.get(q.id) != q]
    same_order = [q.id for q in before.queues] == [q.id for q in after.queues]
    document = (
        f'{{{_head(run, seq, after.taken_at)}, "base": {base}, '
        f'"meta": {json.dumps(_meta(meta), ensure_ascii=False)}, '
        f'"taken_at": {json.dumps(_time(after.taken_at))}, "today_at": {json.dumps(_time(after.today_at))}, '
        f'"errors": {json.dumps(_errors(after.errors), ensure_ascii=False)}, '
        f'"changed": [{", ".join(cache.text(q) for q in changed)}], '
        f'"order": {"null" if same_order else json.dumps([q.id for q in after.queues], ensure_ascii=False)}}}'
    )
    return Encoded("delta", seq, after.taken_at, pack(document))


def encode_alerts(run: str, seq: int, at: datetime, alerts: Sequence[Alert]) -> Encoded:
    document = {
        "run": run,
        "seq": seq,
        "at": _time(at),
        "alerts": [
            {"queue_id": a.queue_id, "name": a.name, "reasons": list(a.reasons), "figures": a.figures}
            for a in alerts
        ],
    }
    return Encoded("alert", seq, at, pack(document))


def encode_status(status: CollectorStatus) -> Encoded:
    document = {
        "run": status.run,
        "seq": status.seq,
        "at": _time(status.at),
        "event": status.event,
        "message": status.message,
        "part": status.part,
        "kind": status.kind,
        "retry_at": _time(status.retry_at),
        "attempt": status.attempt,
    }
    return Encoded("status", status.seq, status.at, pack(document))


class Journal:
    """Turns the poller's events into entries: a full picture every ``full_every`` snapshots (and
    the first), deltas between, alerts by ``thresholds``, and the collector's news.

    Pure, and not thread-safe: one poller thread feeds it. ``clock_offset`` converts the poller's
    monotonic times (``next_poll_at``, ``retry_at``) to wall-clock times: wall = monotonic + offset.
    """

    def __init__(
        self,
        run: str,
        thresholds: Thresholds,
        *,
        full_every: int = FULL_EVERY,
        wall_clock: Callable[[], datetime],
        clock: Callable[[], float],
    ) -> None:
        self.run = run
        self.full_every = max(1, full_every)
        self._alerter = Alerter(thresholds)
        self._wall = wall_clock
        self._clock = clock
        self._seq = 0
        self._since_full = 0
        self._base: int | None = None
        self.meta = Meta()
        self.snapshot: Snapshot | None = None
        """The latest picture, for the ``latest`` key."""
        self._cache = QueueCache()

    def _next_seq(self) -> int:
        seq = self._seq
        self._seq += 1
        return seq

    def _wall_of(self, monotonic: float | None) -> datetime | None:
        if monotonic is None:
            return None
        return self._wall() + timedelta(seconds=monotonic - self._clock())

    def status(self, event: StatusEvent, message: str = "", **fields: Any) -> Encoded:
        """An entry with the collector's own news (started, stopped, a gap)."""
        return encode_status(
            CollectorStatus(self.run, self._next_seq(), self._wall(), event, message, **fields)
        )

    def resync(self) -> None:
        """The next snapshot is published whole (after entries may have been lost)."""
        self._base = None

    def on_event(self, event: PollerEvent) -> list[Encoded]:
        """The entries an event of the poller makes (none for most)."""
        if isinstance(event, Connected):
            self.meta = replace(self.meta, label=event.label, timezone=event.timezone)
            return [self.status("connected", f"connected to {event.label}")]
        if isinstance(event, Scheduled):
            self.meta = replace(self.meta, interval=event.effective_interval or event.interval)
            return []
        if isinstance(event, BackingOff):
            return [
                self.status(
                    "backing_off",
                    event.message,
                    part=event.part,
                    kind=event.kind,
                    retry_at=self._wall_of(event.retry_at),
                    attempt=event.attempt,
                )
            ]
        if isinstance(event, PollFailed):
            return [
                self.status(
                    "failed",
                    event.message,
                    part=event.part,
                    kind=event.kind,
                    retry_at=self._wall_of(event.retry_at),
                )
            ]
        if isinstance(event, SnapshotReceived):
            return self._snapshot(event)
        return []

    def _snapshot(self, event: SnapshotReceived) -> list[Encoded]:
        snapshot = event.snapshot
        self.meta = replace(
            self.meta, next_at=self._wall_of(event.next_poll_at), rate=event.rate, allowance=event.allowance
        )
        seq = self._next_seq()
        previous = self.snapshot
        if previous is None or self._base is None or self._since_full + 1 >= self.full_every:
            before = (self._base, previous) if previous is not None and self._base is not None else None
            entry = encode_full(self.run, seq, self.meta, snapshot, self._cache, before=before)
            self._since_full = 0
        else:
            entry = encode_delta(self.run, seq, self._base, self.meta, previous, snapshot, self._cache)
            self._since_full += 1
        self._base = seq
        self.snapshot = snapshot
        self._cache.forget_except(q.id for q in snapshot.queues)
        entries = [entry]
        alerts = self._alerter.update(snapshot.queues)
        if alerts:
            entries.append(encode_alerts(self.run, self._next_seq(), snapshot.taken_at, alerts))
        return entries

    def latest(self) -> Encoded | None:
        """The latest picture, whole (the ``latest`` key): numbered as the last snapshot entry."""
        if self.snapshot is None or self._base is None:
            return None
        return encode_full(self.run, self._base, self.meta, self.snapshot, self._cache)


# --- decoding --------------------------------------------------------------------------------------


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _where(path: str) -> str:
    return clean(path, 120)


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return "text"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _fail(path: str, wanted: str, value: object) -> BadEntry:
    return BadEntry(f"{_where(path)} must be {wanted}, not {_type_name(value)}")


def _obj(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, "an object", value)
    return value


def _list(value: object, path: str, limit: int = MAX_LIST) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(path, "a list", value)
    if len(value) > limit:
        raise BadEntry(f"{_where(path)} has {len(value)} items, more than {limit}")
    return value


def _count(d: Mapping[str, Any], key: str, path: str) -> int | None:
    value = d.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53:
        raise _fail(f"{path}.{key}", "a whole number from 0, or null", value)
    return value


def _number(d: Mapping[str, Any], key: str, path: str, *, optional: bool = True) -> float | None:
    value = d.get(key)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(f"{path}.{key}", "a number" + (", or null" if optional else ""), value)
    return float(value)


def _flag(d: Mapping[str, Any], key: str, path: str, default: bool = True) -> bool:
    value = d.get(key, default)
    if not isinstance(value, bool):
        raise _fail(f"{path}.{key}", "true or false", value)
    return value


def _text(d: Mapping[str, Any], key: str, path: str, *, optional: bool = False) -> str | None:
    value = d.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise _fail(f"{path}.{key}", "text" + (" or null" if optional else ""), value)
    return clean(value)


def _required_text(d: Mapping[str, Any], key: str, path: str) -> str:
    value = _text(d, key, path)
    assert value is not None
    return value


def _when(d: Mapping[str, Any], key: str, path: str, *, optional: bool = False) -> datetime | None:
    value = d.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise _fail(f"{path}.{key}", "an ISO 8601 time", value)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise BadEntry(f"{_where(path)}.{key} is not an ISO 8601 time: {clean(value, 40)!r}") from None
    if when.tzinfo is None:
        raise BadEntry(f"{_where(path)}.{key} has no UTC offset: {clean(value, 40)!r}")
    return when


def _required_when(d: Mapping[str, Any], key: str, path: str) -> datetime:
    when = _when(d, key, path)
    assert when is not None
    return when


def _decode_live(d: dict[str, Any], path: str) -> Live:
    return Live(
        waiting=_count(d, "waiting", path),
        longest_wait_s=_number(d, "longest_wait_s", path),
        interacting=_count(d, "interacting", path),
        alerting=_count(d, "alerting", path),
        longest_wait_exact=_flag(d, "longest_wait_exact", path),
    )


def _decode_today(value: object, path: str) -> Today:
    d = _obj(value, path)
    return Today(
        offered=_count(d, "offered", path),
        answered=_count(d, "answered", path),
        abandoned=_count(d, "abandoned", path),
        abandon_rate=_number(d, "abandon_rate", path),
        service_level=_number(d, "service_level", path),
        sl_target=_number(d, "sl_target", path),
        asa_s=_number(d, "asa_s", path),
        aht_s=_number(d, "aht_s", path),
    )


def decode_queue(value: object, path: str) -> QueueStats:
    d = _obj(value, path)
    agents = _obj(d.get("agents"), f"{path}.agents")
    a_path = f"{path}.agents"
    by_media: dict[str, MediaStats] = {}
    for media, figures in _obj(d.get("by_media", {}), f"{path}.by_media").items():
        m_path = f"{path}.by_media.{media}"
        if media not in MEDIA_TYPES:
            raise BadEntry(f"{_where(m_path)}: not a media type ({', '.join(MEDIA_TYPES)})")
        m = _obj(figures, m_path)
        by_media[media] = MediaStats(
            live=_decode_live(m, m_path), today=_decode_today(m.get("today"), f"{m_path}.today")
        )
    detail: list[tuple[str, str, float]] = []
    for index, item in enumerate(_list(d.get("waiting_detail", []), f"{path}.waiting_detail", 10_000)):
        i_path = f"{path}.waiting_detail[{index}]"
        row = _list(item, i_path, 3)
        if len(row) != 3 or not isinstance(row[0], str) or not isinstance(row[1], str):
            raise BadEntry(f"{_where(i_path)} must be [conversation id, media type, seconds]")
        seconds = _number({"s": row[2]}, "s", i_path, optional=False)
        assert seconds is not None
        detail.append((clean(row[0]), clean(row[1]), seconds))
    queue_id = _required_text(d, "id", path)
    if not queue_id:
        raise BadEntry(f"{_where(path)}.id is empty")
    division = d.get("division")
    if division is not None and not isinstance(division, str):
        raise _fail(f"{path}.division", "text or null", division)
    name = d.get("name")
    if not isinstance(name, str):
        raise _fail(f"{path}.name", "text", name)
    return QueueStats(
        id=queue_id,
        name=clean_name(name),
        division=clean_name(division) if division is not None else None,
        waiting=_count(d, "waiting", path),
        longest_wait_s=_number(d, "longest_wait_s", path),
        interacting=_count(d, "interacting", path),
        alerting=_count(d, "alerting", path),
        longest_wait_exact=_flag(d, "longest_wait_exact", path),
        agents=Agents(
            idle=_count(agents, "idle", a_path),
            interacting=_count(agents, "interacting", a_path),
            not_responding=_count(agents, "not_responding", a_path),
            communicating=_count(agents, "communicating", a_path),
            off_queue=_count(agents, "off_queue", a_path),
            on_queue=_count(agents, "on_queue", a_path),
        ),
        members=_count(d, "members", path),
        today=_decode_today(d.get("today"), f"{path}.today"),
        by_media=by_media,
        waiting_detail=tuple(detail),
    )


def _decode_errors(value: object, path: str) -> tuple[PartFailure, ...]:
    failures = []
    for index, item in enumerate(_list(value, path, 10_000)):
        i_path = f"{path}[{index}]"
        e = _obj(item, i_path)
        ids = _list(e.get("queue_ids", []), f"{i_path}.queue_ids", MAX_QUEUES)
        if not all(isinstance(q, str) for q in ids):
            raise BadEntry(f"{_where(i_path)}.queue_ids must be a list of text")
        failures.append(
            PartFailure(
                _required_text(e, "part", i_path),
                _required_text(e, "kind", i_path),
                _required_text(e, "message", i_path),
                tuple(clean(q) for q in ids),
            )
        )
    return tuple(failures)


def _decode_queues(value: object, path: str) -> tuple[QueueStats, ...]:
    queues = tuple(
        decode_queue(item, f"{path}[{index}]") for index, item in enumerate(_list(value, path, MAX_QUEUES))
    )
    _unique([q.id for q in queues], path)
    return with_distinct_names(queues)


def _unique(ids: Sequence[str], path: str) -> None:
    seen: set[str] = set()
    for queue_id in ids:
        if queue_id in seen:
            raise BadEntry(f"{_where(path)} names queue {clean(queue_id, 40)!r} twice")
        seen.add(queue_id)


def with_distinct_names(queues: tuple[QueueStats, ...]) -> tuple[QueueStats, ...]:
    """Queues whose names look alike told apart by the start of their id (``untrusted.distinguish``):
    the writer of a stream may not have done it."""
    shown = distinguish({q.id: q.name for q in queues})
    return tuple(q if shown[q.id] == q.name else replace(q, name=shown[q.id]) for q in queues)


def _decode_meta(value: object, path: str) -> Meta:
    d = _obj(value, path)
    rate = _obj(d.get("rate", {}), f"{path}.rate")
    allowance = _obj(d.get("allowance", {}), f"{path}.allowance")
    basis = allowance.get("basis", "assumed")
    if basis not in ("assumed", "lowered"):
        raise BadEntry(f"{_where(path)}.allowance.basis must be assumed or lowered")
    interval = _number(d, "interval", path, optional=False)
    assert interval is not None
    if not 0 < interval <= 86_400:
        raise BadEntry(f"{_where(path)}.interval must be from 0 to 86400 seconds, not {interval:g}")
    per_minute = _count(allowance, "per_minute", f"{path}.allowance")
    zone = _text(d, "timezone", path, optional=True)
    return Meta(
        label=_text(d, "label", path, optional=True) or "",
        timezone=zone or None,
        interval=interval,
        next_at=_when(d, "next_at", path, optional=True),
        rate=RateStatus(
            last_minute=_count(rate, "last_minute", f"{path}.rate") or 0,
            refused_last_minute=_count(rate, "refused_last_minute", f"{path}.rate") or 0,
        ),
        allowance=Allowance(per_minute if per_minute is not None else Allowance().per_minute, basis),
    )


def _run_seq(d: Mapping[str, Any]) -> tuple[str, int]:
    run = _text(d, "run", "entry")
    seq = _count(d, "seq", "entry")
    if not run or seq is None:
        raise BadEntry("entry.run and entry.seq are required")
    return run, seq


def _decode_alert(value: object, path: str) -> Alert:
    d = _obj(value, path)
    reasons = _list(d.get("reasons"), f"{path}.reasons", 100)
    if not all(isinstance(r, str) for r in reasons):
        raise BadEntry(f"{_where(path)}.reasons must be a list of text")
    figures = d.get("figures", "live")
    if figures not in ("live", "today"):
        raise BadEntry(f"{_where(path)}.figures must be live or today")
    name = d.get("name")
    if not isinstance(name, str):
        raise _fail(f"{path}.name", "text", name)
    return Alert(
        _required_text(d, "queue_id", path), clean_name(name), tuple(clean(r) for r in reasons), figures
    )


def unpack(payload: bytes) -> dict[str, Any]:
    """The payload's JSON object (decompressed if need be), or ``BadEntry``."""
    if len(payload) > MAX_PAYLOAD:
        raise BadEntry(f"the entry is {len(payload)} bytes, more than {MAX_PAYLOAD}")
    raw = payload
    if payload.startswith(ZLIB_MARK):
        inflater = zlib.decompressobj()
        try:
            raw = inflater.decompress(payload[len(ZLIB_MARK) :], MAX_PAYLOAD)
        except zlib.error:
            raise BadEntry("the entry is not valid compressed data") from None
        if inflater.unconsumed_tail:
            raise BadEntry(f"the entry unpacks to more than {MAX_PAYLOAD} bytes")
    try:
        document = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise BadEntry("the entry is not UTF-8 text") from None
    except (ValueError, RecursionError) as error:
        raise BadEntry(f"the entry is not JSON: {clean(str(error), 80)}") from None
    return _obj(document, "entry")


def decode(
    fields: Mapping[bytes, bytes] | Mapping[str, bytes], *, held: tuple[str | None, int | None] = (None, None)
) -> Decoded:
    """An entry's fields (as stored: ``v``, ``k``, ``d``) decoded and checked; ``BadEntry`` if not.

    ``held`` is the (run, seq) of the picture the reader holds: a full picture that follows on from
    it and says which queues changed is read as a ``Change`` of those queues alone (every field of
    them checked), which spares a screen following the stream decoding every queue of every full
    picture."""
    by_name: dict[str, bytes] = {}
    for key, value in fields.items():
        name = key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)
        if isinstance(value, bytes | bytearray):
            by_name[name] = bytes(value)
    version = by_name.get("v")
    if version is None:
        raise BadEntry("the entry has no format version (field v): not written by queuewatch collect")
    if version != str(FORMAT).encode():
        shown = clean(version.decode("utf-8", "replace"), 20)
        raise BadEntry(f"the entry is in format {shown!r}; this queuewatch reads format {FORMAT}: upgrade it")
    kind = by_name.get("k", b"").decode("utf-8", "replace")
    payload = by_name.get("d")
    if kind not in KINDS or payload is None:
        raise BadEntry(f"the entry's kind {clean(kind, 20)!r} is not one of {', '.join(KINDS)}")
    d = unpack(payload)
    run, seq = _run_seq(d)
    if kind == "full" and held[0] == run and held[1] is not None and d.get("base") == held[1]:
        following = _full_as_change(d)
        if following is not None:
            return _decode_delta(following, run, seq)
    if kind == "full":
        meta = _decode_meta(d.get("meta"), "entry.meta")
        s = _obj(d.get("snapshot"), "entry.snapshot")
        snapshot = Snapshot(
            taken_at=_required_when(s, "taken_at", "entry.snapshot"),
            queues=_decode_queues(s.get("queues"), "entry.snapshot.queues"),
            errors=_decode_errors(s.get("errors", []), "entry.snapshot.errors"),
            today_at=_when(s, "today_at", "entry.snapshot", optional=True),
        )
        return Picture(run, seq, meta, snapshot)
    if kind == "delta":
        return _decode_delta(d, run, seq)
    if kind == "alert":
        alerts = _list(d.get("alerts"), "entry.alerts", MAX_QUEUES)
        return AlertsRaised(
            run,
            seq,
            _required_when(d, "at", "entry"),
            tuple(_decode_alert(a, f"entry.alerts[{i}]") for i, a in enumerate(alerts)),
        )
    event = d.get("event")
    if event not in STATUS_EVENTS:
        raise BadEntry(f"entry.event must be one of {', '.join(STATUS_EVENTS)}")
    attempt = _count(d, "attempt", "entry")
    return CollectorStatus(
        run,
        seq,
        _required_when(d, "at", "entry"),
        event,
        _text(d, "message", "entry", optional=True) or "",
        _text(d, "part", "entry", optional=True) or "",
        _text(d, "kind", "entry", optional=True) or "",
        _when(d, "retry_at", "entry", optional=True),
        attempt,
    )


def _decode_delta(d: dict[str, Any], run: str, seq: int) -> Change:
    base = _count(d, "base", "entry")
    if base is None:
        raise BadEntry("entry.base is required")
    order = d.get("order")
    if order is not None:
        order = _list(order, "entry.order", MAX_QUEUES)
        if not all(isinstance(q, str) for q in order):
            raise BadEntry("entry.order must be a list of queue ids")
        order = [clean(q) for q in order]
        _unique(order, "entry.order")
    changed = tuple(
        decode_queue(item, f"entry.changed[{index}]")
        for index, item in enumerate(_list(d.get("changed"), "entry.changed", MAX_QUEUES))
    )
    _unique([q.id for q in changed], "entry.changed")
    return Change(
        run,
        seq,
        base,
        _decode_meta(d.get("meta"), "entry.meta"),
        _required_when(d, "taken_at", "entry"),
        _when(d, "today_at", "entry", optional=True),
        _decode_errors(d.get("errors", []), "entry.errors"),
        changed,
        None if order is None else tuple(order),
    )


def _full_as_change(d: dict[str, Any]) -> dict[str, Any] | None:
    """A full picture's document as a delta's: its changed queues, and its order; None when it does
    not say what changed (it is then read whole)."""
    changed_ids = d.get("changed_ids")
    snapshot = d.get("snapshot")
    if not isinstance(changed_ids, list) or not isinstance(snapshot, dict):
        return None
    queues = _list(snapshot.get("queues"), "entry.snapshot.queues", MAX_QUEUES)
    wanted = {q for q in changed_ids if isinstance(q, str)}
    order = [q.get("id") if isinstance(q, dict) else None for q in queues]
    return {
        "base": d.get("base"),
        "meta": d.get("meta"),
        "taken_at": snapshot.get("taken_at"),
        "today_at": snapshot.get("today_at"),
        "errors": snapshot.get("errors", []),
        "changed": [q for q, queue_id in zip(queues, order, strict=True) if queue_id in wanted],
        "order": order,
    }


def fold_deltas(payloads: Sequence[bytes]) -> tuple[Change, int]:
    """Consecutive ``delta`` payloads as one ``Change`` (for seeking: only the last version of each
    queue is decoded and checked), and how many of them it folds: it stops before one that does
    not follow on from the one before (another run, or a missing entry). ``BadEntry`` if the first
    cannot be read; a later one that cannot be read ends the fold before it."""
    documents: list[dict[str, Any]] = []
    for payload in payloads:
        try:
            document = unpack(payload)
            run, seq = _run_seq(document)
            base = _count(document, "base", "entry")
        except BadEntry:
            if not documents:
                raise
            break
        if documents and (run != documents[-1]["run"] or base != documents[-1]["seq"]):
            break
        documents.append(document)
    changed: dict[object, Any] = {}
    order: object = None
    for document in documents:
        items = document.get("changed")
        if isinstance(items, list):
            for item in items:
                queue_id = item.get("id") if isinstance(item, dict) else None
                changed[queue_id if isinstance(queue_id, str) else ("unnamed", len(changed))] = item
        if document.get("order") is not None:
            order = document["order"]
    last = documents[-1]
    merged = {**last, "base": documents[0]["base"], "changed": list(changed.values()), "order": order}
    run, seq = _run_seq(last)
    return _decode_delta(merged, run, seq), len(documents)


class Gap(Exception):
    """A delta does not follow the picture held: entries were lost (or trimmed); read a full one."""


@dataclass
class Assembler:
    """The picture, entry by entry: a full one replaces it, a delta changes it.

    ``apply`` returns the new snapshot for a picture entry (None for others), or raises ``Gap``
    when a delta's base is not the picture held.
    """

    run: str | None = None
    seq: int | None = None
    snapshot: Snapshot | None = None
    meta: Meta = field(default_factory=Meta)

    def apply(self, entry: Decoded) -> Snapshot | None:
        if isinstance(entry, Picture):
            self.run, self.seq, self.meta, self.snapshot = entry.run, entry.seq, entry.meta, entry.snapshot
            return entry.snapshot
        if isinstance(entry, Change):
            if self.snapshot is None or entry.run != self.run or entry.base != self.seq:
                raise Gap(f"entry {entry.seq} of run {entry.run} follows {entry.base}, not the picture held")
            self.snapshot = apply_change(self.snapshot, entry)
            self.seq, self.meta = entry.seq, entry.meta
            return self.snapshot
        return None

    def reset(self) -> None:
        self.run, self.seq, self.snapshot = None, None, None


def apply_change(snapshot: Snapshot, change: Change) -> Snapshot:
    """``snapshot`` moved on by ``change``."""
    by_id = {q.id: q for q in snapshot.queues}
    renamed = False
    for q in change.changed:
        old = by_id.get(q.id)
        renamed = renamed or old is None or old.name != q.name
        by_id[q.id] = q
    order = change.order if change.order is not None else [q.id for q in snapshot.queues]
    queues = tuple(by_id[q] for q in order if q in by_id)
    if renamed:
        queues = with_distinct_names(queues)
    return Snapshot(
        taken_at=change.taken_at,
        queues=queues,
        errors=change.errors,
        today_at=change.today_at,
        agent_activity={},
    )
