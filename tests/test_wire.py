"""What queuewatch asks Genesys Cloud and how it reads the answers, on canned replies: no SDK, no
network (``test_layering`` checks that ``queuewatch.wire`` loads no SDK)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from queuewatch.model import AgentActivity, ServiceLevelTarget
from queuewatch.untrusted import NO_NAME
from queuewatch.wire import (
    AGGREGATE_METRICS,
    OBSERVATION_METRICS,
    PERMISSIONS,
    QUEUES_PATH,
    aggregates_body,
    distinct_names,
    observations_body,
    parse_aggregates,
    parse_observations,
    parse_routing_activity,
    queue_info,
    routing_activity_body,
    today_interval,
)

NOW = datetime(2026, 11, 29, 10, 15, 0, tzinfo=UTC)
Q1, Q2 = "11111111-aaaa-4aaa-8aaa-111111111111", "22222222-bbbb-4bbb-8bbb-222222222222"


def ago(seconds: float) -> str:
    return (NOW - timedelta(seconds=seconds)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def count(metric: str, n: int, qualifier: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"metric": metric, "stats": {"count": n}}
    if qualifier is not None:
        entry["qualifier"] = qualifier
    return entry


# --- request bodies ---------------------------------------------------------------------------------


def test_observation_query_names_each_queue_and_asks_for_the_waiting_list() -> None:
    body = observations_body([Q1, Q2])
    assert body["filter"] == {
        "type": "or",
        "predicates": [{"dimension": "queueId", "value": Q1}, {"dimension": "queueId", "value": Q2}],
    }
    assert body["metrics"] == list(OBSERVATION_METRICS)
    assert body["detailMetrics"] == ["oWaiting"]


def test_aggregates_query_groups_by_queue_and_media_in_the_zone_given() -> None:
    body = aggregates_body([Q1], "2026-11-29T00:00:00.000+00:00/2026-11-29T10:15:00.000+00:00", "UTC")
    assert body["groupBy"] == ["queueId", "mediaType"]
    assert body["timeZone"] == "UTC"
    assert body["metrics"] == list(AGGREGATE_METRICS)
    assert body["filter"]["predicates"] == [{"dimension": "queueId", "value": Q1}]


def test_routing_activity_query_asks_for_each_agent() -> None:
    body = routing_activity_body([Q1])
    assert body["metrics"] == [{"metric": "oUserRoutingStatuses", "details": True}]
    assert body["groupBy"] == ["queueId"]


def test_today_runs_from_local_midnight_with_its_offset() -> None:
    chicago = ZoneInfo("America/Chicago")
    interval = today_interval(NOW, chicago)
    assert interval == "2026-11-29T00:00:00.000-06:00/2026-11-29T04:15:00.000-06:00"


def test_today_at_midnight_is_still_a_second_long() -> None:
    midnight = datetime(2026, 11, 29, tzinfo=UTC)
    assert today_interval(midnight, UTC) == "2026-11-29T00:00:00.000+00:00/2026-11-29T00:00:01.000+00:00"


def test_every_endpoint_queried_names_its_permission() -> None:
    assert PERMISSIONS[QUEUES_PATH] == "routing:queue:view"
    assert all(path.startswith("/api/v2/") and ":" in need for path, need in PERMISSIONS.items())


# --- the queue listing ------------------------------------------------------------------------------

ENTITY: dict[str, Any] = {
    "id": Q1,
    "name": "[VIP] Sales\x1b[31m",
    "division": {"id": "div-1", "name": "Sales", "selfUri": "/api/v2/authorization/divisions/div-1"},
    "memberCount": 7,
    "mediaSettings": {
        "call": {"alertingTimeoutSeconds": 8, "serviceLevel": {"percentage": 0.8, "durationMs": 20000}},
        "email": {"serviceLevel": {"percentage": 0.9, "durationMs": 14_400_000}},
        "chat": {"alertingTimeoutSeconds": 30},
    },
}


def test_a_listed_queue_reads_its_targets_by_analytics_media_name() -> None:
    info = queue_info(ENTITY)
    assert info.id == Q1 and info.member_count == 7
    assert info.division == "Sales" and info.division_id == "div-1"
    assert info.sl_targets == {
        "voice": ServiceLevelTarget(0.8, 20.0),
        "email": ServiceLevelTarget(0.9, 14_400.0),
    }


def test_a_listed_queue_name_is_cleaned_on_the_way_in() -> None:
    assert queue_info(ENTITY).name == "[VIP] Sales␛[31m"
    assert queue_info({"id": Q2}).name == NO_NAME
    bare = queue_info({"id": Q2, "name": "Support"})
    assert bare.division is None and bare.member_count is None and bare.sl_targets == {}


def test_a_listed_queue_without_an_id_is_a_reply_not_read() -> None:
    with pytest.raises(KeyError):
        queue_info({"name": "Support"})


def test_names_that_look_alike_are_told_apart_by_their_ids() -> None:
    queues = [queue_info({"id": Q1, "name": "Sales"}), queue_info({"id": Q2, "name": "Sаles"})]
    assert [q.name for q in distinct_names(queues)] == ["Sales ⌗1111", "Sаles ⌗2222"]


# --- observations -----------------------------------------------------------------------------------


def observation_reply(*, truncated: bool = False) -> dict[str, Any]:
    """A real org's shape: a user group per queue, a group per media type with zeros included."""
    return {
        "results": [
            {
                "group": {"queueId": Q1},
                "data": [
                    count("oUserRoutingStatuses", 2, "IDLE"),
                    count("oUserRoutingStatuses", 3, "INTERACTING"),
                    count("oUserRoutingStatuses", 1, "NOT_RESPONDING"),
                    count("oOnQueueUsers", 6),
                    count("oOffQueueUsers", 4),
                    count("oMemberUsers", 12),
                ],
            },
            {
                "group": {"queueId": Q1, "mediaType": "voice"},
                "data": [
                    {
                        "metric": "oWaiting",
                        "stats": {"count": 2},
                        "truncated": truncated,
                        "observations": [
                            {"observationDate": ago(30), "conversationId": "c-2"},
                            {"observationDate": ago(95), "conversationId": "c-1"},
                        ],
                    },
                    count("oInteracting", 3),
                ],
            },
            {
                "group": {"queueId": Q1, "mediaType": "email"},
                "data": [
                    {
                        "metric": "oWaiting",
                        "stats": {"count": 1},
                        "observations": [{"observationDate": ago(4000), "conversationId": "c-3"}],
                    },
                    count("oInteracting", 0),
                ],
            },
            {"group": {"queueId": Q1, "mediaType": "chat"}, "data": [count("oWaiting", 0)]},
        ]
    }


def test_observations_read_each_media_type_and_the_queue_as_a_whole() -> None:
    live = parse_observations(observation_reply(), NOW)[Q1]
    assert live.by_media["voice"].waiting == 2
    assert live.by_media["voice"].longest_wait_s == pytest.approx(95.0)
    assert live.by_media["email"].longest_wait_s == pytest.approx(4000.0)
    assert live.by_media["chat"].waiting == 0 and live.by_media["chat"].longest_wait_s == 0.0
    assert live.live.waiting == 3 and live.live.interacting == 3
    assert live.live.longest_wait_s == pytest.approx(4000.0) and live.live.longest_wait_exact
    assert [conversation for conversation, _, _ in live.waiting_detail] == ["c-3", "c-1", "c-2"]


def test_observations_read_agents_by_routing_status() -> None:
    live = parse_observations(observation_reply(), NOW)[Q1]
    assert live.agents.idle == 2 and live.agents.interacting == 3 and live.agents.not_responding == 1
    assert live.agents.communicating == 0
    assert live.agents.off_queue == 4 and live.agents.on_queue == 6
    assert live.members == 12


def test_a_truncated_waiting_list_makes_the_longest_wait_a_lower_bound() -> None:
    live = parse_observations(observation_reply(truncated=True), NOW)[Q1]
    assert not live.by_media["voice"].longest_wait_exact
    assert live.by_media["email"].longest_wait_exact
    assert not live.live.longest_wait_exact


def test_observations_without_a_user_group_leave_agents_unknown() -> None:
    reply = {"results": [{"group": {"queueId": Q2, "mediaType": "voice"}, "data": [count("oWaiting", 0)]}]}
    live = parse_observations(reply, NOW)[Q2]
    assert live.agents.idle is None and live.members is None
    assert live.live.waiting == 0 and live.live.longest_wait_s == 0.0


def test_waiting_without_a_listed_conversation_is_unknown_not_zero() -> None:
    reply = {"results": [{"group": {"queueId": Q2, "mediaType": "voice"}, "data": [count("oWaiting", 4)]}]}
    assert parse_observations(reply, NOW)[Q2].live.longest_wait_s is None


def test_an_empty_reply_has_no_queues_and_a_group_without_a_queue_is_skipped() -> None:
    assert parse_observations({}, NOW) == {}
    assert parse_observations({"results": [{"group": {"mediaType": "voice"}, "data": []}]}, NOW) == {}


def test_a_reply_of_the_wrong_shape_raises_what_the_adapter_translates() -> None:
    with pytest.raises((ValueError, LookupError, TypeError, AttributeError)):
        user_group = {"group": {"queueId": Q1}, "data": [{"metric": "oOnQueueUsers", "stats": 3}]}
        parse_observations({"results": [user_group]}, NOW)
    with pytest.raises((ValueError, LookupError, TypeError, AttributeError)):
        parse_observations({"results": "nonsense"}, NOW)


# --- aggregates ---------------------------------------------------------------------------------------


def aggregate(queue_id: str, media: str, *metrics: dict[str, Any]) -> dict[str, Any]:
    return {
        "group": {"queueId": queue_id, "mediaType": media},
        "data": [{"interval": "2026-11-29T06:00:00.000Z/2026-11-29T10:15:00.000Z", "metrics": list(metrics)}],
    }


def service_level(numerator: int, denominator: int, target: float | None = None) -> dict[str, Any]:
    stats: dict[str, Any] = {"numerator": numerator, "denominator": denominator}
    if target is not None:
        stats["target"] = target
    return {"metric": "oServiceLevel", "stats": stats}


def test_aggregates_give_today_per_media_type_and_blended() -> None:
    reply = {
        "results": [
            aggregate(
                Q1,
                "voice",
                {"metric": "nOffered", "stats": {"count": 10}},
                {"metric": "tAnswered", "stats": {"count": 8, "sum": 80_000}},
                {"metric": "tAbandon", "stats": {"count": 2, "sum": 1000}},
                {"metric": "tHandle", "stats": {"count": 8, "sum": 2_400_000}},
                service_level(6, 10, 0.8),
            ),
            aggregate(
                Q1,
                "email",
                {"metric": "nOffered", "stats": {"count": 10}},
                {"metric": "tAnswered", "stats": {"count": 10, "sum": 1_000_000}},
                service_level(10, 10, 0.9),
            ),
        ]
    }
    today = parse_aggregates(reply, {})[Q1]
    voice = today.by_media["voice"]
    assert (voice.offered, voice.answered, voice.abandoned) == (10, 8, 2)
    assert voice.abandon_rate == pytest.approx(0.2) and voice.service_level == pytest.approx(0.6)
    assert voice.asa_s == pytest.approx(10.0) and voice.aht_s == pytest.approx(300.0)
    assert voice.sl_target == 0.8 and today.by_media["email"].sl_target == 0.9
    assert today.today.offered == 20 and today.today.service_level == pytest.approx(0.8)
    assert today.today.sl_target is None, "a blend of two targets has none of its own"


def test_a_blend_of_one_target_keeps_it_and_a_quiet_queue_takes_the_configured_one() -> None:
    reply = {"results": [aggregate(Q1, "voice", service_level(1, 2, 0.8)), aggregate(Q2, "chat")]}
    targets = {Q2: {"chat": ServiceLevelTarget(0.7, 30.0)}}
    parsed = parse_aggregates(reply, targets)
    assert parsed[Q1].today.sl_target == 0.8
    assert parsed[Q2].today.sl_target == 0.7 and parsed[Q2].by_media["chat"].sl_target == 0.7
    assert parsed[Q2].today.offered == 0 and parsed[Q2].today.abandon_rate is None


# --- routing activity ---------------------------------------------------------------------------------


def test_agents_one_by_one_by_status_then_the_longest_in_it_first() -> None:
    reply = {
        "results": [
            {
                "group": {"queueId": Q1},
                "data": [
                    {"metric": "oUserRoutingStatuses", "qualifier": "IDLE", "entityIds": ["u-3"]},
                    {"metric": "oUserRoutingStatuses", "qualifier": "OFF_QUEUE", "entityIds": ["u-4"]},
                ],
                "entities": [
                    {"userId": "u-1", "routingStatus": "NOT_RESPONDING", "routingStatusDate": ago(60)},
                    {"userId": "u-2", "routingStatus": "IDLE", "routingStatusDate": ago(600)},
                    {"userId": "u-3", "routingStatus": "IDLE", "routingStatusDate": ago(30)},
                    {"userId": "u-5", "routingStatus": "SOMETHING_NEW", "routingStatusDate": ago(30)},
                ],
            }
        ]
    }
    agents = parse_routing_activity(reply, NOW)[Q1]
    assert agents == (
        AgentActivity("u-2", "idle", 600.0),
        AgentActivity("u-3", "idle", 30.0),
        AgentActivity("u-1", "not_responding", 60.0),
        AgentActivity("u-4", "off_queue", None),
    )
