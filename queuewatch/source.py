"""What the poller needs from a source of queue statistics.

``queuewatch.genesys.GenesysSource`` is the real one. The protocol lives here, apart from the SDK,
so the poller and the UI can be written (and type-checked) without importing it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from queuewatch.errors import SourceError
from queuewatch.model import AgentActivity, QueueInfo, QueueLive, QueueToday

T = TypeVar("T")

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
