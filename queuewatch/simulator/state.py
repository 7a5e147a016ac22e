"""The simulated centre's state: its queues, their agents and their conversations.

Plain slotted objects, changed only by the event engine (``engine.py``) under its lock and read
by the reply builders (``replies.py``). Media types are indexes into ``MEDIA_TYPES``, routing
statuses and presences indexes into ``staffing.ROUTING_STATUSES`` and ``SYSTEM_PRESENCES``.
"""

from __future__ import annotations

import uuid
from typing import Any

from queuewatch.simulator.buckets import Series
from queuewatch.simulator.scenario import MEDIA_TYPES, MediaLoad, QueueSpec, name_id
from queuewatch.simulator.staffing import (
    IDLE,
    OFF_QUEUE,
    OFFLINE,
    ROUTING_STATUSES,
    SYSTEM_PRESENCES,
    Schedule,
)


class Agent:
    """A member of one queue: their shift, their routing status and presence, and since when."""

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

    def __init__(self, queue: Queue, index: int, schedule: Schedule, name: str) -> None:
        self.queue = queue
        self.index = index
        self.id = name_id("user", f"{queue.id}:{index}")
        self.name = name
        self.schedule = schedule
        self.conv: Conv | None = None
        self.status = OFF_QUEUE
        self.status_at = 0.0
        self.presence = OFFLINE
        self.post_status = IDLE
        self.post_until = 0.0
        self.forced_status = IDLE
        self.forced_until = 0.0


class Conv:
    """A conversation: when it arrived and, once routed, when it alerts, is answered and ends (or
    when it is abandoned), and by whom."""

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

    def __init__(self, queue: Queue, media: int, arrive: float, key: int) -> None:
        self.queue = queue
        self.media = media
        self.arrive = arrive
        self.key = key
        self.id = str(uuid.UUID(int=key, version=4))
        self.agent: Agent | None = None
        self.alert_at = self.answer_at = self.end_at = self.abandon_at = 0.0
        self.handle_ms = self.acw_ms = 0
        self.post_status = IDLE
        self.post_s = 0.0


class Stream:
    """Arrivals of one media type at one queue."""

    __slots__ = ("load", "media", "queue", "rate")

    def __init__(self, queue: Queue, media: int, load: MediaLoad) -> None:
        self.queue = queue
        self.media = media
        self.load = load
        self.rate = load.calls_per_hour / 3600.0


class Queue:
    """A queue: its agents, its conversations by media type and state, and its per-minute buckets."""

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
        self.streams = [Stream(self, i, spec.media[MEDIA_TYPES[i]]) for i in self.media]
        self.agents: list[Agent] = []
        self.free: list[tuple[float, int]] = []
        self.waiting: dict[int, dict[Conv, None]] = {m: {} for m in self.media}
        self.alerting: dict[int, dict[Conv, None]] = {m: {} for m in self.media}
        self.interacting: dict[int, dict[Conv, None]] = {m: {} for m in self.media}
        self.series: dict[int, Series] = {m: Series() for m in self.media}
        self.status_counts = [0] * len(ROUTING_STATUSES)
        self.presence_counts = [0] * len(SYSTEM_PRESENCES)
        self.dnis = f"tel:+1800555{index % 10000:04d}"


#: The conversations of a media type a queue does not handle.
NO_CONVERSATIONS: dict[Any, None] = {}
