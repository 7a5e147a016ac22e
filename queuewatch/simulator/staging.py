"""Staged figures: one queue's numbers set by hand on top of the model, for an exact sequence.

The model's figures follow from its traffic. A test (or a demo) that must show the dashboard
reacting to a given sequence — "today's abandon rate at 12 %; then 30 waiting, the oldest for 12
minutes, nobody idle; then calm again" — stages the figures it names for one queue, on one server;
everything else stays the model's. Staged figures travel in the ordinary API replies, so the client
reads them exactly as it reads real ones:

- live figures change the observations reply: ``waiting`` (with its oldest conversation
  ``longest_wait_s`` seconds old, the others spread after it; all in the queue's first media
  type), and the agents ``idle`` and ``not_responding`` (routing statuses, on-queue and active
  counts follow; presences stay the model's);
- today's figures change the aggregates reply: ``offered`` and ``abandoned`` (so the abandon rate is
  abandoned / offered), put in the queue's first group and interval, taken out of its others.

Pure: no I/O; the server applies the stages it holds to each reply (see ``SimulatorServer.stage``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from queuewatch.simulator.replies import iso_ms

_ROUTING_METRICS = ("oUserRoutingStatuses", "oOnQueueUsers")
_ABANDON_MS = 30_000
_NAMESPACE = uuid.UUID("0b9a4f2e-7c1d-5e3a-8f60-4d2b1a9c7e15")


@dataclass(frozen=True, slots=True)
class Stage:
    """The figures staged for one queue; None leaves a figure to the model."""

    waiting: int | None = None
    longest_wait_s: float | None = None
    idle: int | None = None
    not_responding: int | None = None
    offered: int | None = None
    abandoned: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Stage:
        """A stage from JSON (the admin endpoint's body); ValueError, one line, when it is wrong."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                raise ValueError(f"{key} cannot be staged (use {', '.join(sorted(known))})")
            if value is None:
                continue
            number = isinstance(value, int | float) and not isinstance(value, bool)
            whole = key != "longest_wait_s"
            if not number or value < 0 or (whole and value != int(value)):
                kind = "a whole number" if whole else "a number of seconds"
                raise ValueError(f"{key} must be {kind}, at least 0")
            values[key] = int(value) if whole else float(value)
        stage = cls(**values)
        if stage.longest_wait_s is not None and not stage.waiting:
            raise ValueError("longest_wait_s needs waiting (at least 1)")
        if stage.offered is not None and stage.abandoned is not None and stage.abandoned > stage.offered:
            raise ValueError("abandoned cannot be more than offered")
        return stage

    @property
    def live(self) -> bool:
        return any(v is not None for v in (self.waiting, self.idle, self.not_responding))

    @property
    def today(self) -> bool:
        return self.offered is not None or self.abandoned is not None


def _requested(body: Mapping[str, Any], key: str) -> set[str]:
    value = body.get(key) or []
    return {m for m in value if isinstance(m, str)} if isinstance(value, list) else set()


def stage_observations(
    body: Mapping[str, Any], reply: dict[str, Any], stages: Mapping[str, Stage], now: float
) -> dict[str, Any]:
    """The observations ``reply`` to ``body`` with the staged live figures in (changed in place)."""
    metrics = _requested(body, "metrics")
    detail = "oWaiting" in _requested(body, "detailMetrics")
    waiting_placed: set[str] = set()
    for result in reply.get("results") or []:
        group = result.get("group") or {}
        stage = stages.get(group.get("queueId", ""))
        if stage is None or not stage.live:
            continue
        data = result.setdefault("data", [])
        if "mediaType" not in group:
            result["data"] = _staged_agents(data, stage, metrics)
        elif stage.waiting is not None and "oWaiting" in metrics:
            queue_id = group["queueId"]
            count = 0 if queue_id in waiting_placed else stage.waiting
            waiting_placed.add(queue_id)
            _staged_waiting(data, queue_id, count, stage.longest_wait_s or 0.0, now, detail)
    return reply


def _count(entry: Mapping[str, Any]) -> int:
    return int((entry.get("stats") or {}).get("count") or 0)


def _staged_agents(data: list[dict[str, Any]], stage: Stage, metrics: set[str]) -> list[dict[str, Any]]:
    wanted = {
        qualifier: count
        for qualifier, count in (("IDLE", stage.idle), ("NOT_RESPONDING", stage.not_responding))
        if count is not None
    }
    kept: list[dict[str, Any]] = []
    active_change = 0
    for entry in data:
        if entry.get("metric") in _ROUTING_METRICS and entry.get("qualifier") in wanted:
            if entry["metric"] == "oUserRoutingStatuses":
                active_change -= _count(entry)
            continue
        kept.append(entry)
    for metric in _ROUTING_METRICS:
        if metric not in metrics:
            continue
        for qualifier, count in wanted.items():
            if count:  # the API leaves zero counts out
                kept.append({"metric": metric, "qualifier": qualifier, "stats": {"count": count}})
                if metric == "oUserRoutingStatuses":
                    active_change += count
    for entry in kept:
        if entry.get("metric") == "oActiveUsers":
            entry["stats"] = {"count": max(0, _count(entry) + active_change)}
    return kept


def _staged_waiting(
    data: list[dict[str, Any]], queue_id: str, count: int, longest: float, now: float, detail: bool
) -> None:
    entry = next((e for e in data if e.get("metric") == "oWaiting"), None)
    if entry is None:
        entry = {"metric": "oWaiting"}
        data.insert(0, entry)
    entry["stats"] = {"count": count}
    if detail:
        # The oldest arrived ``longest`` seconds ago, the others evenly after it.
        arrivals = [now - longest * (count - i) / count for i in range(count)]
        entry["truncated"] = False
        entry["observations"] = [_waiting_observation(queue_id, i, t) for i, t in enumerate(arrivals)]


def _waiting_observation(queue_id: str, index: int, arrived: float) -> dict[str, Any]:
    conversation = uuid.uuid5(_NAMESPACE, f"{queue_id}:{index}")
    return {
        "observationDate": iso_ms(arrived),
        "conversationId": str(conversation),
        "sessionId": str(uuid.uuid5(conversation, "session")),
        "routingPriority": 0,
        "direction": "inbound",
        "requestedRoutings": ["Standard"],
    }


def stage_aggregates(
    body: Mapping[str, Any], reply: dict[str, Any], stages: Mapping[str, Stage]
) -> dict[str, Any]:
    """The aggregates ``reply`` to ``body`` with the staged figures of today in (changed in place)."""
    metrics = _requested(body, "metrics")
    placed: set[str] = set()
    for result in reply.get("results") or []:
        queue_id = (result.get("group") or {}).get("queueId", "")
        stage = stages.get(queue_id)
        if stage is None or not stage.today:
            continue
        for interval in result.get("data") or []:
            first = queue_id not in placed
            placed.add(queue_id)
            interval["metrics"] = _staged_today(interval.get("metrics") or [], stage, metrics, first)
    return reply


def _staged_today(
    entries: list[dict[str, Any]], stage: Stage, metrics: set[str], first: bool
) -> list[dict[str, Any]]:
    staged: dict[str, dict[str, Any] | None] = {}
    if stage.offered is not None:
        staged["nOffered"] = {"count": stage.offered} if first and stage.offered else None
    if stage.abandoned is not None:
        abandoned = stage.abandoned
        timer = {"max": _ABANDON_MS, "min": _ABANDON_MS, "count": abandoned, "sum": abandoned * _ABANDON_MS}
        staged["tAbandon"] = timer if first and abandoned else None
    kept = [entry for entry in entries if entry.get("metric") not in staged]
    for metric, stats in staged.items():
        if stats is not None and metric in metrics:
            kept.append({"metric": metric, "stats": stats})
    return kept
