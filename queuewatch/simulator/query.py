"""The query language the simulator understands: analytics filters, metric lists, intervals.

Each query body is checked as the real API checks it and read into a small parsed query
(:func:`observation_query`, :func:`aggregate_query`, :func:`routing_activity_query`); a request the
real API would refuse raises :class:`SimulatorValidationError` (the server answers it with a 400).
Filters are and/or trees of dimension predicates, at most two levels deep and at most
``max_predicates`` predicates (100 in a real org); :meth:`Clause.candidates` tells which queues a
filter can match without looking at every queue.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

#: Metrics of the queue observation query.
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
#: Observation metrics about the queue's members (grouped by queue alone)...
USER_METRICS = frozenset(
    {
        "oActiveUsers",
        "oMemberUsers",
        "oOffQueueUsers",
        "oOnQueueUsers",
        "oUserPresences",
        "oUserRoutingStatuses",
    }
)
#: ...and about its conversations (grouped by queue and media type).
CONVERSATION_METRICS = frozenset({"oWaiting", "oInteracting", "oAlerting"})
OBSERVATION_DIMENSIONS = ("queueId", "mediaType")

#: Metrics of the routing activity query (``/api/v2/analytics/routing/activity/query``).
ROUTING_ACTIVITY_METRICS = USER_METRICS
ROUTING_ACTIVITY_DIMENSIONS = ("queueId", "userId", "routingStatus")

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
ACCEPTED_WITHOUT_DATA = frozenset(
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
AGGREGATE_DIMENSIONS = ("queueId", "mediaType", "divisionId")
#: Granularity periods one aggregates query may hold.
MAX_PERIODS = 10_000


class SimulatorValidationError(Exception):
    """A request the real API would answer with 400 (the server turns it into one)."""

    def __init__(self, message: str, code: str = "bad.request") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# --- parsed queries ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObservationQuery:
    """A queue observation query: which metrics, which of them with details, which queues."""

    user_metrics: tuple[str, ...]
    conversation_metrics: tuple[str, ...]
    details: frozenset[str]
    clause: Clause


def observation_query(body: object, max_predicates: int) -> ObservationQuery:
    if not isinstance(body, Mapping):
        raise SimulatorValidationError("the request body must be a JSON object")
    metrics = metric_list(body, "metrics", OBSERVATION_METRICS, required=True)
    details = frozenset(metric_list(body, "detailMetrics", OBSERVATION_METRICS, required=False))
    raw_filter = body.get("filter")
    if raw_filter is None:
        raise SimulatorValidationError(
            "filter may not be null: an observation query names its queues (queueId predicates)"
        )
    clause = parse_filter(raw_filter, OBSERVATION_DIMENSIONS, max_predicates)
    return ObservationQuery(
        user_metrics=tuple(m for m in metrics if m in USER_METRICS),
        conversation_metrics=tuple(m for m in metrics if m in CONVERSATION_METRICS),
        details=details,
        clause=clause,
    )


@dataclass(frozen=True)
class AggregateQuery:
    """A conversation aggregates query: the periods (Unix seconds, the whole interval when there is
    no granularity), the metrics, the dimensions to group by, and the filter (None: everything)."""

    periods: tuple[tuple[float, float], ...]
    metrics: tuple[str, ...]
    group_by: tuple[str, ...]
    clause: Clause | None


def aggregate_query(body: object, max_predicates: int) -> AggregateQuery:
    if not isinstance(body, Mapping):
        raise SimulatorValidationError("the request body must be a JSON object")
    start, end = parse_interval(body.get("interval"))
    granularity = parse_granularity(body.get("granularity"))
    metrics = metric_list(body, "metrics", AGGREGATE_METRICS | ACCEPTED_WITHOUT_DATA, required=True)
    group_by = body.get("groupBy") or []
    if not isinstance(group_by, list) or not all(isinstance(g, str) for g in group_by):
        raise SimulatorValidationError("groupBy must be a list of dimension names")
    for dim in group_by:
        if dim not in AGGREGATE_DIMENSIONS:
            raise SimulatorValidationError(
                f"Unsupported groupBy dimension {dim!r}; supported: {', '.join(AGGREGATE_DIMENSIONS)}"
            )
    raw_filter = body.get("filter")
    clause = (
        parse_filter(raw_filter, AGGREGATE_DIMENSIONS, max_predicates) if raw_filter is not None else None
    )
    if granularity is None:
        periods = [(start, end)]
    else:
        count = math.ceil((end - start) / granularity)
        if count > MAX_PERIODS:
            raise SimulatorValidationError(f"the interval holds more than {MAX_PERIODS} granularity periods")
        periods = [(start + i * granularity, min(end, start + (i + 1) * granularity)) for i in range(count)]
    return AggregateQuery(tuple(periods), tuple(metrics), tuple(group_by), clause)


@dataclass(frozen=True)
class RoutingActivityQuery:
    """A routing activity query: (metric, with details) pairs and the filter (None: everything)."""

    metrics: tuple[tuple[str, bool], ...]
    clause: Clause | None


def routing_activity_query(body: object, max_predicates: int) -> RoutingActivityQuery:
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
        parse_filter(raw_filter, ROUTING_ACTIVITY_DIMENSIONS, max_predicates)
        if raw_filter is not None
        else None
    )
    return RoutingActivityQuery(tuple(metrics), clause)


def name_matcher(pattern: str | None) -> Callable[[str], bool]:
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


# --- filters, metrics, intervals -------------------------------------------------------------------


@dataclass(frozen=True)
class Predicate:
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


class Clause:
    """An and/or node of a query filter: predicates plus nested clauses."""

    def __init__(self, kind: str, predicates: tuple[Predicate, ...], clauses: tuple[Clause, ...]) -> None:
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


def parse_filter(raw: object, dimensions: Sequence[str], max_predicates: int, depth: int = 0) -> Clause:
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
    predicates = tuple(parse_predicate(p, dimensions) for p in raw_predicates)
    clauses = tuple(parse_filter(c, dimensions, max_predicates, depth + 1) for c in raw_clauses)
    clause = Clause(kind=kind, predicates=predicates, clauses=clauses)
    if depth == 0:
        total = clause.count()
        if total > max_predicates:
            raise SimulatorValidationError(
                f"The filter has {total} predicates; the maximum is {max_predicates}"
            )
    return clause


def parse_predicate(raw: object, dimensions: Sequence[str]) -> Predicate:
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
    return Predicate(
        dimension=str(dimension), operator=str(operator), value=value if isinstance(value, str) else None
    )


def metric_list(body: Mapping[str, Any], key: str, valid: Iterable[str], *, required: bool) -> list[str]:
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


def parse_interval(raw: object) -> tuple[float, float]:
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


def parse_granularity(raw: object) -> int | None:
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
