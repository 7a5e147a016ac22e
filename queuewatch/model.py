"""Queue statistics as plain, frozen data.

Pure: no textual, no rich, no SDK. A value the API did not return is ``None`` (unknown), never 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

#: Routing statuses reported by ``oUserRoutingStatuses``, mapped to our field names.
ROUTING_STATUSES: Mapping[str, str] = {
    "IDLE": "idle",
    "INTERACTING": "interacting",
    "NOT_RESPONDING": "not_responding",
    "COMMUNICATING": "communicating",
    "OFF_QUEUE": "off_queue",
}

#: Media types as analytics names them (queue configuration says ``call`` for ``voice``).
MEDIA_TYPES = ("voice", "chat", "email", "message", "callback")


@dataclass(frozen=True, slots=True)
class ServiceLevelTarget:
    """A queue's configured service level: ``percentage`` (0-1) answered within ``seconds``."""

    percentage: float
    seconds: float


@dataclass(frozen=True, slots=True)
class QueueInfo:
    """A queue as listed by ``GET /api/v2/routing/queues``."""

    id: str
    name: str
    division: str | None = None
    division_id: str | None = None
    member_count: int | None = None
    #: Per analytics media type (``voice``, ``chat`` ...), from the queue's media settings.
    sl_targets: Mapping[str, ServiceLevelTarget] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Agents:
    """Queue members by routing status, plus ``on_queue``.

    ``idle`` is Genesys's IDLE routing status: on queue and ready for the next conversation
    ("available" is a presence in Genesys, not this).
    """

    idle: int | None = None
    interacting: int | None = None
    not_responding: int | None = None
    communicating: int | None = None
    off_queue: int | None = None
    on_queue: int | None = None


@dataclass(frozen=True, slots=True)
class Today:
    """Figures for local midnight to now. Rates are 0-1; times are seconds."""

    offered: int | None = None
    answered: int | None = None
    abandoned: int | None = None
    abandon_rate: float | None = None
    service_level: float | None = None
    sl_target: float | None = None
    asa_s: float | None = None
    aht_s: float | None = None


@dataclass(frozen=True, slots=True)
class Live:
    """Conversation counts right now."""

    waiting: int | None = None
    longest_wait_s: float | None = None
    interacting: int | None = None
    alerting: int | None = None
    longest_wait_exact: bool = True
    """False when ``longest_wait_s`` is only a lower bound: Genesys truncated its list of waiting
    conversations, and the oldest may not be in it."""


def live_total(by_media: Mapping[str, Live]) -> Live:
    """A queue's live figures from its media types': counts summed, the longest wait the longest
    of those with something waiting (unknown if one of them is), a bound if any is a bound."""
    waiting = sum(m.waiting or 0 for m in by_media.values())
    waits = [m.longest_wait_s for m in by_media.values() if m.waiting]
    longest_wait: float | None = 0.0
    if waiting:
        longest_wait = None if None in waits else max(w or 0.0 for w in waits)
    return Live(
        waiting=waiting,
        longest_wait_s=longest_wait,
        interacting=sum(m.interacting or 0 for m in by_media.values()),
        alerting=sum(m.alerting or 0 for m in by_media.values()),
        # A bound on one media type bounds the queue's too: its oldest may be the one not listed.
        longest_wait_exact=all(m.longest_wait_exact for m in by_media.values()),
    )


@dataclass(frozen=True, slots=True)
class MediaStats:
    """The part of a queue's figures that the API splits by media type."""

    live: Live = Live()
    today: Today = Today()


@dataclass(frozen=True, slots=True)
class QueueLive:
    """What one observation query says about one queue."""

    live: Live = Live()
    agents: Agents = Agents()
    members: int | None = None
    by_media: Mapping[str, Live] = field(default_factory=dict)
    #: Oldest-first waiting conversations: (conversation id, media type, seconds waiting).
    waiting_detail: tuple[tuple[str, str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class QueueToday:
    """What one aggregates query says about one queue."""

    today: Today = Today()
    by_media: Mapping[str, Today] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QueueStats:
    """Everything queuewatch knows about one queue at one moment."""

    id: str
    name: str
    division: str | None = None
    waiting: int | None = None
    longest_wait_s: float | None = None
    interacting: int | None = None
    alerting: int | None = None
    #: False when ``longest_wait_s`` is only a lower bound (see ``Live.longest_wait_exact``).
    longest_wait_exact: bool = True
    agents: Agents = Agents()
    members: int | None = None
    today: Today = Today()
    #: The media types the queue handles (see ``handles_media``), and their figures.
    by_media: Mapping[str, MediaStats] = field(default_factory=dict)
    #: Oldest-first waiting conversations: (conversation id, media type, seconds waiting).
    waiting_detail: tuple[tuple[str, str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class AgentActivity:
    """One member of a queue as the routing activity query sees them: routing status and since when.

    ``status`` is one of ``ROUTING_STATUSES``' values (``idle``, ``not_responding`` ...);
    ``seconds`` how long they have been in it (None: Genesys did not say); ``name`` their name
    when it could be looked up.
    """

    user_id: str
    status: str
    seconds: float | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class PartFailure:
    """A part of a snapshot that could not be fetched: which call, which queues, and why."""

    part: str  # "queues", "observations" or "aggregates"
    kind: str  # SourceError.kind
    message: str
    queue_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every visible queue's figures, and what failed while gathering them.

    ``taken_at`` is when the live part was fetched; ``today_at`` when the day's aggregates were.
    A queue whose part failed carries ``None`` for that part, and ``errors`` says so.
    """

    taken_at: datetime
    queues: tuple[QueueStats, ...]
    errors: tuple[PartFailure, ...] = ()
    today_at: datetime | None = None
    agent_activity: Mapping[str, tuple[AgentActivity, ...]] = field(default_factory=dict)
    """Per queue id, its agents one by one: only for the queues asked for (the one in detail)."""

    @property
    def partial(self) -> bool:
        return bool(self.errors)


def handles_media(live: Live | None, today: Today | None) -> bool:
    """Whether a queue handles a media type, from that type's figures: it has a conversation of
    it now (waiting, alerting or interacting), or had one today (offered, answered, abandoned or
    handled since midnight).

    Nothing else a real org says tells the types apart: an observation reply carries a group for
    every media type of every queue, with zero counts, and a queue's ``mediaSettings`` lists every
    type too. A queue configured for chat that has had no chat today is therefore not listed under
    chat until its first chat arrives.
    """
    now = live is not None and any((live.waiting, live.alerting, live.interacting))
    had = today is not None and (
        any((today.offered, today.answered, today.abandoned)) or today.aht_s is not None
    )
    return now or had


def combine(queue: QueueInfo, live: QueueLive | None, today: QueueToday | None) -> QueueStats:
    """Join a listed queue with its live and today figures; a missing part stays unknown.

    ``by_media`` keeps only the media types the queue handles (``handles_media``).
    """
    media_names = set(live.by_media if live is not None else ())
    media_names.update(today.by_media if today is not None else ())
    by_media: dict[str, MediaStats] = {}
    for media in sorted(media_names):
        media_live = live.by_media.get(media) if live is not None else None
        media_today = today.by_media.get(media) if today is not None else None
        if handles_media(media_live, media_today):
            by_media[media] = MediaStats(live=media_live or Live(), today=media_today or Today())
    the_live = live.live if live is not None else Live()
    members = live.members if live is not None else None
    return QueueStats(
        id=queue.id,
        name=queue.name,
        division=queue.division,
        waiting=the_live.waiting,
        longest_wait_s=the_live.longest_wait_s,
        interacting=the_live.interacting,
        alerting=the_live.alerting,
        longest_wait_exact=the_live.longest_wait_exact,
        agents=live.agents if live is not None else Agents(),
        members=members if members is not None else queue.member_count,
        today=today.today if today is not None else Today(),
        by_media=by_media,
        waiting_detail=live.waiting_detail if live is not None else (),
    )


def build_snapshot(
    queues: Iterable[QueueInfo],
    live: Mapping[str, QueueLive],
    today: Mapping[str, QueueToday] | None,
    taken_at: datetime,
    errors: Iterable[PartFailure] = (),
    today_at: datetime | None = None,
    today_failed: frozenset[str] = frozenset(),
    agent_activity: Mapping[str, tuple[AgentActivity, ...]] | None = None,
) -> Snapshot:
    """Assemble a snapshot from a queue list and the per-queue parts.

    A queue with no entry in ``live`` is unknown (the API said nothing about it). The aggregates API
    leaves out queues with no conversations, so a queue with no entry in ``today`` had none: zero,
    unless its batch failed (``today_failed``) or no aggregates were fetched at all (``today`` is None).
    """
    no_calls = QueueToday(today=Today(offered=0, answered=0, abandoned=0))
    stats = []
    for q in queues:
        td: QueueToday | None = None
        if today is not None and q.id not in today_failed:
            td = today.get(q.id, no_calls)
        stats.append(combine(q, live.get(q.id), td))
    return Snapshot(
        taken_at=taken_at,
        queues=tuple(stats),
        errors=tuple(errors),
        today_at=today_at,
        agent_activity=dict(agent_activity or {}),
    )


def keep_unchanged(snapshot: Snapshot, before: Mapping[str, QueueStats]) -> Snapshot:
    """``snapshot``, with the very object from ``before`` for each queue whose figures did not change.

    Whoever holds the earlier figures can then tell an unchanged queue by identity (``is``)
    instead of comparing every field: at 5,000 queues, most of which did not change since the
    last poll, that spares the UI thread the comparisons (they are made here, in the poller's).
    """
    queues = tuple(old if (old := before.get(q.id)) is not None and old == q else q for q in snapshot.queues)
    return replace(snapshot, queues=queues)
