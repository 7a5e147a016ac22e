"""What the poller needs from a source of queue statistics.

``queuewatch.genesys.GenesysSource`` is the real one; ``queuewatch.push.PushSource`` wraps it to
take live figures from the Notifications API. The protocols live here, apart from the SDK, so the
poller and the UI can be written (and type-checked) without importing it.

Besides :class:`QueueSource`, a source may be :class:`LiveReporting` (it says whether its live
figures come by push or by polling, and wakes the poller when an event arrives), and an adapter may
offer :class:`NotificationChannels` (the channel and subscription calls of the Notifications API).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, Protocol, TypeVar, runtime_checkable

from queuewatch.errors import SourceError
from queuewatch.model import AgentActivity, QueueInfo, QueueLive, QueueToday

T = TypeVar("T")

#: Where live figures come from: ``push`` (Notifications API), ``poll`` (the observation query),
#: or ``auto`` (push, polling when push cannot be had).
LiveMode = Literal["auto", "push", "poll"]
LIVE_MODES: tuple[LiveMode, ...] = ("auto", "push", "poll")

#: Requests per minute per token, as Genesys documents it (``token.rate.per.minute``, also
#: ``client.credentials.token.rate.per.minute``). It no longer reports it at run time.
DOCUMENTED_ALLOWANCE = 300


@dataclass(frozen=True, slots=True)
class BatchFailure:
    """One batch of a batched query failed; its queues are unknown for this poll."""

    queue_ids: tuple[str, ...]
    error: SourceError


@dataclass(frozen=True, slots=True)
class PartResult(Generic[T]):
    """Per-queue results of a batched query, and the batches that failed.

    A queue that is in no failed batch and has no entry in ``values`` got no reply from the API.
    """

    values: Mapping[str, T] = field(default_factory=dict)
    failures: tuple[BatchFailure, ...] = ()

    @property
    def failed_ids(self) -> frozenset[str]:
        return frozenset(q for f in self.failures for q in f.queue_ids)


@dataclass(frozen=True, slots=True)
class RateStatus:
    """What a source knows of its request rate: the requests this process made in the last 60 s.

    Genesys does not say how many a token has left: the ``inin-ratelimit-*`` headers that did were
    removed in June 2021. The poller plans against the documented allowance and the 429s it meets
    (``poller.Allowance``).
    """

    last_minute: int = 0
    refused_last_minute: int = 0
    """Of ``last_minute``, the requests Genesys refused with a 429."""


class QueueSource(Protocol):
    """A place queue statistics come from (Genesys Cloud, or the simulator standing in for it)."""

    #: What the status bar calls it: a region name, a host, or "demo".
    label: str
    #: The IANA zone whose midnight starts "today" for ``today``.
    timezone: str

    def list_queues(self) -> list[QueueInfo]:
        """Every visible queue (after the configured name pattern and divisions)."""
        ...

    def observe(self, queues: Sequence[QueueInfo]) -> PartResult[QueueLive]:
        """Live figures. Raises the first error only if every batch failed."""
        ...

    def today(self, queues: Sequence[QueueInfo]) -> PartResult[QueueToday]:
        """Local midnight to now. Raises the first error only if every batch failed."""
        ...

    def agent_activity(self, queue_ids: Sequence[str]) -> PartResult[tuple[AgentActivity, ...]]:
        """Each queue's members one by one, with their routing status and since when (one request
        per queue asked for, plus a name lookup for agents not seen before)."""
        ...

    def rate_status(self) -> RateStatus: ...

    def cost(self, queues: int) -> int:
        """Requests one ``observe`` (or ``today``, or listing) of this many queues takes."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class LiveState:
    """Where a source's live figures come from right now, for the poller and the status bar.

    ``mode`` is ``"push"`` (events over a WebSocket; ``observe`` answers from memory) or
    ``"poll"`` (every ``observe`` queries). Times are ``time.monotonic()`` values.
    """

    mode: Literal["push", "poll"]
    last_event_at: float | None = None
    """When the last queue event arrived (None: none yet)."""
    note: str = ""
    """Why the mode is not the one asked for, and what happens next (empty when all is well)."""
    requests_per_minute: float = 0.0
    """What the live figures cost in push mode (the resyncs), for the request budget."""
    events: int = 0
    bad_events: int = 0
    push_again_at: float | None = None
    """When polling stands in for push, when push is tried again."""
    heartbeat_at: float | None = None
    """By push, the stalest channel's last heartbeat or pong (``time.monotonic()``-like)."""


@runtime_checkable
class LiveReporting(Protocol):
    """A source that can say how its live figures arrive, and nudge the poller when they change."""

    def live_state(self) -> LiveState: ...

    def set_wakeup(self, wakeup: Callable[[], None]) -> None:
        """``wakeup()`` is called (from any thread) when new live figures have arrived."""
        ...


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """A notification channel: where its WebSocket is, and when it ends (epoch seconds, if said)."""

    id: str
    connect_uri: str
    expires_at: float | None = None


@dataclass(frozen=True, slots=True)
class TopicState:
    """What a subscription request said of one topic."""

    topic: str
    permitted: bool
    reason: str = ""
    missing_permissions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TopicInfo:
    """A topic the org offers (``GET /api/v2/notifications/availabletopics``)."""

    id: str
    permissions: tuple[str, ...] = ()
    schema_title: str | None = None
    description: str = ""


@runtime_checkable
class NotificationChannels(Protocol):
    """The Notifications API's REST calls (the WebSocket is the caller's business)."""

    def create_channel(self) -> ChannelInfo: ...

    def subscribe(self, channel_id: str, topics: Sequence[str]) -> list[TopicState]:
        """Replace the channel's topics with ``topics``; what became of each."""
        ...

    def available_topics(self) -> list[TopicInfo]: ...
