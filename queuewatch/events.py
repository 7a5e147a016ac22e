"""Messages of the Genesys Cloud Notifications API, read into plain data: the one place they are parsed.

Pure: no network, no SDK, no textual. ``parse_message(text, received_at)`` turns one WebSocket text
message into a :class:`Heartbeat`, :class:`SocketClosing`, :class:`QueueObserved` or
:class:`Ignored`, or raises :class:`BadEvent` (malformed, unknown or hostile) — never anything else.

The topic. Genesys documents ``v2.analytics.queues.{id}.observations`` ("observations such as the
current waiting conversations in queue and the current agent routing statuses of queue members ...
at most one notification per second", developer.genesys.cloud/analyticsdatamanagement/analytics/
notifications). The SDK (``PureCloudPlatformClientV2`` 269) names no topic for any model; its
``V2QueueObservationObservationCountNotification`` (``results[{mediaType, data[{metric, count,
calculatedMetricValue}]}]``, metrics oWaiting, oInteracting, oAlerting, oFlow, oLongestWaiting,
oLongestInteracting) is the only queue-observation event model it has. Genesys's .NET SDK once
mapped the same topic to ``StatsNotificationNotification`` (``{group, data[{interval, metrics[{metric,
qualifier, stats}]}]}``), which is also what captured events of that topic look like; one public
client subscribes ``v2.analytics.queues.{id}.activity`` for the V2 shape. So:

- the topic name is :data:`QUEUE_TOPIC`, in this one constant (``queuewatch doctor`` says whether
  the org offers it, with which schema, and whether the OAuth client may subscribe);
- both shapes are read. The V2 shape carries conversation figures only (no routing statuses); the
  older stats shape carries those and, in its instant interval, the members' routing statuses,
  which are then taken too. Its 30-minute aggregates are skipped: today's figures come from the
  aggregates query (see ``queuewatch.push``).
- ``oLongestWaiting``'s ``calculatedMetricValue`` is read as an epoch-milliseconds timestamp of the
  oldest waiting conversation's start, as practitioners report it, or as a duration in
  milliseconds when it is too small to be a timestamp of this century.

Text from an event (media type names) passes ``queuewatch.untrusted.clean``. Queue ids come only
from the topic name, and must look like one.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from queuewatch.columns import OFF_QUEUE
from queuewatch.model import ROUTING_STATUSES, Agents
from queuewatch.untrusted import clean
from queuewatch.wire import OBSERVATIONS_PATH, PERMISSIONS

#: The queue observation topic; ``{id}`` is the queue id.
QUEUE_TOPIC = "v2.analytics.queues.{id}.observations"
#: The permission a subscription to :data:`QUEUE_TOPIC` needs (the observation query's).
QUEUE_TOPIC_PERMISSION = PERMISSIONS[OBSERVATIONS_PATH]
#: Heartbeats and pongs arrive on this topic.
METADATA_TOPIC = "channel.metadata"
#: Sent about a minute before Genesys closes a WebSocket for maintenance.
SOCKET_CLOSING_TOPIC = "v2.system.socket_closing"
#: What a client sends to ask for a pong (on :data:`METADATA_TOPIC`).
PING = '{"message":"ping"}'

#: Longest message read; a notification is a few hundred bytes, a hostile one can be megabytes.
MAX_MESSAGE_BYTES = 256 * 1024
#: Counts above this are not believed (a queue holds a few thousand conversations at most).
MAX_COUNT = 1_000_000
#: A ``calculatedMetricValue`` at or above this is an epoch-ms timestamp (2001-09-09), below it a duration.
EPOCH_MS_FLOOR = 1_000_000_000_000
#: A timestamp this far in the future (clock skew) is taken as "now"; further is not believed.
MAX_SKEW_S = 300.0

_ID = r"[0-9A-Za-z][0-9A-Za-z-]{0,63}"
_TOPIC_RE = re.compile(r"^" + re.escape(QUEUE_TOPIC).replace(re.escape("{id}"), f"({_ID})") + r"$")
_MEDIA_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
_CONVERSATION_METRICS = {"oWaiting": "waiting", "oInteracting": "interacting", "oAlerting": "alerting"}
_KNOWN_IGNORED = frozenset({"oFlow", "oLongestInteracting", "oActiveUsers", "oUserPresences"})


def queue_topic(queue_id: str) -> str:
    """The observation topic of one queue."""
    return QUEUE_TOPIC.replace("{id}", queue_id)


def topic_queue_id(topic: str) -> str | None:
    """The queue id in an observation topic's name, or None if it is not one."""
    match = _TOPIC_RE.match(topic)
    return match.group(1) if match else None


class BadEvent(Exception):
    """A message that cannot be used. ``kind`` is ``malformed``, ``unknown`` or ``hostile``."""

    def __init__(self, kind: str, detail: str) -> None:
        detail = clean(detail, limit=200)
        super().__init__(f"{kind} event: {detail}")
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """A heartbeat, or the pong to our ping (both on ``channel.metadata``)."""

    pong: bool = False


@dataclass(frozen=True, slots=True)
class SocketClosing:
    """Genesys will close this WebSocket soon (maintenance): move to a new channel."""


@dataclass(frozen=True, slots=True)
class Ignored:
    """A well-formed message with nothing for the dashboard (e.g. 30-minute aggregates only)."""

    reason: str


@dataclass(frozen=True, slots=True)
class MediaObservation:
    """One media type's conversations now. A figure the event did not carry is None."""

    waiting: int | None = None
    interacting: int | None = None
    alerting: int | None = None
    oldest_waiting_at: float | None = None
    """Epoch seconds the oldest waiting conversation started waiting, when the event said."""


@dataclass(frozen=True, slots=True)
class QueueObserved:
    """One queue's observation event."""

    queue_id: str
    media: Mapping[str, MediaObservation] = field(default_factory=dict)
    agents: Agents | None = None
    """Members by routing status, when the event carried them (the older stats shape)."""
    members: int | None = None


Message = Heartbeat | SocketClosing | Ignored | QueueObserved


def parse_message(text: str | bytes, received_at: float) -> Message:
    """One WebSocket message -> what it says. ``received_at``: epoch seconds it arrived.

    Raises :class:`BadEvent` for anything that is not a message we can use, and nothing else.
    """
    if len(text) > MAX_MESSAGE_BYTES:
        raise BadEvent("hostile", f"a message of {len(text)} bytes")
    try:
        envelope = json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadEvent("malformed", f"not JSON ({type(error).__name__})") from None
    except RecursionError:
        raise BadEvent("hostile", "nested too deeply") from None
    if not isinstance(envelope, dict):
        raise BadEvent("malformed", "not a JSON object")
    topic = envelope.get("topicName")
    body = envelope.get("eventBody")
    if not isinstance(topic, str):
        raise BadEvent("malformed", "no topicName")
    if topic == METADATA_TOPIC:
        message = body.get("message") if isinstance(body, dict) else None
        return Heartbeat(pong=isinstance(message, str) and message.lower() == "pong")
    if topic == SOCKET_CLOSING_TOPIC:
        return SocketClosing()
    queue_id = topic_queue_id(topic)
    if queue_id is None:
        raise BadEvent("unknown", f"topic {topic[:100]!r}")
    if not isinstance(body, dict):
        raise BadEvent("malformed", f"{topic}: eventBody is not an object")
    try:
        if "results" in body:
            return _v2_shape(queue_id, body["results"], received_at)
        if "data" in body:
            return _stats_shape(queue_id, body, received_at)
    except (TypeError, ValueError, AttributeError, KeyError, OverflowError) as error:
        raise BadEvent("malformed", f"{topic}: {type(error).__name__}") from None
    raise BadEvent("unknown", f"{topic}: an eventBody of neither known shape")


def _media_name(value: Any) -> str:
    if not isinstance(value, str) or not _MEDIA_RE.match(value):
        raise BadEvent("hostile", f"media type {clean(str(value), limit=40)!r}")
    return clean(value)


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadEvent("malformed", f"count {clean(repr(value), limit=40)}")
    if value < 0 or value > MAX_COUNT:
        raise BadEvent("hostile", f"count {value!r}")
    return int(value)


def oldest_start(value: Any, received_at: float) -> float:
    """``oLongestWaiting``'s ``calculatedMetricValue`` -> epoch seconds the oldest wait began.

    An epoch-ms timestamp (as practitioners report) or a duration in ms; both are accepted.
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise BadEvent("malformed", f"oLongestWaiting value {clean(repr(value), limit=40)}")
    number = float(value)
    if number >= EPOCH_MS_FLOOR:
        start = number / 1000
        if start > received_at + MAX_SKEW_S:
            raise BadEvent("hostile", f"oLongestWaiting {int(number)} is in the future")
        return min(start, received_at)
    if number > 366 * 86_400_000:
        raise BadEvent("hostile", f"oLongestWaiting duration {int(number)} ms")
    return received_at - number / 1000


def _v2_shape(queue_id: str, results: Any, received_at: float) -> QueueObserved:
    """``V2QueueObservationObservationCountNotification``: ``results[{mediaType, data[...]}]``."""
    if not isinstance(results, list):
        raise BadEvent("malformed", "results is not a list")
    media: dict[str, MediaObservation] = {}
    for group in results:
        if not isinstance(group, dict):
            raise BadEvent("malformed", "a result is not an object")
        name = _media_name(group.get("mediaType"))
        counts: dict[str, Any] = {}
        for data in group.get("data") or []:
            if not isinstance(data, dict):
                raise BadEvent("malformed", "a metric is not an object")
            metric = data.get("metric")
            if metric in _CONVERSATION_METRICS:
                counts[_CONVERSATION_METRICS[metric]] = _count(data.get("count") or 0)
            elif metric == "oLongestWaiting":
                value = data.get("calculatedMetricValue")
                if value is not None:
                    counts["oldest_waiting_at"] = oldest_start(value, received_at)
        media[name] = _merge(media.get(name), counts)
    return QueueObserved(queue_id, media)


def _merge(before: MediaObservation | None, counts: Mapping[str, Any]) -> MediaObservation:
    if before is None:
        return MediaObservation(**counts)
    return MediaObservation(
        **{name: counts.get(name, getattr(before, name)) for name in MediaObservation.__slots__}
    )


def _instant(interval: Any) -> bool:
    if not isinstance(interval, str) or "/" not in interval:
        return False
    start, _, end = interval.partition("/")
    return start == end


def _stats_shape(queue_id: str, body: Mapping[str, Any], received_at: float) -> Message:
    """The older stats shape: ``{group{queueId, mediaType?}, data[{interval, metrics[...]}]}``.

    Only the instant interval (start == end) holds observations; 30-minute ones are aggregates.
    """
    group = body.get("group") or {}
    if not isinstance(group, dict):
        raise BadEvent("malformed", "group is not an object")
    media_type = group.get("mediaType")
    name = _media_name(media_type) if media_type is not None else None
    observed = False
    counts: dict[str, Any] = {}
    statuses: dict[str, int] | None = None
    on_queue = off_queue = members = None
    for data in body.get("data") or []:
        if not isinstance(data, dict) or not _instant(data.get("interval")):
            continue
        observed = True
        for metric in data.get("metrics") or []:
            if not isinstance(metric, dict):
                raise BadEvent("malformed", "a metric is not an object")
            key = metric.get("metric")
            stats = metric.get("stats") or {}
            if not isinstance(stats, dict):
                raise BadEvent("malformed", "stats is not an object")
            if key in _CONVERSATION_METRICS and name is not None:
                counts[_CONVERSATION_METRICS[key]] = _count(stats.get("count") or 0)
            elif key == "oLongestWaiting" and name is not None:
                value = stats.get("calculatedMetricValue", stats.get("max"))
                if value is not None:
                    counts["oldest_waiting_at"] = oldest_start(value, received_at)
            elif key == "oUserRoutingStatuses":
                statuses = statuses if statuses is not None else {}
                field_name = ROUTING_STATUSES.get(str(metric.get("qualifier")))
                if field_name is not None:
                    statuses[field_name] = statuses.get(field_name, 0) + _count(stats.get("count") or 0)
            elif key == "oOnQueueUsers":
                on_queue = (on_queue or 0) + _count(stats.get("count") or 0)
            elif key == "oOffQueueUsers":
                off_queue = (off_queue or 0) + _count(stats.get("count") or 0)
            elif key == "oMemberUsers":
                members = _count(stats.get("count") or 0)
    if not observed:
        return Ignored("aggregates only")
    if name is not None:
        return QueueObserved(queue_id, {name: MediaObservation(**counts)})
    agents = None
    if statuses is not None:
        full = {status: statuses.get(status, 0) for status in ROUTING_STATUSES.values()}
        if off_queue is not None:
            full[OFF_QUEUE] = max(full[OFF_QUEUE], off_queue)
        agents = Agents(**full, on_queue=on_queue)
    return QueueObserved(queue_id, {}, agents=agents, members=members)
