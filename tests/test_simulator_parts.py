"""The simulator's parts on their own: the query language, the per-minute buckets, staffing."""

from __future__ import annotations

import random
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from queuewatch.simulator.buckets import (
    ABANDONED,
    ANSWERED,
    OFFERED,
    OVER_SLA,
    SHORT_ABANDON,
    STEP_ABANDON,
    STEP_ANSWER,
    STEP_ARRIVE,
    Series,
    credit,
    merge_totals,
)
from queuewatch.simulator.query import (
    SimulatorValidationError,
    aggregate_query,
    name_matcher,
    observation_query,
    parse_filter,
    routing_activity_query,
)
from queuewatch.simulator.replies import aggregate_metrics, iso_ms
from queuewatch.simulator.staffing import OFFLINE, ON_QUEUE, LocalDays, Schedule, make_schedule

# 2026-11-29 00:00 in Chicago (UTC-6).
MIDNIGHT = 1_795_932_000.0


def queue_ids(*ids: str) -> dict[str, Any]:
    return {"type": "or", "predicates": [{"dimension": "queueId", "value": i} for i in ids]}


# --- the query language -------------------------------------------------------------------------------


def test_a_filter_names_the_queues_it_can_match() -> None:
    clause = parse_filter(queue_ids("a", "b"), ("queueId", "mediaType"), 100)
    assert list(clause.candidates(lambda dimension, value: [value]) or {}) == ["a", "b"]
    assert clause.matches({"queueId": "a", "mediaType": "voice"})
    assert not clause.matches({"queueId": "c", "mediaType": "voice"})


def test_a_filter_over_the_predicate_limit_is_refused() -> None:
    with pytest.raises(SimulatorValidationError, match="101 predicates; the maximum is 100"):
        parse_filter(queue_ids(*(str(n) for n in range(101))), ("queueId",), 100)


def test_an_observation_query_needs_a_filter_and_known_metrics() -> None:
    with pytest.raises(SimulatorValidationError, match="filter may not be null"):
        observation_query({"metrics": ["oWaiting"]}, 100)
    with pytest.raises(SimulatorValidationError, match="Unknown metric 'oNothing'"):
        observation_query({"metrics": ["oNothing"], "filter": queue_ids("a")}, 100)
    query = observation_query(
        {"metrics": ["oWaiting", "oOnQueueUsers"], "detailMetrics": ["oWaiting"], "filter": queue_ids("a")},
        100,
    )
    assert query.user_metrics == ("oOnQueueUsers",) and query.conversation_metrics == ("oWaiting",)
    assert query.details == {"oWaiting"}


def test_an_aggregates_query_is_cut_into_periods_of_its_granularity() -> None:
    body = {
        "interval": "2026-11-29T00:00:00Z/2026-11-29T01:10:00Z",
        "granularity": "PT30M",
        "metrics": ["nOffered"],
    }
    query = aggregate_query(body, 100)
    assert [round(end - start) for start, end in query.periods] == [1800, 1800, 600]
    assert query.clause is None and query.group_by == ()


def test_a_routing_activity_query_must_group_by_queue() -> None:
    with pytest.raises(SimulatorValidationError, match="group by queueId"):
        routing_activity_query({"metrics": [{"metric": "oUserRoutingStatuses"}]}, 100)


def test_the_listing_name_filter_takes_stars_at_either_end() -> None:
    assert name_matcher("sales*")("Sales EMEA") and not name_matcher("sales*")("EMEA Sales")
    assert name_matcher("*sales")("EMEA Sales") and name_matcher("*les e*")("Sales EMEA")
    assert name_matcher("sales")("SALES") and not name_matcher("sales")("Sales EMEA")
    assert name_matcher(None)("anything")


# --- the per-minute buckets -----------------------------------------------------------------------------


def test_buckets_add_up_whole_minutes_and_give_the_wire_metrics() -> None:
    series = Series()
    start = MIDNIGHT
    credit(series, start + 10, STEP_ARRIVE, 0, 0)
    credit(series, start + 20, STEP_ANSWER, 4_000, 0)
    credit(series, start + 70, STEP_ARRIVE, 0, 0)
    credit(series, start + 75, STEP_ABANDON, 3_000, 0)
    credit(series, start + 130, STEP_ARRIVE, 0, 0)
    credit(series, start + 135, STEP_ANSWER, 40_000, 1)
    minute = int(start // 60)
    first_two = series.totals(minute, minute + 2)
    assert first_two is not None
    assert (first_two[OFFERED], first_two[ANSWERED], first_two[ABANDONED], first_two[SHORT_ABANDON]) == (
        2,
        1,
        1,
        1,
    )
    assert series.totals(minute + 5, minute + 9) is None
    last = series.totals(minute + 2, minute + 3)
    assert last is not None and last[OVER_SLA] == 1
    merge_totals(first_two, last)
    metrics = {
        m["metric"]: m["stats"] for m in aggregate_metrics(first_two, ["tAnswered", "oServiceLevel"], 0.8)
    }
    assert metrics["tAnswered"] == {"max": 40_000, "min": 4_000, "count": 2, "sum": 44_000}
    assert metrics["oServiceLevel"] == {"ratio": 0.3333, "numerator": 1, "denominator": 3, "target": 0.8}


def test_times_on_the_wire_are_utc_to_the_millisecond() -> None:
    assert iso_ms(MIDNIGHT + 0.1234) == "2026-11-29T06:00:00.123Z"


# --- staffing -------------------------------------------------------------------------------------------


def test_a_shift_starts_offline_and_alike_shifts_are_one_object() -> None:
    cache: dict[tuple[int, ...], Schedule] = {}
    rng = random.Random(1)
    schedules = [make_schedule(rng, cache) for _ in range(500)]
    assert len(cache) < 500 and len({id(s) for s in schedules}) == len(cache)
    days = LocalDays(ZoneInfo("America/Chicago"))
    shift = schedules[0]
    assert shift.presence_at(days, MIDNIGHT + 60) == OFFLINE
    on = shift.on_queue_from(days, MIDNIGHT)
    assert on == MIDNIGHT + shift.on_queue[0][0]
    assert shift.presence_at(days, on) == ON_QUEUE
    assert shift.segment_start(days, on + 1) == on
    assert shift.next_boundary(days, on) > on
