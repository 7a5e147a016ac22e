"""Wire shapes: the simulated centre's state as the real API's replies (camelCase, JSON-ready).

Each function builds one part of a reply from the state in ``state.py``, called by the engine
under its lock: a queue of the listing (:func:`queue_entity`, :func:`queue_listing`), the
observation figures of a queue (:func:`user_data`, :func:`conversation_metric`), one agent of the
routing activity query (:func:`activity_entity`), a user (:func:`users_page`), the aggregate
metrics of a bucket total (:func:`aggregate_metrics`). The simulator's tests check every reply
against the SDK's models.

As a real org's do, observation replies carry a group for every media type of every queue (zeros
included), and an aggregates reply gives each ``interval`` in UTC whatever offset the request used.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Sequence
from itertools import islice
from typing import Any
from urllib.parse import quote

from queuewatch.simulator.buckets import (
    ABANDONED,
    ACW,
    ANSWERED,
    HANDLE,
    OFFERED,
    OVER_SLA,
    SHORT_ABANDON,
    TALK,
)
from queuewatch.simulator.scenario import MEDIA_TYPES
from queuewatch.simulator.staffing import OFF_QUEUE, OFFLINE, PRESENCE_IDS, ROUTING_STATUSES, SYSTEM_PRESENCES
from queuewatch.simulator.state import NO_CONVERSATIONS, Agent, Conv, Queue

#: Largest page size ``list_queues`` accepts.
MAX_PAGE_SIZE = 500
#: Largest page of the users listing.
MAX_USERS_PAGE = 500
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
_ALERTING_TIMEOUT_S = {"call": 8, "callback": 30, "chat": 30, "email": 300, "message": 30}


def iso_ms(t: float) -> str:
    """``2026-11-29T09:12:03.123Z`` for a Unix time."""
    total_ms = math.floor(t * 1000)
    secs, ms = divmod(total_ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{ms:03d}Z"


# --- the queue listing --------------------------------------------------------------------------------


def queue_entity(q: Queue) -> dict[str, Any]:
    """One queue as ``GET /api/v2/routing/queues`` lists it."""
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


def queue_listing(
    selected: Sequence[Queue],
    page_number: int,
    page_size: int,
    name: str | None,
    division_ids: Sequence[str],
    ids: Sequence[str],
) -> dict[str, Any]:
    """One page of the queues ``selected`` as a QueueEntityListing, its links repeating the query."""
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
        "entities": [queue_entity(q) for q in page],
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


def users_page(agents: Sequence[Agent], page_size: int, page_number: int) -> dict[str, Any]:
    """One page of ``GET /api/v2/users``."""
    total = len(agents)
    page = agents[(page_number - 1) * page_size : page_number * page_size]
    return {
        "entities": [
            {"id": a.id, "name": a.name, "state": "active", "selfUri": f"/api/v2/users/{a.id}"} for a in page
        ],
        "pageSize": page_size,
        "pageNumber": page_number,
        "total": total,
        "pageCount": math.ceil(total / page_size),
    }


# --- observations ---------------------------------------------------------------------------------------


def presence_mappings() -> dict[str, list[str]]:
    """``systemToOrganizationMappings``: the organisation presence of each system presence."""
    return {p: [PRESENCE_IDS[i]] for i, p in enumerate(SYSTEM_PRESENCES)}


def user_data(q: Queue, metrics: Sequence[str]) -> list[dict[str, Any]]:
    """The data of a queue's user group (its members' statuses) for these metrics."""
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


def conversation_metric(
    q: Queue, media: int, metric: str, detail: bool, limit: int, truncation: str
) -> dict[str, Any]:
    """One conversation metric of a queue and media type; with ``detail``, the conversations (at
    most ``limit``, cut as ``truncation`` says)."""
    by_media = {"oWaiting": q.waiting, "oInteracting": q.interacting, "oAlerting": q.alerting}[metric]
    convs = by_media.get(media, NO_CONVERSATIONS)
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
        entry["observations"] = [observation(c, metric) for c in chosen]
    return entry


def observation(c: Conv, metric: str) -> dict[str, Any]:
    """One conversation in the details of a metric."""
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


# --- routing activity -----------------------------------------------------------------------------------


def activity_groups(metric: str, agents: Sequence[Agent]) -> list[tuple[str | None, list[Agent]]]:
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
            (PRESENCE_IDS[p], [a for a in agents if a.presence == p]) for p in range(len(SYSTEM_PRESENCES))
        ]
    if metric == "oOffQueueUsers":
        return [(None, [a for a in agents if a.status == OFF_QUEUE])]
    return [(None, list(agents))]  # oActiveUsers, oMemberUsers (offline members are left out)


def activity_entity(q: Queue, agent: Agent, now: float) -> dict[str, Any]:
    """One agent of the routing activity query, with their routing status and when it began."""
    return {
        "userId": agent.id,
        "queueId": q.id,
        "routingStatus": ROUTING_STATUSES[agent.status],
        "routingStatusDate": iso_ms(agent.status_at),
        "systemPresence": SYSTEM_PRESENCES[agent.presence],
        "organizationPresenceId": PRESENCE_IDS[agent.presence],
        "activityDate": iso_ms(now),
    }


def activity_result(
    q: Queue, agents: Sequence[Agent], metrics: Sequence[tuple[str, bool]], now: float
) -> dict[str, Any]:
    """A queue's result of the routing activity query: each metric's counts (with the agents'
    ids where details were asked), and those agents one by one."""
    data: list[dict[str, Any]] = []
    detailed: dict[str, Agent] = {}
    for metric, details in metrics:
        for qualifier, members in activity_groups(metric, agents):
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
        result["entities"] = [activity_entity(q, a, now) for a in detailed.values()]
        result["truncated"] = False
    return result


# --- aggregates -----------------------------------------------------------------------------------------

_TIMER_BASES = {
    "tAnswered": ANSWERED,
    "tAbandon": ABANDONED,
    "tHandle": HANDLE,
    "tTalk": TALK,
    "tAcw": ACW,
    "tShortAbandon": SHORT_ABANDON,
}


def _timer_stats(row: Sequence[int], base: int) -> dict[str, int]:
    return {"max": row[base + 3], "min": row[base + 2], "count": row[base], "sum": row[base + 1]}


def aggregate_metrics(
    row: Sequence[int], metrics: Sequence[str], target: float | None
) -> list[dict[str, Any]]:
    """The metrics of one group and period from its bucket totals (``buckets.Series.totals``);
    metrics with nothing to count are left out, as the real API leaves them out."""
    answered, abandoned = row[ANSWERED], row[ABANDONED]
    out: list[dict[str, Any]] = []
    for metric in metrics:
        stats: dict[str, Any] | None = None
        if metric == "nOffered" and row[OFFERED]:
            stats = {"count": row[OFFERED]}
        elif metric == "nOverSla" and row[OVER_SLA]:
            stats = {"count": row[OVER_SLA]}
        elif metric in _TIMER_BASES and row[_TIMER_BASES[metric]]:
            stats = _timer_stats(row, _TIMER_BASES[metric])
        elif metric in ("tWait", "tAcd") and answered + abandoned:
            mins = [row[b + 2] for b in (ANSWERED, ABANDONED) if row[b]]
            maxes = [row[b + 3] for b in (ANSWERED, ABANDONED) if row[b]]
            stats = {
                "max": max(maxes),
                "min": min(mins),
                "count": answered + abandoned,
                "sum": row[ANSWERED + 1] + row[ABANDONED + 1],
            }
        elif metric == "oServiceLevel" and answered + abandoned:
            numerator = answered - row[OVER_SLA]
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
