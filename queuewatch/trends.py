"""The last half hour of each queue: waiting and longest wait, for the detail screen's sparklines.

Pure: no textual, no rich. Each queue keeps a bounded ring buffer (``deque(maxlen=...)``) of
samples, one per ``spacing``-second slot (the latest figures in it), so memory is bounded whatever
the poll interval: ``window / spacing + 1`` samples per queue (181 by default). Samples older than
``window`` seconds before the newest snapshot are dropped; queues that leave the snapshot are
forgotten.

Memory is bounded whatever the number of queues, too: all queues together keep at most ``budget``
samples (about 100 bytes each), so in a large org the slots widen (5,000 queues: one sample every
46 s, 40 per queue) rather than the buffers growing to some 80 MB.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from queuewatch.model import QueueStats

#: How far back the trend goes, and the least time between two samples, in seconds.
WINDOW_S = 30 * 60.0
SPACING_S = 10.0
#: Samples kept across all queues at most.
BUDGET = 200_000


class Sample(NamedTuple):
    """One queue at one moment: seconds since the epoch, waiting and longest wait (None: unknown).

    A named tuple rather than a frozen dataclass: one is made per queue per poll, and this is
    several times cheaper to make.
    """

    at: float
    waiting: int | None
    longest_wait_s: float | None


class Trends:
    """Per queue, a ring buffer of recent samples."""

    def __init__(self, window: float = WINDOW_S, spacing: float = SPACING_S, budget: int = BUDGET) -> None:
        if spacing <= 0 or window < spacing:
            raise ValueError("spacing must be positive and no longer than the window")
        self.window = window
        self.min_spacing = spacing
        self.budget = budget
        self.spacing = spacing
        """The slot width in force: ``min_spacing``, or wider when the budget needs it."""
        self.maxlen = int(window // spacing) + 1
        """Samples per queue at most, in force."""
        self._samples: dict[str, deque[Sample]] = {}

    def _fit_budget(self, queue_count: int) -> None:
        full = int(self.window // self.min_spacing) + 1
        maxlen = max(2, min(full, self.budget // max(1, queue_count)))
        if maxlen != self.maxlen:
            self.maxlen = maxlen
            self.spacing = self.min_spacing if maxlen == full else self.window / (maxlen - 1)

    def add(self, taken_at: datetime, queues: Iterable[QueueStats]) -> None:
        """Record a snapshot's queues taken at ``taken_at``."""
        at = taken_at.timestamp()
        queues = list(queues)
        self._fit_budget(len(queues))
        samples: dict[str, deque[Sample]] = {}
        for stats in queues:
            ring = self._samples.get(stats.id)
            if ring is None or ring.maxlen != self.maxlen:
                ring = deque(ring or (), maxlen=self.maxlen)
            sample = Sample(at, stats.waiting, stats.longest_wait_s)
            if ring and self._slot(ring[-1].at) == self._slot(at):
                ring[-1] = sample  # one sample per slot: the latest figures in it
            else:
                ring.append(sample)
            while ring and at - ring[0].at > self.window:
                ring.popleft()
            samples[stats.id] = ring
        self._samples = samples

    def _slot(self, at: float) -> int:
        return int(at // self.spacing)

    def samples(self, queue_id: str) -> list[Sample]:
        """The queue's samples, oldest first (empty if it has none)."""
        return list(self._samples.get(queue_id, ()))

    def waiting(self, queue_id: str) -> list[float]:
        """Waiting over time, oldest first; unknown samples left out."""
        return [float(s.waiting) for s in self.samples(queue_id) if s.waiting is not None]

    def longest_wait(self, queue_id: str) -> list[float]:
        """Longest wait (seconds) over time, oldest first; unknown samples left out."""
        return [s.longest_wait_s for s in self.samples(queue_id) if s.longest_wait_s is not None]
