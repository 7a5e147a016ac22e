"""A seeded discrete-event model of a contact centre, answering in Genesys Cloud wire shapes.

:class:`ContactCentre` runs a scenario: Poisson arrivals per queue and media type whose rate follows
the time of day in the scenario's time zone, agents who work shifts with breaks and lunch, FIFO
routing to the agent free soonest, lognormal handle times, customers who abandon when their
patience runs out, and service-level accounting against each queue's target.

How it stays cheap
    Routing is decided when a conversation arrives: each queue keeps a heap of "agent free at"
    times, so the answer (or abandon) time is known at once and the later steps become events on
    one global heap. The model advances lazily: every query first processes the events up to the
    current simulated time, so an idle centre costs nothing and a query only touches the queues it
    names.

Warm start
    At construction the day so far (local midnight to now) is replayed. Conversations that were
    completely over more than :data:`WARM_WINDOW_S` seconds ago are only accounted in the
    per-minute buckets; the last stretch runs event by event, so agents, waiting and interacting
    conversations are all live and consistent when the first query arrives.

Figures
    Completed-conversation figures are kept per queue, per media type, per minute (count, sum,
    min and max of each timer) for at most :data:`KEEP_MINUTES` minutes. An aggregates query sums
    the buckets whose minute starts inside the requested interval, so a bucket is counted in full
    even when the interval ends part-way through it.

Routing statuses
    ``oUserRoutingStatuses`` covers the queue's logged-in members (offline members are left out),
    so its counts add up to ``oActiveUsers``; ``OFF_QUEUE`` equals ``oOffQueueUsers`` and the other
    statuses add up to ``oOnQueueUsers``. ``oMemberUsers`` counts every member, offline included.
    The routing activity query gives the same members one by one, each with the time their
    routing status began (``routingStatusDate``); the users listing gives their names.

Staging (for tests and demos, through the server's admin endpoints)
    :meth:`ContactCentre.stage_waiting` puts a conversation in a queue that has waited so long and
    stays waiting; :meth:`ContactCentre.stage_today` adds answered (in or out of the service level)
    and abandoned conversations to today's figures; :meth:`ContactCentre.force_status` puts agents
    in a routing status for a while, as if it had begun some time ago.

Observation replies
    As a real org's do, they carry a group for every media type of every queue, with zero counts
    for the media a queue has no conversations of; so "a reply has a chat group" never means "the
    queue handles chat". A query must have a ``filter`` (400 otherwise), and an aggregates reply
    gives each ``interval`` in UTC, whatever offset the request used.

All methods are thread-safe (one lock) and return JSON-ready dicts with the real API's
camelCase keys. Bad requests raise :class:`SimulatorValidationError`.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import re
import threading
import time
import uuid
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from queuewatch.simulator.scenario import MEDIA_TYPES, MediaLoad, QueueSpec, Scenario, name_id

#: Seconds before "now" from which the warm start runs event by event.
WARM_WINDOW_S = 25 * 60.0
#: Per-minute buckets older than this many minutes are dropped.
KEEP_MINUTES = 2 * 24 * 60
#: Largest page size ``list_queues`` accepts.
MAX_PAGE_SIZE = 500
#: Detail observations per metric before the list is truncated (``truncated: true``).
MAX_OBSERVATIONS = 100
#: What a truncated detail list keeps: ``ends`` the oldest half and the newest half (what the SDK's
#: field documentation describes), ``newest`` only the newest (what no published source rules out).
TRUNCATIONS = ("ends", "newest")

#: Queue configuration names of the analytics media types.
CONFIG_MEDIA = {
    "voice": "call",
    "chat": "chat",
    "email": "email",
    "message": "message",
    "callback": "callback",
}

ROUTING_STATUSES: tuple[str, ...] = ("IDLE", "INTERACTING", "NOT_RESPONDING", "COMMUNICATING", "OFF_QUEUE")
IDLE, INTERACTING, NOT_RESPONDING, COMMUNICATING, OFF_QUEUE = range(5)

SYSTEM_PRESENCES: tuple[str, ...] = ("AVAILABLE", "ON_QUEUE", "BUSY", "AWAY", "BREAK", "MEAL", "OFFLINE")
AVAILABLE, ON_QUEUE, BUSY, AWAY, BREAK, MEAL, OFFLINE = range(7)
#: Organization presence id of each system presence (one each).
PRESENCE_IDS: tuple[str, ...] = tuple(name_id("presence", p) for p in SYSTEM_PRESENCES)

OBSERVATION_METRICS = frozenset(
    {
        "oActiveUsers",
        "oAlerting",
        "oInteracting",
        "oMemberUsers",
        "oOffQueueUsers",
        "oOnQueueUsers",
        "oUserPresences",
        "oUserRoutingStatuses",
        "oWaiting",
    }
)
#: Metrics of the routing activity query (``/api/v2/analytics/routing/activity/query``).
ROUTING_ACTIVITY_METRICS = frozenset(
    {
        "oActiveUsers",
        "oMemberUsers",
        "oOffQueueUsers",
        "oOnQueueUsers",
        "oUserPresences",
        "oUserRoutingStatuses",
    }
)
_ROUTING_ACTIVITY_DIMENSIONS = ("queueId", "userId", "routingStatus")
#: Largest page of the users listing.
MAX_USERS_PAGE = 500

_USER_METRICS = frozenset(
    {
        "oActiveUsers",
        "oMemberUsers",
        "oOffQueueUsers",
        "oOnQueueUsers",
        "oUserPresences",
        "oUserRoutingStatuses",
    }
)
_CONVERSATION_METRICS = frozenset({"oWaiting", "oInteracting", "oAlerting"})

#: Aggregate metrics the simulator produces.
AGGREGATE_METRICS = frozenset(
    {
        "nOffered",
        "tAnswered",
        "tAbandon",
        "oServiceLevel",
        "tHandle",
        "tWait",
        "tAcd",
        "tTalk",
        "tAcw",
        "nOverSla",
        "tShortAbandon",
    }
)
#: Real aggregate metrics that are accepted but never have data here.
_ACCEPTED_WITHOUT_DATA = frozenset(
    {
        "nConnected",
        "nError",
        "nTransferred",
        "oServiceTarget",
        "tAlert",
        "tFlowOut",
        "tHeld",
        "tHeldComplete",
        "tIvr",
        "tNotResponding",
        "tTalkComplete",
        "tVoicemail",
    }
)
_AGGREGATE_DIMENSIONS = ("queueId", "mediaType", "divisionId")

#: Abandons quicker than this count as short abandons.
SHORT_ABANDON_MS = 10_000

# Arrival rate relative to the peak hour, at each local hour 0..24 (linear in between). Queues are
# open 07:00-22:00; outside those hours callers hear a closed message and never reach a queue.
_DAY_PROFILE = (
    *(0.0,) * 7,  # 00:00-06:00
    0.0,  # 07:00
    0.35,
    0.7,
    0.92,
    1.0,
    0.82,
    0.78,
    0.9,
    0.97,
    0.85,
    0.62,
    0.4,
    0.25,
    0.16,
    0.1,
    0.0,  # 22:00
    0.0,
    0.0,
)
# Seconds an agent's device rings before answer, per media type.
_ALERT_S = {
    "voice": (2.0, 8.0),
    "chat": (1.0, 5.0),
    "email": (1.0, 4.0),
    "message": (1.0, 5.0),
    "callback": (2.0, 6.0),
}
_ALERTING_TIMEOUT_S = {"call": 8, "callback": 30, "chat": 30, "email": 300, "message": 30}
_P_NOT_RESPONDING = 0.03
_P_COMMUNICATING = 0.05

# Bucket layout: one row of _W int32 per (queue, media, minute).
_OFFERED = 0
_ANSWERED = 1  # count, sum, min, max
_ABANDON = 5
_HANDLE = 9
_TALK = 13
_ACW = 17
_OVER_SLA = 21
_SHORT_ABANDON = 22
_W = 26
_TIMERS = (_ANSWERED, _ABANDON, _HANDLE, _TALK, _ACW, _SHORT_ABANDON)
_ADDITIVE = tuple(f for f in range(_W) if not any(f in (t + 2, t + 3) for t in _TIMERS))
_NO_MIN = 2**31 - 1
_ZERO_ROW = array("i", [0] * _W)
for _t in _TIMERS:
    _ZERO_ROW[_t + 2] = _NO_MIN

# Event kinds.
_K_ARRIVE, _K_ALERT, _K_ANSWER, _K_END, _K_ABANDON, _K_SETTLE, _K_BOUNDARY, _K_CUTOFF = range(8)

_FIRST_NAMES = (
    "Alex",
    "Sam",
    "Priya",
    "Jordan",
    "Maria",
    "Chen",
    "Fatima",
    "Liam",
    "Aoife",
    "Kenji",
    "Olivia",
    "Mateo",
    "Zara",
    "Noah",
    "Ingrid",
    "Tomás",
    "Yuki",
    "Amara",
    "Dmitri",
    "Grace",
)
_LAST_NAMES = (
    "Smith",
    "Patel",
    "García",
    "Nguyen",
    "O'Brien",
    "Kowalski",
    "Haddad",
    "Jones",
    "Müller",
    "Rossi",
    "Tanaka",
    "Okafor",
    "Dubois",
    "Silva",
    "Larsen",
    "Kim",
    "Murphy",
    "Ahmed",
)


class SimulatorValidationError(Exception):
    """A request the real API would answer with 400 (the server turns it into one)."""

    def __init__(self, message: str, code: str = "bad.request") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# --------------------------------------------------------------------------- time helpers


def iso_ms(t: float) -> str:
    """``2026-11-29T09:12:03.123Z`` for a Unix time."""
    total_ms = math.floor(t * 1000)
    secs, ms = divmod(total_ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{ms:03d}Z"


class _LocalDays:
    """Start and end (Unix seconds) of local calendar days, memoised."""

    def __init__(self, tz: ZoneInfo) -> None:
        self._tz = tz
        self._starts: list[float] = []
        self._ends: list[float] = []
        self._last = (0.0, 0.0)

    def bounds(self, t: float) -> tuple[float, float]:
        last = self._last
        if last[0] <= t < last[1]:
            return last
        i = bisect_right(self._starts, t) - 1
        if i >= 0 and t < self._ends[i]:
            found = (self._starts[i], self._ends[i])
        else:
            local = datetime.fromtimestamp(t, self._tz)
            midnight = datetime(local.year, local.month, local.day, tzinfo=self._tz)
            following = midnight.date() + timedelta(days=1)
            end = datetime(following.year, following.month, following.day, tzinfo=self._tz)
            found = (midnight.timestamp(), end.timestamp())
            j = bisect_left(self._starts, found[0])
            self._starts.insert(j, found[0])
            self._ends.insert(j, found[1])
        self._last = found
        return found


# --------------------------------------------------------------------------- model objects


@dataclass(frozen=True)
class _Schedule:
    """An agent's day: presence segments starting at offsets (seconds after local midnight)."""

    starts: tuple[float, ...]
    presences: tuple[int, ...]
    on_queue: tuple[tuple[float, float], ...]


class _Series:
    """Per-minute buckets of one queue and media type: sorted minute keys and rows of _W ints."""

    __slots__ = ("data", "minutes")

    def __init__(self) -> None:
        self.minutes = array("l")
        self.data = array("i")

    def row(self, minute: int) -> int:
        """Offset of the row for ``minute`` in ``data``, created (zeroed) if absent."""
        minutes = self.minutes
        n = len(minutes)
        if n and minutes[-1] == minute:
            return (n - 1) * _W
        if not n or minutes[-1] < minute:
            if n and minutes[0] < minute - KEEP_MINUTES:
                cut = bisect_left(minutes, minute - KEEP_MINUTES)
                del minutes[:cut]
                del self.data[: cut * _W]
                n -= cut
            minutes.append(minute)
            self.data.extend(_ZERO_ROW)
            return n * _W
        i = bisect_left(minutes, minute)
        if minutes[i] != minute:
            minutes.insert(i, minute)
            self.data[i * _W : i * _W] = _ZERO_ROW
        return i * _W

    def totals(self, first_minute: int, end_minute: int) -> list[int] | None:
        """Column totals (sums; min/max for those columns) of rows in [first, end), or None if none."""
        lo = bisect_left(self.minutes, first_minute)
        hi = bisect_left(self.minutes, end_minute)
        if lo >= hi:
            return None
        data = self.data
        start, stop = lo * _W, hi * _W
        out = [sum(data[start + f : stop : _W]) for f in range(_W)]
        for timer in _TIMERS:
            if out[timer]:
                out[timer + 2] = min(data[start + timer + 2 : stop : _W])
                out[timer + 3] = max(data[start + timer + 3 : stop : _W])
            else:
                out[timer + 2], out[timer + 3] = _NO_MIN, 0
        return out


def _merge_totals(into: list[int], more: Sequence[int]) -> None:
    """Add ``more`` into ``into``: counts and sums add up, min/max columns combine."""
    for f in _ADDITIVE:
        into[f] += more[f]
    for timer in _TIMERS:
        into[timer + 2] = min(into[timer + 2], more[timer + 2])
        into[timer + 3] = max(into[timer + 3], more[timer + 3])


def _credit(series: _Series, t: float, kind: int, value: int, extra: int) -> None:
    """Account one completed step of a conversation in the bucket of the minute it happened."""
    data = series.data
    off = series.row(int(t // 60))
    if kind == _K_ARRIVE:
        data[off + _OFFERED] += 1
        return
    if kind == _K_ANSWER:
        fields: tuple[tuple[int, int], ...] = ((_ANSWERED, value),)
        if extra:
            data[off + _OVER_SLA] += 1
    elif kind == _K_ABANDON:
        fields = ((_ABANDON, value),)
        if value < SHORT_ABANDON_MS:
            fields += ((_SHORT_ABANDON, value),)
    else:
        fields = ((_HANDLE, value), (_TALK, value - extra), (_ACW, extra))
    for base, v in fields:
        o = off + base
        data[o] += 1
        data[o + 1] += v
        if v < data[o + 2]:
            data[o + 2] = v
        if v > data[o + 3]:
            data[o + 3] = v


class _Agent:
    __slots__ = (
        "conv",
        "forced_status",
        "forced_until",
        "id",
        "index",
        "name",
        "post_status",
        "post_until",
        "presence",
        "queue",
        "schedule",
        "status",
        "status_at",
    )

    def __init__(self, queue: _Queue, index: int, schedule: _Schedule, name: str) -> None:
        self.queue = queue
        self.index = index
        self.id = name_id("user", f"{queue.id}:{index}")
        self.name = name
        self.schedule = schedule
        self.conv: _Conv | None = None
        self.status = OFF_QUEUE
        self.status_at = 0.0
        self.presence = OFFLINE
        self.post_status = IDLE
        self.post_until = 0.0
        self.forced_status = IDLE
        self.forced_until = 0.0


class _Conv:
    __slots__ = (
        "abandon_at",
        "acw_ms",
        "agent",
        "alert_at",
        "answer_at",
        "arrive",
        "end_at",
        "handle_ms",
        "id",
        "key",
        "media",
        "post_s",
        "post_status",
        "queue",
    )

    def __init__(self, queue: _Queue, media: int, arrive: float, key: int) -> None:
        self.queue = queue
        self.media = media
        self.arrive = arrive
        self.key = key
        self.id = str(uuid.UUID(int=key, version=4))
        self.agent: _Agent | None = None
        self.alert_at = self.answer_at = self.end_at = self.abandon_at = 0.0
        self.handle_ms = self.acw_ms = 0
        self.post_status = IDLE
        self.post_s = 0.0


class _Stream:
    """Arrivals of one media type at one queue."""

    __slots__ = ("load", "media", "queue", "rate")

    def __init__(self, queue: _Queue, media: int, load: MediaLoad) -> None:
        self.queue = queue
        self.media = media
        self.load = load
        self.rate = load.calls_per_hour / 3600.0


class _Queue:
    __slots__ = (
        "agents",
        "alerting",
        "deleted",
        "dnis",
        "free",
        "id",
        "index",
        "interacting",
        "media",
        "presence_counts",
        "series",
        "spec",
        "status_counts",
        "streams",
        "waiting",
    )

    def __init__(self, spec: QueueSpec, index: int) -> None:
        self.spec = spec
        self.id = spec.id
        self.index = index
        self.deleted = False
        self.media: tuple[int, ...] = tuple(i for i, m in enumerate(MEDIA_TYPES) if m in spec.media)
        self.streams = [_Stream(self, i, spec.media[MEDIA_TYPES[i]]) for i in self.media]
        self.agents: list[_Agent] = []
        self.free: list[tuple[float, int]] = []
        self.waiting: dict[int, dict[_Conv, None]] = {m: {} for m in self.media}
        self.alerting: dict[int, dict[_Conv, None]] = {m: {} for m in self.media}
        self.interacting: dict[int, dict[_Conv, None]] = {m: {} for m in self.media}
        self.series: dict[int, _Series] = {m: _Series() for m in self.media}
        self.status_counts = [0] * len(ROUTING_STATUSES)
        self.presence_counts = [0] * len(SYSTEM_PRESENCES)
        self.dnis = f"tel:+1800555{index % 10000:04d}"


#: The conversations of a media type a queue does not handle.
_NO_CONVERSATIONS: dict[Any, None] = {}


# --------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class _Predicate:
    dimension: str
    operator: str
    value: str | None

    def matches(self, values: Mapping[str, str | None]) -> bool:
        actual = values.get(self.dimension)
        if actual is None:
            return True
        if self.operator == "matches":
            return actual == self.value
        return self.operator == "exists"


class _Clause:
    """An and/or node of a query filter: predicates plus nested clauses."""

    def __init__(self, kind: str, predicates: tuple[_Predicate, ...], clauses: tuple[_Clause, ...]) -> None:
        self.kind = kind
        self.predicates = predicates
        self.clauses = clauses
        sets: dict[str, set[str]] = {}
        for p in predicates:
            if p.operator == "matches" and p.value is not None:
                sets.setdefault(p.dimension, set()).add(p.value)
        self._values = {dim: frozenset(values) for dim, values in sets.items()}
        self._others = tuple(p for p in predicates if p.operator != "matches")

    def matches(self, values: Mapping[str, str | None]) -> bool:
        """Whether a (queue, media) with these dimension values passes; None values match anything."""
        if self.kind == "and":
            for dim, wanted in self._values.items():
                actual = values.get(dim)
                if actual is not None and (len(wanted) > 1 or actual not in wanted):
                    return False
            others_ok = all(p.matches(values) for p in self._others)
            return others_ok and all(c.matches(values) for c in self.clauses)
        for dim, wanted in self._values.items():
            actual = values.get(dim)
            if actual is None or actual in wanted:
                return True
        return any(p.matches(values) for p in self._others) or any(c.matches(values) for c in self.clauses)

    def candidates(self, resolve: Callable[[str, str], list[str] | None]) -> dict[str, None] | None:
        """Queue ids this filter can match, in the order named; None when it does not restrict them."""
        found: list[dict[str, None] | None] = []
        for p in self.predicates:
            ids = resolve(p.dimension, p.value) if p.operator == "matches" and p.value is not None else None
            found.append(dict.fromkeys(ids) if ids is not None else None)
        found.extend(c.candidates(resolve) for c in self.clauses)
        if not found:
            return None
        if self.kind == "or":
            if any(f is None for f in found):
                return None
            union: dict[str, None] = {}
            for f in found:
                union.update(f or {})
            return union
        restricting = [f for f in found if f is not None]
        if not restricting:
            return None
        first = restricting[0]
        return {k: None for k in first if all(k in other for other in restricting[1:])}

    def count(self) -> int:
        return len(self.predicates) + sum(c.count() for c in self.clauses)


def _parse_filter(raw: object, dimensions: Sequence[str], max_predicates: int, depth: int = 0) -> _Clause:
    if not isinstance(raw, Mapping):
        raise SimulatorValidationError("filter must be an object with 'type' and 'predicates' or 'clauses'")
    kind = raw.get("type", "and")
    if kind not in ("and", "or"):
        raise SimulatorValidationError(f"filter type must be 'and' or 'or', not {kind!r}")
    raw_predicates = raw.get("predicates") or []
    raw_clauses = raw.get("clauses") or []
    if not isinstance(raw_predicates, list) or not isinstance(raw_clauses, list):
        raise SimulatorValidationError("filter predicates and clauses must be lists")
    if raw_clauses and depth >= 1:
        raise SimulatorValidationError("filter clauses may be nested at most two levels deep")
    predicates = tuple(_parse_predicate(p, dimensions) for p in raw_predicates)
    clauses = tuple(_parse_filter(c, dimensions, max_predicates, depth + 1) for c in raw_clauses)
    clause = _Clause(kind=kind, predicates=predicates, clauses=clauses)
    if depth == 0:
        total = clause.count()
        if total > max_predicates:
            raise SimulatorValidationError(
                f"The filter has {total} predicates; the maximum is {max_predicates}"
            )
    return clause


def _parse_predicate(raw: object, dimensions: Sequence[str]) -> _Predicate:
    if not isinstance(raw, Mapping):
        raise SimulatorValidationError("each filter predicate must be an object")
    ptype = raw.get("type", "dimension")
    if ptype != "dimension":
        raise SimulatorValidationError(f"predicate type {ptype!r} is not supported here; use 'dimension'")
    dimension = raw.get("dimension")
    if dimension not in dimensions:
        raise SimulatorValidationError(
            f"Unsupported dimension {dimension!r} in filter; supported: {', '.join(dimensions)}"
        )
    operator = raw.get("operator", "matches")
    if operator not in ("matches", "exists", "notExists"):
        raise SimulatorValidationError(
            f"predicate operator {operator!r} is not one of matches, exists, notExists"
        )
    value = raw.get("value")
    if operator == "matches" and not isinstance(value, str):
        raise SimulatorValidationError(f"predicate on {dimension} needs a string value")
    return _Predicate(
        dimension=str(dimension), operator=str(operator), value=value if isinstance(value, str) else None
    )


def _metric_list(body: Mapping[str, Any], key: str, valid: Iterable[str], *, required: bool) -> list[str]:
    raw = body.get(key)
    if raw is None or raw == []:
        if required:
            raise SimulatorValidationError(f"{key} must name at least one metric")
        return []
    if not isinstance(raw, list) or not all(isinstance(m, str) for m in raw):
        raise SimulatorValidationError(f"{key} must be a list of metric names")
    valid_set = set(valid)
    for name in raw:
        if name not in valid_set:
            raise SimulatorValidationError(
                f"Unknown metric {name!r} in {key}; valid: {', '.join(sorted(valid_set))}"
            )
    return list(dict.fromkeys(raw))


_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$")


def _parse_interval(raw: object) -> tuple[float, float]:
    if not isinstance(raw, str) or raw.count("/") != 1:
        raise SimulatorValidationError("interval must be an ISO-8601 'start/end' string")
    start_text, end_text = raw.split("/")
    try:
        start, end = (datetime.fromisoformat(start_text), datetime.fromisoformat(end_text))
    except ValueError:
        raise SimulatorValidationError(f"interval {raw!r} is not a valid ISO-8601 'start/end'") from None
    start = start if start.tzinfo else start.replace(tzinfo=UTC)
    end = end if end.tzinfo else end.replace(tzinfo=UTC)
    if start >= end:
        raise SimulatorValidationError(f"interval {raw!r}: the start must be before the end")
    return start.timestamp(), end.timestamp()


def _parse_granularity(raw: object) -> int | None:
    if raw is None:
        return None
    match = _DURATION.match(raw) if isinstance(raw, str) else None
    if not match or not any(match.groups()):
        raise SimulatorValidationError(
            f"granularity {raw!r} is not a supported ISO-8601 duration (e.g. PT30M)"
        )
    days, hours, minutes = (int(g or 0) for g in match.groups())
    seconds = ((days * 24 + hours) * 60 + minutes) * 60
    if seconds <= 0:
        raise SimulatorValidationError("granularity must be at least one minute")
    return seconds


def _timer_stats(row: Sequence[int], base: int) -> dict[str, int]:
    return {"max": row[base + 3], "min": row[base + 2], "count": row[base], "sum": row[base + 1]}


# --------------------------------------------------------------------------- the model


class ContactCentre:
    """The simulated contact centre. See the module docstring."""

    def __init__(
        self,
        scenario: Scenario,
        seed: int = 0,
        speed: float = 1.0,
        clock: Callable[[], float] = time.time,
        start: float | None = None,
    ) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self.scenario = scenario
        self.seed = seed
        self.speed = speed
        self._clock = clock
        self._clock0 = clock()
        self._start_sim = self._clock0 if start is None else float(start)
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._days = _LocalDays(ZoneInfo(scenario.timezone))
        self._heap: list[tuple[float, int, int, Any]] = []
        self._seq = itertools.count()
        self._schedules: dict[tuple[int, ...], _Schedule] = {}
        self._queues = [_Queue(spec, i) for i, spec in enumerate(scenario.queues)]
        self._by_id = {q.id: q for q in self._queues}
        if len(self._by_id) != len(self._queues):
            raise ValueError("queue ids in the scenario must be unique")
        self._by_division: dict[str, list[str]] = {}
        for q in self._queues:
            self._by_division.setdefault(q.spec.division_id, []).append(q.id)
        self._sorted = sorted(self._queues, key=lambda q: (q.spec.name.casefold(), q.id))
        self._handlers: tuple[Callable[[float, Any], None], ...] = (
            self._on_arrive,
            self._on_alert,
            self._on_answer,
            self._on_end,
            self._on_abandon,
            self._on_settle,
            self._on_boundary,
            self._on_cutoff,
        )
        self._staff()
        self._warm_start()

    # ----------------------------------------------------------------- public queries

    def sim_time(self) -> float:
        """The current simulated time (Unix seconds)."""
        return self._start_sim + (self._clock() - self._clock0) * self.speed

    def queue_ids(self) -> list[str]:
        """Ids of the queues that exist (not deleted), in scenario order."""
        with self._lock:
            return [q.id for q in self._queues if not q.deleted]

    def delete_queue(self, queue_id: str) -> bool:
        """Delete a queue; returns False if there was no such queue."""
        with self._lock:
            queue = self._by_id.get(queue_id)
            if queue is None or queue.deleted:
                return False
            queue.deleted = True
            return True

    def list_queues(
        self,
        page_number: int = 1,
        page_size: int = 25,
        name: str | None = None,
        division_ids: Sequence[str] = (),
        ids: Sequence[str] = (),
    ) -> dict[str, Any]:
        """``GET /api/v2/routing/queues`` as a QueueEntityListing."""
        if page_size < 1 or page_size > MAX_PAGE_SIZE:
            raise SimulatorValidationError(f"pageSize must be from 1 to {MAX_PAGE_SIZE}")
        if page_number < 1:
            raise SimulatorValidationError("pageNumber must be 1 or more")
        match = _name_matcher(name)
        wanted_divisions = set(division_ids)
        wanted_ids = set(ids)
        with self._lock:
            selected = [
                q
                for q in self._sorted
                if not q.deleted
                and match(q.spec.name)
                and (not wanted_divisions or q.spec.division_id in wanted_divisions)
                and (not wanted_ids or q.id in wanted_ids)
            ]
        total = len(selected)
        page_count = math.ceil(total / page_size)
        page = selected[(page_number - 1) * page_size : page_number * page_size]
        extra = "".join(
            [f"&name={quote(name)}" if name else ""]
            + [f"&divisionId={quote(d)}" for d in division_ids]
            + [f"&id={quote(i)}" for i in ids]
        )

        def uri(n: int) -> str:
            return f"/api/v2/routing/queues?pageSize={page_size}&pageNumber={n}{extra}"

        listing: dict[str, Any] = {
            "entities": [self._queue_entity(q) for q in page],
            "pageSize": page_size,
            "pageNumber": page_number,
            "total": total,
            "pageCount": page_count,
            "firstUri": uri(1),
            "lastUri": uri(max(page_count, 1)),
            "selfUri": uri(page_number),
        }
        if page_number < page_count:
            listing["nextUri"] = uri(page_number + 1)
        if page_number > 1:
            listing["previousUri"] = uri(min(page_number - 1, max(page_count, 1)))
        return listing

    def observations(
        self,
        body: Mapping[str, Any],
        max_predicates: int = 100,
        detail_limit: int = MAX_OBSERVATIONS,
        truncation: str = "ends",
    ) -> dict[str, Any]:
        """``POST /api/v2/analytics/queues/observations/query`` as a QueueObservationQueryResponse.

        As in a real org, every queue gets a group for every media type, with zero counts where it
        has no conversations of that type. A detail list longer than ``detail_limit`` is cut to that
        many and marked ``truncated``, keeping what ``truncation`` says (see :data:`TRUNCATIONS`).
        """
        if not isinstance(body, Mapping):
            raise SimulatorValidationError("the request body must be a JSON object")
        if truncation not in TRUNCATIONS:
            raise ValueError(f"truncation must be one of {', '.join(TRUNCATIONS)}")
        metrics = _metric_list(body, "metrics", OBSERVATION_METRICS, required=True)
        details = set(_metric_list(body, "detailMetrics", OBSERVATION_METRICS, required=False))
        raw_filter = body.get("filter")
        if raw_filter is None:
            raise SimulatorValidationError(
                "filter may not be null: an observation query names its queues (queueId predicates)"
            )
        clause = _parse_filter(raw_filter, ("queueId", "mediaType"), max_predicates)
        user_metrics = [m for m in metrics if m in _USER_METRICS]
        conv_metrics = [m for m in metrics if m in _CONVERSATION_METRICS]
        results: list[dict[str, Any]] = []
        with self._lock:
            self._sync()
            for q in self._select(clause):
                values: dict[str, str | None] = {"queueId": q.id, "mediaType": None}
                if user_metrics and clause.matches(values):
                    results.append({"group": {"queueId": q.id}, "data": self._user_data(q, user_metrics)})
                if not conv_metrics:
                    continue
                for media, media_type in enumerate(MEDIA_TYPES):
                    values["mediaType"] = media_type
                    if not clause.matches(values):
                        continue
                    data = [
                        self._conversation_metric(q, media, m, m in details, detail_limit, truncation)
                        for m in conv_metrics
                    ]
                    group = {"queueId": q.id, "mediaType": MEDIA_TYPES[media]}
                    results.append({"group": group, "data": data})
        return {
            "systemToOrganizationMappings": {p: [PRESENCE_IDS[i]] for i, p in enumerate(SYSTEM_PRESENCES)},
            "results": results,
        }

    def aggregates(self, body: Mapping[str, Any], max_predicates: int = 100) -> dict[str, Any]:
        """``POST /api/v2/analytics/conversations/aggregates/query`` (queue figures only)."""
        if not isinstance(body, Mapping):
            raise SimulatorValidationError("the request body must be a JSON object")
        interval = body.get("interval")
        start, end = _parse_interval(interval)
        granularity = _parse_granularity(body.get("granularity"))
        metrics = _metric_list(body, "metrics", AGGREGATE_METRICS | _ACCEPTED_WITHOUT_DATA, required=True)
        group_by = body.get("groupBy") or []
        if not isinstance(group_by, list) or not all(isinstance(g, str) for g in group_by):
            raise SimulatorValidationError("groupBy must be a list of dimension names")
        for dim in group_by:
            if dim not in _AGGREGATE_DIMENSIONS:
                raise SimulatorValidationError(
                    f"Unsupported groupBy dimension {dim!r}; supported: {', '.join(_AGGREGATE_DIMENSIONS)}"
                )
        raw_filter = body.get("filter")
        clause = (
            _parse_filter(raw_filter, _AGGREGATE_DIMENSIONS, max_predicates)
            if raw_filter is not None
            else None
        )
        if granularity is None:
            slices = [(start, end, f"{iso_ms(start)}/{iso_ms(end)}")]
        else:
            count = math.ceil((end - start) / granularity)
            if count > 10_000:
                raise SimulatorValidationError("the interval holds more than 10000 granularity periods")
            slices = []
            for i in range(count):
                s, e = start + i * granularity, min(end, start + (i + 1) * granularity)
                slices.append((s, e, f"{iso_ms(s)}/{iso_ms(e)}"))

        groups: dict[tuple[str, ...], tuple[dict[str, str], list[list[int] | None], list[float]]] = {}
        with self._lock:
            self._sync()
            for q in self._select(clause, by_division=True):
                for media in q.media:
                    values = {
                        "queueId": q.id,
                        "mediaType": MEDIA_TYPES[media],
                        "divisionId": q.spec.division_id,
                    }
                    if clause is not None and not clause.matches(values):
                        continue
                    series = q.series[media]
                    key = tuple(values[d] for d in group_by)
                    target = q.spec.media[MEDIA_TYPES[media]].sl_percentage
                    for i, (s, e, _) in enumerate(slices):
                        totals = series.totals(math.ceil(s / 60), math.ceil(e / 60))
                        if totals is None:
                            continue
                        if key not in groups:
                            groups[key] = ({d: values[d] for d in group_by}, [None] * len(slices), [0.0, 0.0])
                        entry = groups[key]
                        into = entry[1][i]
                        if into is None:
                            entry[1][i] = totals
                        else:
                            _merge_totals(into, totals)
                        denominator = totals[_ANSWERED] + totals[_ABANDON]
                        entry[2][0] += target * denominator
                        entry[2][1] += denominator
        results: list[dict[str, Any]] = []
        for group, per_slice, (weighted_target, weight) in groups.values():
            group_target = round(weighted_target / weight, 4) if weight else None
            data = []
            for (_, _, label), totals in zip(slices, per_slice, strict=True):
                if totals is None:
                    continue
                metric_data = _aggregate_metrics(totals, metrics, group_target)
                if metric_data:
                    data.append({"interval": label, "metrics": metric_data})
            if data:
                result: dict[str, Any] = {"group": group} if group else {}
                result["data"] = data
                results.append(result)
        return {"results": results}

    def routing_activity(self, body: Mapping[str, Any], max_predicates: int = 100) -> dict[str, Any]:
        """``POST /api/v2/analytics/routing/activity/query``: a queue's members one by one.

        Grouped by queue (``groupBy`` must hold ``queueId``); with ``details`` on a metric, each
        count lists its users (``entityIds``) and the result lists each user (``entities``) with
        their routing status and when it began. Offline members are left out, as in observations.
        """
        if not isinstance(body, Mapping):
            raise SimulatorValidationError("the request body must be a JSON object")
        raw_metrics = body.get("metrics")
        if not isinstance(raw_metrics, list) or not raw_metrics:
            raise SimulatorValidationError("metrics must be a non-empty list of {metric, details}")
        metrics: list[tuple[str, bool]] = []
        for entry in raw_metrics:
            name = entry.get("metric") if isinstance(entry, Mapping) else None
            if name not in ROUTING_ACTIVITY_METRICS:
                valid = ", ".join(sorted(ROUTING_ACTIVITY_METRICS))
                raise SimulatorValidationError(f"Unknown metric {name!r}; valid metrics: {valid}")
            metrics.append((str(name), bool(entry.get("details", False))))
        group_by = body.get("groupBy")
        if not isinstance(group_by, list) or "queueId" not in group_by:
            raise SimulatorValidationError("a routing activity query must group by queueId")
        raw_filter = body.get("filter")
        clause = (
            _parse_filter(raw_filter, _ROUTING_ACTIVITY_DIMENSIONS, max_predicates)
            if raw_filter is not None
            else None
        )
        results: list[dict[str, Any]] = []
        with self._lock:
            self._sync()
            for q in self._select(clause):
                agents = [
                    a
                    for a in q.agents
                    if a.presence != OFFLINE
                    and (
                        clause is None
                        or clause.matches(
                            {"queueId": q.id, "userId": a.id, "routingStatus": ROUTING_STATUSES[a.status]}
                        )
                    )
                ]
                data: list[dict[str, Any]] = []
                detailed: dict[str, _Agent] = {}
                for metric, details in metrics:
                    for qualifier, members in self._activity_groups(metric, agents):
                        if not members:
                            continue
                        value: dict[str, Any] = {"metric": metric, "count": len(members)}
                        if qualifier is not None:
                            value["qualifier"] = qualifier
                        if details:
                            value["entityIds"] = [a.id for a in members]
                            detailed.update((a.id, a) for a in members)
                        data.append(value)
                result: dict[str, Any] = {"group": {"queueId": q.id}, "data": data}
                if detailed:
                    result["entities"] = [self._activity_entity(q, a) for a in detailed.values()]
                    result["truncated"] = False
                results.append(result)
        return {"results": results, "entityIdDimension": "userId"}

    def users(self, ids: Sequence[str], page_size: int = 25, page_number: int = 1) -> dict[str, Any]:
        """``GET /api/v2/users?id=…``: the named users (unknown ids are left out)."""
        if page_size < 1 or page_size > MAX_USERS_PAGE:
            raise SimulatorValidationError(f"pageSize must be from 1 to {MAX_USERS_PAGE}")
        with self._lock:
            by_id = {a.id: a for q in self._queues for a in q.agents}
            wanted = [by_id[i] for i in dict.fromkeys(ids) if i in by_id] if ids else list(by_id.values())
        total = len(wanted)
        page = wanted[(page_number - 1) * page_size : page_number * page_size]
        return {
            "entities": [
                {"id": a.id, "name": a.name, "state": "active", "selfUri": f"/api/v2/users/{a.id}"}
                for a in page
            ],
            "pageSize": page_size,
            "pageNumber": page_number,
            "total": total,
            "pageCount": math.ceil(total / page_size),
        }

    # ----------------------------------------------------------------- staging

    def _queue_for_staging(self, queue_id: str) -> _Queue:
        queue = self._by_id.get(queue_id)
        if queue is None or queue.deleted:
            raise KeyError(queue_id)
        return queue

    def _media_of(self, queue: _Queue, media: str) -> int:
        index = MEDIA_TYPES.index(media) if media in MEDIA_TYPES else -1
        if index not in queue.media:
            handled = ", ".join(MEDIA_TYPES[m] for m in queue.media)
            raise SimulatorValidationError(f"queue {queue.spec.name!r} handles {handled}, not {media!r}")
        return index

    def stage_waiting(self, queue_id: str, media: str, waited_s: float) -> str:
        """A conversation of ``media`` that has waited ``waited_s`` seconds and stays waiting (no
        agent takes it, nobody abandons). Returns its id. KeyError: no such queue."""
        with self._lock:
            self._sync()
            queue = self._queue_for_staging(queue_id)
            index = self._media_of(queue, media)
            conv = _Conv(queue, index, self._now - max(0.0, waited_s), self._rng.getrandbits(128))
            waiting = queue.waiting[index]
            ordered = sorted([*waiting, conv], key=lambda c: c.arrive)
            queue.waiting[index] = dict.fromkeys(ordered)
            return conv.id

    def stage_today(
        self, queue_id: str, media: str, *, answered: int = 0, answered_late: int = 0, abandoned: int = 0
    ) -> None:
        """Add to today's figures of one queue and media type: conversations offered and answered
        within the service level (``answered``), answered after it (``answered_late``), abandoned."""
        with self._lock:
            self._sync()
            queue = self._queue_for_staging(queue_id)
            index = self._media_of(queue, media)
            load = queue.spec.media[media]
            series = queue.series[index]
            # A minute already over, so that a query up to now counts it (buckets count whole).
            t = self._now - 30.0
            on_time, late = round(load.sl_seconds * 500), round(load.sl_seconds * 1000 + 1000)
            for _ in range(answered):
                _credit(series, t, _K_ARRIVE, 0, 0)
                _credit(series, t, _K_ANSWER, on_time, 0)
            for _ in range(answered_late):
                _credit(series, t, _K_ARRIVE, 0, 0)
                _credit(series, t, _K_ANSWER, late, 1)
            for _ in range(abandoned):
                _credit(series, t, _K_ARRIVE, 0, 0)
                _credit(series, t, _K_ABANDON, 30_000, 0)

    def force_status(
        self, queue_id: str, status: str, count: int, for_s: float = 300.0, since_s: float = 0.0
    ) -> list[dict[str, str]]:
        """Put ``count`` logged-in agents of a queue who are not in a conversation (idle ones first)
        in routing status ``status`` (``NOT_RESPONDING``, ``OFF_QUEUE`` …) for ``for_s`` seconds, as
        if it had begun ``since_s`` seconds ago; no conversation is routed to them meanwhile.
        Returns the agents chosen (id, name, status)."""
        if status not in ROUTING_STATUSES or status == "INTERACTING":
            valid = ", ".join(s for s in ROUTING_STATUSES if s != "INTERACTING")
            raise SimulatorValidationError(f"status must be one of {valid}, not {status!r}")
        with self._lock:
            self._sync()
            queue = self._queue_for_staging(queue_id)
            now = self._now
            free = [a for a in queue.agents if a.conv is None and a.presence != OFFLINE]
            free.sort(key=lambda a: (a.status != IDLE, a.index))
            chosen = free[: max(0, count)]
            until: dict[int, float] = {}
            for agent in chosen:
                agent.forced_status, agent.forced_until = ROUTING_STATUSES.index(status), now + for_s
                self._settle(agent, now)
                agent.status_at = now - max(0.0, since_s)
                self._push(agent.forced_until, _K_SETTLE, agent)
                until[agent.index] = agent.forced_until
            queue.free = [(max(at, until.get(i, at)), i) for at, i in queue.free]
            heapq.heapify(queue.free)
            return [{"id": a.id, "name": a.name, "status": ROUTING_STATUSES[a.status]} for a in chosen]

    # ----------------------------------------------------------------- reply builders

    def _select(self, clause: _Clause | None, by_division: bool = False) -> list[_Queue]:
        if clause is None:
            return [q for q in self._queues if not q.deleted]

        def resolve(dimension: str, value: str) -> list[str] | None:
            if dimension == "queueId":
                return [value]
            if dimension == "divisionId" and by_division:
                return self._by_division.get(value, [])
            return None

        ids = clause.candidates(resolve)
        if ids is None:
            return [q for q in self._queues if not q.deleted]
        found = (self._by_id.get(i) for i in ids)
        return [q for q in found if q is not None and not q.deleted]

    def _queue_entity(self, q: _Queue) -> dict[str, Any]:
        spec = q.spec
        settings: dict[str, Any] = {}
        for media in MEDIA_TYPES:
            config_name = CONFIG_MEDIA[media]
            load = spec.media.get(media)
            pct, secs = (load.sl_percentage, load.sl_seconds) if load else (0.8, 20.0)
            settings[config_name] = {
                "alertingTimeoutSeconds": _ALERTING_TIMEOUT_S[config_name],
                "serviceLevel": {"percentage": pct, "durationMs": round(secs * 1000)},
            }
        created = 1_640_995_200 + (uuid.UUID(q.id).int % 63_072_000)
        modified = created + (uuid.UUID(q.id).int // 7 % 31_536_000)
        return {
            "id": q.id,
            "name": spec.name,
            "division": {
                "id": spec.division_id,
                "name": spec.division,
                "selfUri": f"/api/v2/authorization/divisions/{spec.division_id}",
            },
            "dateCreated": iso_ms(created),
            "dateModified": iso_ms(modified),
            "memberCount": spec.agents,
            "userMemberCount": spec.agents,
            "joinedMemberCount": spec.agents,
            "mediaSettings": settings,
            "selfUri": f"/api/v2/routing/queues/{q.id}",
        }

    def _user_data(self, q: _Queue, metrics: Sequence[str]) -> list[dict[str, Any]]:
        statuses = q.status_counts
        presences = q.presence_counts
        members = len(q.agents)
        active = members - presences[OFFLINE]
        data: list[dict[str, Any]] = []
        for metric in metrics:
            if metric in ("oUserRoutingStatuses", "oOnQueueUsers"):
                last = OFF_QUEUE if metric == "oUserRoutingStatuses" else OFF_QUEUE - 1
                data.extend(
                    {"metric": metric, "qualifier": ROUTING_STATUSES[s], "stats": {"count": statuses[s]}}
                    for s in range(last + 1)
                    if statuses[s]
                )
            elif metric == "oUserPresences":
                data.extend(
                    {"metric": metric, "qualifier": PRESENCE_IDS[p], "stats": {"count": presences[p]}}
                    for p in range(len(SYSTEM_PRESENCES))
                    if presences[p]
                )
            else:
                count = {
                    "oOffQueueUsers": statuses[OFF_QUEUE],
                    "oActiveUsers": active,
                    "oMemberUsers": members,
                }[metric]
                data.append({"metric": metric, "stats": {"count": count}})
        return data

    @staticmethod
    def _activity_groups(metric: str, agents: Sequence[_Agent]) -> list[tuple[str | None, list[_Agent]]]:
        """One metric of the routing activity query: (qualifier, the agents it counts) pairs."""
        if metric == "oUserRoutingStatuses":
            return [(name, [a for a in agents if a.status == i]) for i, name in enumerate(ROUTING_STATUSES)]
        if metric == "oOnQueueUsers":
            return [
                (name, [a for a in agents if a.status == i])
                for i, name in enumerate(ROUTING_STATUSES)
                if i != OFF_QUEUE
            ]
        if metric == "oUserPresences":
            return [
                (PRESENCE_IDS[p], [a for a in agents if a.presence == p])
                for p in range(len(SYSTEM_PRESENCES))
            ]
        if metric == "oOffQueueUsers":
            return [(None, [a for a in agents if a.status == OFF_QUEUE])]
        return [(None, list(agents))]  # oActiveUsers, oMemberUsers (offline members are left out)

    def _activity_entity(self, q: _Queue, agent: _Agent) -> dict[str, Any]:
        return {
            "userId": agent.id,
            "queueId": q.id,
            "routingStatus": ROUTING_STATUSES[agent.status],
            "routingStatusDate": iso_ms(agent.status_at),
            "systemPresence": SYSTEM_PRESENCES[agent.presence],
            "organizationPresenceId": PRESENCE_IDS[agent.presence],
            "activityDate": iso_ms(self._now),
        }

    def _conversation_metric(
        self, q: _Queue, media: int, metric: str, detail: bool, limit: int, truncation: str
    ) -> dict[str, Any]:
        by_media = {"oWaiting": q.waiting, "oInteracting": q.interacting, "oAlerting": q.alerting}[metric]
        convs = by_media.get(media, _NO_CONVERSATIONS)
        entry: dict[str, Any] = {"metric": metric, "stats": {"count": len(convs)}}
        if detail:
            truncated = len(convs) > limit
            if not truncated:
                chosen = list(convs)
            elif truncation == "newest":
                chosen = list(islice(reversed(convs), limit))[::-1]
            else:
                newest = limit // 2
                chosen = list(islice(convs, limit - newest)) + list(islice(reversed(convs), newest))[::-1]
            entry["truncated"] = truncated
            entry["observations"] = [self._observation(c, metric) for c in chosen]
        return entry

    def _observation(self, c: _Conv, metric: str) -> dict[str, Any]:
        when = {"oWaiting": c.arrive, "oAlerting": c.alert_at, "oInteracting": c.answer_at}[metric]
        obs: dict[str, Any] = {
            "observationDate": iso_ms(when),
            "conversationId": c.id,
            "sessionId": str(uuid.UUID(int=c.key ^ 0x5EED_0F_5E55_10A5, version=4)),
            "routingPriority": 0,
            "direction": "inbound",
            "requestedRoutings": ["Standard"],
        }
        if metric != "oWaiting" and c.agent is not None:
            obs["userId"] = c.agent.id
            obs["participantName"] = c.agent.name
        media = MEDIA_TYPES[c.media]
        if media in ("voice", "callback"):
            obs["ani"] = f"tel:+1{2_000_000_000 + c.key % 7_999_999_999}"
            obs["dnis"] = c.queue.dnis
        else:
            obs["addressFrom"] = (
                f"customer{c.key % 1_000_000:06d}@example.com"
                if media == "email"
                else f"Customer {c.key % 100_000:05d}"
            )
            obs["addressTo"] = c.queue.spec.name
        return obs

    # ----------------------------------------------------------------- set-up

    def _staff(self) -> None:
        rng = self._rng
        for q in self._queues:
            for i in range(q.spec.agents):
                name = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"
                agent = _Agent(q, i, self._make_schedule(rng), name)
                q.agents.append(agent)
                q.free.append((0.0, i))
            q.presence_counts[OFFLINE] = len(q.agents)

    def _make_schedule(self, rng: random.Random) -> _Schedule:
        """A shift with log-in/out edges, two breaks, lunch and sometimes a meeting (5-minute grid)."""
        pick = rng.random()
        if pick < 0.6:
            start = rng.randint(84, 114)  # 07:00-09:30, in 5-minute steps
        elif pick < 0.85:
            start = rng.randint(120, 144)  # 10:00-12:00
        else:
            start = rng.randint(150, 162)  # 12:30-13:30
        login = rng.randint(1, 3)
        break1 = start + 24 + rng.randint(-2, 2)
        lunch = start + 48 + rng.randint(-3, 3)
        meeting = start + 66 + rng.randint(-2, 2) if rng.random() < 0.15 else 0
        break2 = start + 78 + rng.randint(-2, 2)
        end = start + 102
        logout = rng.randint(1, 2)
        key = (start, login, break1, lunch, meeting, break2, end, logout)
        cached = self._schedules.get(key)
        if cached is not None:
            return cached
        segments = [
            (0, OFFLINE),
            (start - login, AVAILABLE),
            (start, ON_QUEUE),
            (break1, BREAK),
            (break1 + 3, ON_QUEUE),
            (lunch, MEAL),
            (lunch + 6, ON_QUEUE),
        ]
        if meeting:
            segments += [(meeting, BUSY), (meeting + 6, ON_QUEUE)]
        segments += [(break2, BREAK), (break2 + 3, ON_QUEUE), (end, AVAILABLE), (end + logout, OFFLINE)]
        starts = tuple(s * 300.0 for s, _ in segments)
        presences = tuple(p for _, p in segments)
        on_queue = tuple(
            (starts[i], starts[i + 1]) for i in range(len(starts) - 1) if presences[i] == ON_QUEUE
        )
        schedule = _Schedule(starts=starts, presences=presences, on_queue=on_queue)
        self._schedules[key] = schedule
        return schedule

    def _warm_start(self) -> None:
        day_start, _ = self._days.bounds(self._start_sim)
        cutoff = max(day_start, self._start_sim - WARM_WINDOW_S)
        for q in self._queues:
            records: list[tuple[float, int, int, int, int]] = []
            arrivals: list[tuple[float, int, _Stream]] = []
            for n, stream in enumerate(q.streams):
                t = self._next_arrival(stream, day_start)
                while t < cutoff:
                    arrivals.append((t, n, stream))
                    t = self._next_arrival(stream, t)
                if t < math.inf:
                    self._push(t, _K_ARRIVE, stream)
            arrivals.sort(key=lambda a: (a[0], a[1]))
            for t, _, stream in arrivals:
                self._arrive(stream, t, cutoff, records)
            records.sort(key=lambda r: r[0])
            for t, media, kind, value, extra in records:
                _credit(q.series[media], t, kind, value, extra)
        self._push(cutoff, _K_CUTOFF, None)
        self._now = day_start
        self._advance(self._start_sim)

    # ----------------------------------------------------------------- event machinery

    def _push(self, t: float, kind: int, obj: object) -> None:
        heapq.heappush(self._heap, (t, next(self._seq), kind, obj))

    def _sync(self) -> None:
        target = self.sim_time()
        if target > self._now:
            self._advance(target)

    def _advance(self, target: float) -> None:
        heap = self._heap
        handlers = self._handlers
        while heap and heap[0][0] <= target:
            t, _, kind, obj = heapq.heappop(heap)
            self._now = t
            handlers[kind](t, obj)
        self._now = max(self._now, target)

    def _profile(self, t: float) -> float:
        start, _ = self._days.bounds(t)
        hours = (t - start) / 3600.0
        i = min(int(hours), 23)
        frac = hours - i
        return _DAY_PROFILE[i] + (_DAY_PROFILE[i + 1] - _DAY_PROFILE[i]) * frac

    def _next_arrival(self, stream: _Stream, t: float) -> float:
        """Next arrival after ``t`` (thinning of a Poisson process at the peak rate)."""
        if stream.rate <= 0:
            return math.inf
        rng = self._rng
        rate = stream.rate
        while True:
            t += rng.expovariate(rate)
            if rng.random() < self._profile(t):
                return t

    def _avail(self, agent: _Agent, t: float) -> float:
        """Earliest time >= t at which the agent's schedule has them on queue."""
        start, end = self._days.bounds(t)
        tod = t - start
        segments = agent.schedule.on_queue
        for s, e in segments:
            if tod < e:
                return start + (s if s > tod else tod)
        return end + segments[0][0] if segments else math.inf

    def _arrive(
        self, stream: _Stream, a: float, cutoff: float, records: list[tuple[float, int, int, int, int]] | None
    ) -> None:
        """Route one arrival: decide now when it is answered (and by whom) or abandoned."""
        rng = self._rng
        q = stream.queue
        load = stream.load
        media = stream.media
        patience = rng.expovariate(1.0 / load.patience_s)
        free = q.free
        start = math.inf
        agent_index = -1
        while free:
            key, index = free[0]
            t0 = key if key > a else a
            s = self._avail(q.agents[index], t0)
            if s > t0:
                heapq.heapreplace(free, (s, index))
                continue
            start, agent_index = s, index
            break
        if records is not None:
            records.append((a, media, _K_ARRIVE, 0, 0))
        else:
            _credit(q.series[media], a, _K_ARRIVE, 0, 0)
        if start - a > patience:
            abandon_at = a + patience
            wait_ms = round(patience * 1000)
            if records is not None and abandon_at < cutoff:
                records.append((abandon_at, media, _K_ABANDON, wait_ms, 0))
                return
            conv = _Conv(q, media, a, rng.getrandbits(128))
            conv.abandon_at = abandon_at
            q.waiting[media][conv] = None
            self._push(abandon_at, _K_ABANDON, conv)
            return
        low, high = _ALERT_S[MEDIA_TYPES[media]]
        alert = rng.uniform(low, high)
        sigma = 0.5
        handle = rng.lognormvariate(math.log(load.aht_s) - sigma * sigma / 2, sigma)
        handle = min(max(handle, 5.0), 86_400.0)
        acw = handle * rng.uniform(0.08, 0.25)
        pick = rng.random()
        if pick < _P_NOT_RESPONDING:
            post_status, post_s = NOT_RESPONDING, rng.uniform(15.0, 90.0)
        elif pick < _P_NOT_RESPONDING + _P_COMMUNICATING:
            post_status, post_s = COMMUNICATING, rng.uniform(60.0, 420.0)
        else:
            post_status, post_s = IDLE, 0.0
        answer_at = start + alert
        end_at = answer_at + handle
        heapq.heapreplace(free, (end_at + post_s, agent_index))
        wait_ms = round((answer_at - a) * 1000)
        over_sla = 1 if answer_at - a > load.sl_seconds else 0
        handle_ms = round(handle * 1000)
        acw_ms = round(acw * 1000)
        if records is not None and end_at + post_s < cutoff:
            records.append((answer_at, media, _K_ANSWER, wait_ms, over_sla))
            records.append((end_at, media, _K_END, handle_ms, acw_ms))
            return
        conv = _Conv(q, media, a, rng.getrandbits(128))
        conv.agent = q.agents[agent_index]
        conv.alert_at, conv.answer_at, conv.end_at = start, answer_at, end_at
        conv.handle_ms, conv.acw_ms = handle_ms, acw_ms
        conv.post_status, conv.post_s = post_status, post_s
        q.waiting[media][conv] = None
        self._push(start, _K_ALERT, conv)
        self._push(answer_at, _K_ANSWER, conv)
        self._push(end_at, _K_END, conv)

    def _settle(self, agent: _Agent, t: float) -> None:
        """Bring the agent's routing status and presence in line with time ``t``."""
        if agent.conv is not None:
            status, presence = INTERACTING, ON_QUEUE
        elif t < agent.forced_until:
            status = agent.forced_status
            presence = BREAK if status == OFF_QUEUE else ON_QUEUE
        else:
            schedule = agent.schedule
            start, _ = self._days.bounds(t)
            presence = schedule.presences[bisect_right(schedule.starts, t - start) - 1]
            if presence == ON_QUEUE:
                status = agent.post_status if t < agent.post_until else IDLE
            else:
                status = OFF_QUEUE
        if status == agent.status and presence == agent.presence:
            return
        q = agent.queue
        if agent.presence != OFFLINE:
            q.status_counts[agent.status] -= 1
        if presence != OFFLINE:
            q.status_counts[status] += 1
        q.presence_counts[agent.presence] -= 1
        q.presence_counts[presence] += 1
        if status != agent.status:
            agent.status_at = t
        agent.status, agent.presence = status, presence

    def _next_boundary(self, agent: _Agent, t: float) -> float:
        start, end = self._days.bounds(t)
        starts = agent.schedule.starts
        i = bisect_right(starts, t - start)
        if i < len(starts):
            return start + starts[i]
        return end + (starts[1] if len(starts) > 1 else 0.0)

    # ----------------------------------------------------------------- event handlers

    def _on_arrive(self, t: float, stream: _Stream) -> None:
        if stream.queue.deleted:
            return
        self._arrive(stream, t, t, None)
        self._push(self._next_arrival(stream, t), _K_ARRIVE, stream)

    def _on_alert(self, t: float, conv: _Conv) -> None:
        q = conv.queue
        q.waiting[conv.media].pop(conv, None)
        q.alerting[conv.media][conv] = None
        agent = conv.agent
        assert agent is not None
        agent.conv = conv
        self._settle(agent, t)

    def _on_answer(self, t: float, conv: _Conv) -> None:
        q = conv.queue
        q.alerting[conv.media].pop(conv, None)
        q.interacting[conv.media][conv] = None
        load = q.spec.media[MEDIA_TYPES[conv.media]]
        wait = t - conv.arrive
        _credit(q.series[conv.media], t, _K_ANSWER, round(wait * 1000), 1 if wait > load.sl_seconds else 0)

    def _on_end(self, t: float, conv: _Conv) -> None:
        q = conv.queue
        q.interacting[conv.media].pop(conv, None)
        _credit(q.series[conv.media], t, _K_END, conv.handle_ms, conv.acw_ms)
        agent = conv.agent
        if agent is not None and agent.conv is conv:
            agent.conv = None
            agent.post_status, agent.post_until = conv.post_status, t + conv.post_s
            self._settle(agent, t)
            if conv.post_s > 0:
                self._push(agent.post_until, _K_SETTLE, agent)

    def _on_abandon(self, t: float, conv: _Conv) -> None:
        q = conv.queue
        q.waiting[conv.media].pop(conv, None)
        _credit(q.series[conv.media], t, _K_ABANDON, round((t - conv.arrive) * 1000), 0)

    def _on_settle(self, t: float, agent: _Agent) -> None:
        self._settle(agent, t)

    def _on_boundary(self, t: float, agent: _Agent) -> None:
        self._settle(agent, t)
        self._push(self._next_boundary(agent, t), _K_BOUNDARY, agent)

    def _on_cutoff(self, t: float, _: object) -> None:
        for q in self._queues:
            for agent in q.agents:
                self._on_boundary(t, agent)
                # The replay before the cut-off did not move agents: date their status from the
                # start of the schedule segment they are in.
                start, _ = self._days.bounds(t)
                starts = agent.schedule.starts
                segment = start + starts[max(0, bisect_right(starts, t - start) - 1)]
                if agent.conv is None:
                    agent.status_at = min(t, segment)


def _name_matcher(pattern: str | None) -> Callable[[str], bool]:
    """The ``name`` filter of the queue listing: case-insensitive, leading/trailing ``*`` wildcards."""
    if not pattern:
        return lambda _name: True
    lead, trail = pattern.startswith("*"), pattern.endswith("*") and len(pattern) > 1
    core = pattern.strip("*").casefold()
    if lead and trail:
        return lambda name: core in name.casefold()
    if lead:
        return lambda name: name.casefold().endswith(core)
    if trail:
        return lambda name: name.casefold().startswith(core)
    return lambda name: name.casefold() == core


def _aggregate_metrics(
    row: Sequence[int], metrics: Sequence[str], target: float | None
) -> list[dict[str, Any]]:
    answered, abandoned = row[_ANSWERED], row[_ABANDON]
    out: list[dict[str, Any]] = []
    for metric in metrics:
        stats: dict[str, Any] | None = None
        if metric == "nOffered" and row[_OFFERED]:
            stats = {"count": row[_OFFERED]}
        elif metric == "nOverSla" and row[_OVER_SLA]:
            stats = {"count": row[_OVER_SLA]}
        elif metric in _TIMER_BASES and row[_TIMER_BASES[metric]]:
            stats = _timer_stats(row, _TIMER_BASES[metric])
        elif metric in ("tWait", "tAcd") and answered + abandoned:
            mins = [row[b + 2] for b in (_ANSWERED, _ABANDON) if row[b]]
            maxes = [row[b + 3] for b in (_ANSWERED, _ABANDON) if row[b]]
            stats = {
                "max": max(maxes),
                "min": min(mins),
                "count": answered + abandoned,
                "sum": row[_ANSWERED + 1] + row[_ABANDON + 1],
            }
        elif metric == "oServiceLevel" and answered + abandoned:
            numerator = answered - row[_OVER_SLA]
            denominator = answered + abandoned
            stats = {
                "ratio": round(numerator / denominator, 4),
                "numerator": numerator,
                "denominator": denominator,
            }
            if target is not None:
                stats["target"] = target
        if stats is not None:
            out.append({"metric": metric, "stats": stats})
    return out


_TIMER_BASES = {
    "tAnswered": _ANSWERED,
    "tAbandon": _ABANDON,
    "tHandle": _HANDLE,
    "tTalk": _TALK,
    "tAcw": _ACW,
    "tShortAbandon": _SHORT_ABANDON,
}
