"""Genesys Cloud's wire format, without the SDK: what queuewatch asks and how it reads the answers.

Pure (plain JSON in, ``queuewatch.model`` out; no SDK, no I/O), so each request body and reply
parser can be tested on canned replies in milliseconds. ``queuewatch.genesys`` sends the bodies
through the SDK and hands the replies here.

- the endpoints queuewatch calls (``*_PATH``) and the permission each needs (``PERMISSIONS``);
- request bodies: ``observations_body``, ``aggregates_body`` (with ``today_interval``),
  ``routing_activity_body``;
- replies: ``queue_info`` (one entity of the queue listing, in the API's camelCase keys),
  ``parse_observations``, ``parse_aggregates``, ``parse_routing_activity``.

Everything read from a reply that ends up shown passes ``queuewatch.untrusted``. A reply of the
wrong shape raises ``ValueError``, ``LookupError``, ``TypeError`` or ``AttributeError``, which the
adapter turns into ``BadResponse``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from queuewatch.model import (
    ROUTING_STATUSES,
    AgentActivity,
    Agents,
    Live,
    QueueInfo,
    QueueLive,
    QueueToday,
    ServiceLevelTarget,
    Today,
    live_total,
)
from queuewatch.untrusted import clean, clean_name, distinguish

QUEUES_PATH = "/api/v2/routing/queues"
OBSERVATIONS_PATH = "/api/v2/analytics/queues/observations/query"
AGGREGATES_PATH = "/api/v2/analytics/conversations/aggregates/query"
ROUTING_ACTIVITY_PATH = "/api/v2/analytics/routing/activity/query"
USERS_PATH = "/api/v2/users"
CHANNELS_PATH = "/api/v2/notifications/channels"
SUBSCRIPTIONS_PATH = "/api/v2/notifications/channels/{id}/subscriptions"
TOPICS_PATH = "/api/v2/notifications/availabletopics"

#: The permission each endpoint needs on the OAuth client's role (the users listing and the
#: notification channels need none; a queue topic's subscription needs the observations').
PERMISSIONS: Mapping[str, str] = {
    QUEUES_PATH: "routing:queue:view",
    OBSERVATIONS_PATH: "analytics:queueObservation:view",
    AGGREGATES_PATH: "analytics:conversationAggregate:view",
    ROUTING_ACTIVITY_PATH: "analytics:queueObservation:view",
}
#: Users looked up by id per request.
USERS_PER_REQUEST = 100

OBSERVATION_METRICS = (
    "oWaiting",
    "oInteracting",
    "oAlerting",
    "oOnQueueUsers",
    "oOffQueueUsers",
    "oMemberUsers",
    "oUserRoutingStatuses",
)

AGGREGATE_METRICS = ("nOffered", "tAnswered", "tAbandon", "tHandle", "oServiceLevel")

#: Queue configuration names media differently from analytics.
CONFIG_MEDIA: Mapping[str, str] = {
    "call": "voice",
    "callback": "callback",
    "chat": "chat",
    "email": "email",
    "message": "message",
}


# --- request bodies -------------------------------------------------------------------------------


def queue_filter(queue_ids: Sequence[str]) -> dict[str, Any]:
    """An analytics ``filter`` naming these queues (one ``queueId`` predicate each)."""
    return {"type": "or", "predicates": [{"dimension": "queueId", "value": q} for q in queue_ids]}


def observations_body(queue_ids: Sequence[str]) -> dict[str, Any]:
    """A queue observation query: live figures, with the waiting conversations listed."""
    return {
        "filter": queue_filter(queue_ids),
        "metrics": list(OBSERVATION_METRICS),
        "detailMetrics": ["oWaiting"],
    }


def today_interval(now: datetime, zone: tzinfo) -> str:
    """Local midnight (in ``zone``) to ``now``, as an ISO 8601 interval; at least a second long."""
    local = now.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if local - midnight < timedelta(seconds=1):
        local = midnight + timedelta(seconds=1)
    return f"{midnight.isoformat(timespec='milliseconds')}/{local.isoformat(timespec='milliseconds')}"


def aggregates_body(queue_ids: Sequence[str], interval: str, timezone: str) -> dict[str, Any]:
    """A conversation aggregates query: today's figures grouped by queue and media type."""
    return {
        "interval": interval,
        "timeZone": timezone,
        "groupBy": ["queueId", "mediaType"],
        "filter": queue_filter(queue_ids),
        "metrics": list(AGGREGATE_METRICS),
    }


def routing_activity_body(queue_ids: Sequence[str]) -> dict[str, Any]:
    """A routing activity query: the queues' members one by one (``details`` on)."""
    return {
        "metrics": [{"metric": "oUserRoutingStatuses", "details": True}],
        "groupBy": ["queueId"],
        "filter": queue_filter(queue_ids),
    }


# --- replies -> our model ---------------------------------------------------------------------------


def queue_info(entity: Mapping[str, Any]) -> QueueInfo:
    """One queue of ``GET /api/v2/routing/queues`` (a ``Queue`` in the API's camelCase keys).

    Read as JSON from outside: every field's type is checked, a wrong one is unknown."""
    targets: dict[str, ServiceLevelTarget] = {}
    settings = entity.get("mediaSettings")
    for config_name, media in CONFIG_MEDIA.items():
        media_settings = settings.get(config_name) if isinstance(settings, dict) else None
        level = media_settings.get("serviceLevel") if isinstance(media_settings, dict) else None
        if isinstance(level, dict):
            percentage, duration_ms = level.get("percentage"), level.get("durationMs")
            if isinstance(percentage, int | float) and isinstance(duration_ms, int | float):
                targets[media] = ServiceLevelTarget(float(percentage), duration_ms / 1000)
    division = entity.get("division")
    division = division if isinstance(division, dict) else {}
    members = entity.get("memberCount")
    name = entity.get("name")
    return QueueInfo(
        id=clean(str(entity["id"])),
        name=clean_name(name if isinstance(name, str) else None),
        division=clean_name(division["name"]) if isinstance(division.get("name"), str) else None,
        division_id=clean(division["id"]) if isinstance(division.get("id"), str) else None,
        member_count=members if isinstance(members, int) and not isinstance(members, bool) else None,
        sl_targets=targets,
    )


def distinct_names(queues: list[QueueInfo]) -> list[QueueInfo]:
    """The queues, with names that would look alike on screen told apart by their ids."""
    shown = distinguish({q.id: q.name for q in queues})
    return [q if shown[q.id] == q.name else replace(q, name=shown[q.id]) for q in queues]


@dataclass
class _LiveAcc:
    statuses: dict[str, int] = field(default_factory=dict)
    on_queue: int = 0
    off_queue_users: int | None = None
    members: int = 0
    media: dict[str, dict[str, int]] = field(default_factory=dict)
    detail: list[tuple[datetime, str, str]] = field(default_factory=list)
    #: Media types whose list of waiting conversations Genesys truncated.
    truncated: set[str] = field(default_factory=set)
    user_group: bool = False


def _count(data: dict[str, Any]) -> int:
    count = (data.get("stats") or {}).get("count")
    return int(count) if count is not None else 0


def _when(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def parse_observations(reply: dict[str, Any], now: datetime) -> dict[str, QueueLive]:
    """A queue observation reply -> live figures per queue id.

    Zero counts may be omitted by the API, so a metric absent for a queue that has results is 0;
    a group with zero counts is kept as zeros (a real reply has one for every media type of every
    queue: ``model.combine`` decides which the queue handles).

    Longest wait is now minus the oldest ``observationDate`` of the ``oWaiting`` details. When
    Genesys truncated that list (``truncated``), no published source says for certain that the
    oldest conversation is still in it, so the figure is only a lower bound:
    ``longest_wait_exact`` is False.
    """
    accs: dict[str, _LiveAcc] = {}
    for container in reply.get("results") or []:
        group = container.get("group") or {}
        queue_id = group.get("queueId")
        if not queue_id:
            continue
        acc = accs.setdefault(queue_id, _LiveAcc())
        media = clean(group["mediaType"]) if group.get("mediaType") is not None else None
        for data in container.get("data") or []:
            metric = data.get("metric")
            if media is None:
                acc.user_group = True
                qualifier = data.get("qualifier")
                if metric == "oUserRoutingStatuses" and qualifier in ROUTING_STATUSES:
                    name = ROUTING_STATUSES[qualifier]
                    acc.statuses[name] = acc.statuses.get(name, 0) + _count(data)
                elif metric == "oOnQueueUsers":
                    acc.on_queue += _count(data)
                elif metric == "oOffQueueUsers":
                    acc.off_queue_users = (acc.off_queue_users or 0) + _count(data)
                elif metric == "oMemberUsers":
                    acc.members += _count(data)
            elif metric in ("oWaiting", "oInteracting", "oAlerting"):
                counts = acc.media.setdefault(media, {})
                counts[metric] = counts.get(metric, 0) + _count(data)
                if metric == "oWaiting":
                    if data.get("truncated") is True:
                        acc.truncated.add(media)
                    for obs in data.get("observations") or []:
                        when = _when(obs.get("observationDate"))
                        if when is not None:
                            acc.detail.append((when, clean(obs.get("conversationId") or ""), media))
    return {queue_id: _live(acc, now) for queue_id, acc in accs.items()}


def _live(acc: _LiveAcc, now: datetime) -> QueueLive:
    acc.detail.sort()
    oldest: dict[str, datetime] = {}
    for when, _, media in acc.detail:
        oldest.setdefault(media, when)
    by_media: dict[str, Live] = {}
    for media, counts in acc.media.items():
        waiting = counts.get("oWaiting", 0)
        first = oldest.get(media)
        longest = max(0.0, (now - first).total_seconds()) if first is not None else None
        by_media[media] = Live(
            waiting=waiting,
            longest_wait_s=0.0 if waiting == 0 else longest,
            interacting=counts.get("oInteracting", 0),
            alerting=counts.get("oAlerting", 0),
            longest_wait_exact=waiting == 0 or media not in acc.truncated,
        )
    live = live_total(by_media)
    agents = Agents()
    members = None
    if acc.user_group:
        statuses = {name: acc.statuses.get(name, 0) for name in ROUTING_STATUSES.values()}
        if acc.off_queue_users is not None:
            statuses["off_queue"] = max(statuses["off_queue"], acc.off_queue_users)
        agents = Agents(**statuses, on_queue=acc.on_queue)
        members = acc.members
    detail = tuple(
        (conversation, media, max(0.0, (now - when).total_seconds()))
        for when, conversation, media in acc.detail
    )
    return QueueLive(live=live, agents=agents, members=members, by_media=by_media, waiting_detail=detail)


@dataclass
class _TodayAcc:
    offered: int = 0
    answered: int = 0
    answered_ms: float = 0.0
    abandoned: int = 0
    handled: int = 0
    handle_ms: float = 0.0
    sl_num: float = 0.0
    sl_den: float = 0.0
    sl_target: float | None = None

    def add(self, other: _TodayAcc) -> None:
        for name in ("offered", "answered", "answered_ms", "abandoned", "handled", "handle_ms"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.sl_num += other.sl_num
        self.sl_den += other.sl_den

    def today(self, sl_target: float | None) -> Today:
        return Today(
            offered=self.offered,
            answered=self.answered,
            abandoned=self.abandoned,
            abandon_rate=self.abandoned / self.offered if self.offered else None,
            service_level=self.sl_num / self.sl_den if self.sl_den else None,
            sl_target=self.sl_target if self.sl_target is not None else sl_target,
            asa_s=self.answered_ms / self.answered / 1000 if self.answered else None,
            aht_s=self.handle_ms / self.handled / 1000 if self.handled else None,
        )


def _add_metric(acc: _TodayAcc, metric: Any, stats: dict[str, Any]) -> None:
    count = int(stats.get("count") or 0)
    if metric == "nOffered":
        acc.offered += count
    elif metric == "tAnswered":
        acc.answered += count
        acc.answered_ms += float(stats.get("sum") or 0)
    elif metric == "tAbandon":
        acc.abandoned += count
    elif metric == "tHandle":
        acc.handled += count
        acc.handle_ms += float(stats.get("sum") or 0)
    elif metric == "oServiceLevel":
        acc.sl_num += float(stats.get("numerator") or 0)
        acc.sl_den += float(stats.get("denominator") or 0)
        if stats.get("target") is not None:
            acc.sl_target = float(stats["target"])


def parse_aggregates(reply: dict[str, Any], targets: dict[str, Any]) -> dict[str, QueueToday]:
    """A conversation aggregates reply grouped by queue and media -> today's figures per queue id."""
    per_queue: dict[str, dict[str, _TodayAcc]] = {}
    for container in reply.get("results") or []:
        group = container.get("group") or {}
        queue_id = group.get("queueId")
        if not queue_id:
            continue
        acc = per_queue.setdefault(queue_id, {}).setdefault(
            clean(group.get("mediaType") or "all"), _TodayAcc()
        )
        for interval in container.get("data") or []:
            for metric in interval.get("metrics") or []:
                _add_metric(acc, metric.get("metric"), metric.get("stats") or {})
    result: dict[str, QueueToday] = {}
    for queue_id, media in per_queue.items():
        queue_targets = targets.get(queue_id) or {}
        total = _TodayAcc()
        by_media: dict[str, Today] = {}
        for name, acc in media.items():
            total.add(acc)
            target = queue_targets.get(name)
            by_media[name] = acc.today(target.percentage if target is not None else None)
        # The queue's service level blends its media types: it has a target only when every media
        # type in the blend has the same one (never the first media type's, compared with the blend).
        blended = {by_media[name].sl_target for name, acc in media.items() if acc.sl_den}
        if not blended:
            blended = {t.percentage for t in queue_targets.values()}
        total.sl_target = blended.pop() if len(blended) == 1 else None
        today = total.today(None)
        result[queue_id] = QueueToday(today=today, by_media={k: v for k, v in by_media.items() if k != "all"})
    return result


def parse_routing_activity(reply: dict[str, Any], now: datetime) -> dict[str, tuple[AgentActivity, ...]]:
    """A routing activity reply (``oUserRoutingStatuses`` with details) -> each queue's agents,
    by routing status (as ``ROUTING_STATUSES`` orders them), the longest in it first."""
    order = {name: n for n, name in enumerate(ROUTING_STATUSES.values())}
    found: dict[str, tuple[AgentActivity, ...]] = {}
    for result in reply.get("results") or []:
        queue_id = (result.get("group") or {}).get("queueId")
        if not queue_id:
            continue
        agents: dict[str, AgentActivity] = {}
        for entity in result.get("entities") or []:
            user_id, status = entity.get("userId"), ROUTING_STATUSES.get(entity.get("routingStatus"))
            if not user_id or status is None:
                continue
            when = _when(entity.get("routingStatusDate"))
            seconds = max(0.0, (now - when).total_seconds()) if when is not None else None
            agents[clean(user_id)] = AgentActivity(clean(user_id), status, seconds)
        for data in result.get("data") or []:
            status = ROUTING_STATUSES.get(data.get("qualifier"))
            if data.get("metric") != "oUserRoutingStatuses" or status is None:
                continue
            for user_id in data.get("entityIds") or []:
                agents.setdefault(clean(user_id), AgentActivity(clean(user_id), status))
        found[clean(queue_id)] = tuple(
            sorted(agents.values(), key=lambda a: (order[a.status], -(a.seconds or 0.0), a.user_id))
        )
    return found
