"""Notification messages read into plain data: both event shapes, the system messages, bad ones."""

from __future__ import annotations

import json
from typing import Any

import pytest

from queuewatch.events import (
    MAX_MESSAGE_BYTES,
    QUEUE_TOPIC,
    BadEvent,
    Heartbeat,
    Ignored,
    MediaObservation,
    QueueObserved,
    SocketClosing,
    parse_message,
    queue_topic,
    topic_queue_id,
)
from queuewatch.model import Agents

QUEUE = "0e461a1c-0f75-5569-b31a-f80864339321"
NOW = 1_800_000_000.0


def message(body: Any, topic: str | None = None) -> str:
    return json.dumps({"topicName": topic or queue_topic(QUEUE), "version": "2", "eventBody": body})


def v2(*groups: tuple[str, list[dict[str, Any]]]) -> str:
    return message({"results": [{"mediaType": media, "data": data} for media, data in groups]})


def test_the_topic_name_is_one_constant_with_the_queue_id_in_it() -> None:
    assert QUEUE_TOPIC == "v2.analytics.queues.{id}.observations"
    assert queue_topic(QUEUE) == f"v2.analytics.queues.{QUEUE}.observations"
    assert topic_queue_id(queue_topic(QUEUE)) == QUEUE
    assert topic_queue_id(f"v2.analytics.queues.{QUEUE}.activity") is None
    assert topic_queue_id("v2.analytics.queues.a b.observations") is None


def test_the_sdk_shape_gives_each_media_types_conversations() -> None:
    started = NOW - 75.5
    parsed = parse_message(
        v2(
            (
                "voice",
                [
                    {"metric": "oWaiting", "count": 3},
                    {"metric": "oInteracting", "count": 5},
                    {"metric": "oAlerting", "count": 1},
                    {"metric": "oLongestWaiting", "count": 3, "calculatedMetricValue": round(started * 1000)},
                    {"metric": "oLongestInteracting", "count": 5, "calculatedMetricValue": 1},
                    {"metric": "oFlow", "count": 2},
                ],
            ),
            ("chat", [{"metric": "oWaiting", "count": 0}, {"metric": "oInteracting", "count": 2}]),
        ),
        NOW,
    )
    assert isinstance(parsed, QueueObserved)
    assert parsed.queue_id == QUEUE
    voice = parsed.media["voice"]
    assert (voice.waiting, voice.interacting, voice.alerting) == (3, 5, 1)
    assert voice.oldest_waiting_at == pytest.approx(started)
    assert parsed.media["chat"] == MediaObservation(waiting=0, interacting=2)
    assert parsed.agents is None


def test_longest_waiting_is_read_as_a_timestamp_or_as_a_duration() -> None:
    as_timestamp = parse_message(
        v2(("voice", [{"metric": "oLongestWaiting", "calculatedMetricValue": round((NOW - 90) * 1000)}])), NOW
    )
    as_duration = parse_message(
        v2(("voice", [{"metric": "oLongestWaiting", "calculatedMetricValue": 90_000}])), NOW
    )
    assert isinstance(as_timestamp, QueueObserved) and isinstance(as_duration, QueueObserved)
    assert as_timestamp.media["voice"].oldest_waiting_at == pytest.approx(NOW - 90)
    assert as_duration.media["voice"].oldest_waiting_at == pytest.approx(NOW - 90)


def test_a_timestamp_slightly_ahead_of_our_clock_is_now() -> None:
    ahead = parse_message(
        v2(("voice", [{"metric": "oLongestWaiting", "calculatedMetricValue": round((NOW + 5) * 1000)}])), NOW
    )
    assert isinstance(ahead, QueueObserved)
    assert ahead.media["voice"].oldest_waiting_at == NOW


def test_the_older_stats_shape_gives_conversations_and_agents() -> None:
    instant = "2024-12-30T09:46:54.839Z/2024-12-30T09:46:54.839Z"
    half_hour = "2024-12-30T09:30:00.000Z/2024-12-30T10:00:00.000Z"
    conversations = parse_message(
        message(
            {
                "group": {"queueId": QUEUE, "mediaType": "voice"},
                "data": [
                    {
                        "interval": instant,
                        "metrics": [
                            {"metric": "oWaiting", "stats": {"count": 2}},
                            {"metric": "oAlerting", "stats": {"count": 0}},
                        ],
                    },
                    {"interval": half_hour, "metrics": [{"metric": "nOffered", "stats": {"count": 9}}]},
                ],
            }
        ),
        NOW,
    )
    assert conversations == QueueObserved(QUEUE, {"voice": MediaObservation(waiting=2, alerting=0)})
    agents = parse_message(
        message(
            {
                "group": {"queueId": QUEUE},
                "data": [
                    {
                        "interval": instant,
                        "metrics": [
                            {"metric": "oUserRoutingStatuses", "qualifier": "IDLE", "stats": {"count": 2}},
                            {
                                "metric": "oUserRoutingStatuses",
                                "qualifier": "INTERACTING",
                                "stats": {"count": 3},
                            },
                            {"metric": "oOnQueueUsers", "qualifier": "IDLE", "stats": {"count": 2}},
                            {"metric": "oOnQueueUsers", "qualifier": "INTERACTING", "stats": {"count": 3}},
                            {"metric": "oOffQueueUsers", "stats": {"count": 4}},
                            {"metric": "oMemberUsers", "stats": {"count": 12}},
                        ],
                    }
                ],
            }
        ),
        NOW,
    )
    assert agents == QueueObserved(
        QUEUE,
        {},
        agents=Agents(idle=2, interacting=3, not_responding=0, communicating=0, off_queue=4, on_queue=5),
        members=12,
    )
    aggregates_only = parse_message(
        message(
            {
                "group": {"queueId": QUEUE, "mediaType": "voice"},
                "data": [{"interval": half_hour, "metrics": []}],
            }
        ),
        NOW,
    )
    assert isinstance(aggregates_only, Ignored)


def test_heartbeats_pongs_and_socket_closing() -> None:
    heartbeat = json.dumps({"topicName": "channel.metadata", "eventBody": {"message": "WebSocket Heartbeat"}})
    pong = json.dumps({"topicName": "channel.metadata", "eventBody": {"message": "pong"}})
    closing = json.dumps({"topicName": "v2.system.socket_closing", "eventBody": {"message": "closing"}})
    assert parse_message(heartbeat, NOW) == Heartbeat(pong=False)
    assert parse_message(pong, NOW) == Heartbeat(pong=True)
    assert parse_message(closing, NOW) == SocketClosing()


BAD = [
    ("not json", "{", "malformed"),
    ("a list", "[1, 2]", "malformed"),
    ("no topic", json.dumps({"eventBody": {}}), "malformed"),
    ("another topic", message({}, topic="v2.users.abc.presence"), "unknown"),
    (
        "the activity topic",
        message({"results": []}, topic=f"v2.analytics.queues.{QUEUE}.activity"),
        "unknown",
    ),
    ("body not an object", message([1]), "malformed"),
    ("neither shape", message({"something": 1}), "unknown"),
    ("results not a list", message({"results": {"a": 1}}), "malformed"),
    ("escape in a media type", v2(("voice\x1b]0;owned\x07", [])), "hostile"),
    ("a media type that is a number", message({"results": [{"mediaType": 7, "data": []}]}), "hostile"),
    ("negative count", v2(("voice", [{"metric": "oWaiting", "count": -1}])), "hostile"),
    ("absurd count", v2(("voice", [{"metric": "oWaiting", "count": 10**12}])), "hostile"),
    ("count as text", v2(("voice", [{"metric": "oWaiting", "count": "3"}])), "malformed"),
    ("count true", v2(("voice", [{"metric": "oWaiting", "count": True}])), "malformed"),
    (
        "wait from the future",
        v2(("voice", [{"metric": "oLongestWaiting", "calculatedMetricValue": round((NOW + 3600) * 1000)}])),
        "hostile",
    ),
    (
        "wait of a century",
        v2(("voice", [{"metric": "oLongestWaiting", "calculatedMetricValue": 10**11}])),
        "hostile",
    ),
    ("huge message", message({"results": [], "pad": "x" * MAX_MESSAGE_BYTES}), "hostile"),
    ("deeply nested", '{"topicName": "x", "eventBody": ' + "[" * 100_000 + "]" * 100_000 + "}", "hostile"),
]


@pytest.mark.parametrize(("text", "kind"), [(text, kind) for _, text, kind in BAD], ids=[b[0] for b in BAD])
def test_a_bad_message_raises_bad_event_and_nothing_else(text: str, kind: str) -> None:
    with pytest.raises(BadEvent) as caught:
        parse_message(text, NOW)
    assert caught.value.kind == kind
    assert "\x1b" not in str(caught.value) and "\x07" not in str(caught.value)
