"""Per-minute buckets: the simulator's record of completed conversations, which aggregates add up.

Each queue keeps a :class:`Series` per media type: one row of :data:`WIDTH` int32 per minute, for
at most :data:`KEEP_MINUTES` minutes. A row holds the conversations offered and, for each timer
(answered, abandoned, handle, talk, after-call work, short abandon), its count, sum, min and max in
milliseconds, plus those answered after the service level. :func:`credit` accounts one step of a
conversation in the minute it happened. An aggregates query sums the rows whose minute starts
inside the requested interval (:meth:`Series.totals`), so a bucket is counted in full even when
the interval ends part-way through it.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Sequence

#: Per-minute buckets older than this many minutes are dropped.
KEEP_MINUTES = 2 * 24 * 60
#: Abandons quicker than this count as short abandons.
SHORT_ABANDON_MS = 10_000

# The layout of a row: where each figure is. A timer takes four places: count, sum, min, max.
OFFERED = 0
ANSWERED = 1
ABANDONED = 5
HANDLE = 9
TALK = 13
ACW = 17
OVER_SLA = 21
SHORT_ABANDON = 22
WIDTH = 26
TIMERS = (ANSWERED, ABANDONED, HANDLE, TALK, ACW, SHORT_ABANDON)
#: Places that add up (counts and sums, not the min and max of a timer).
ADDITIVE = tuple(f for f in range(WIDTH) if not any(f in (t + 2, t + 3) for t in TIMERS))
NO_MIN = 2**31 - 1
_ZERO_ROW = array("i", [0] * WIDTH)
for _t in TIMERS:
    _ZERO_ROW[_t + 2] = NO_MIN

# The steps of a conversation that are accounted (:func:`credit`).
STEP_ARRIVE, STEP_ANSWER, STEP_ABANDON, STEP_END = range(4)


class Series:
    """Per-minute buckets of one queue and media type: sorted minute keys and rows of WIDTH ints."""

    __slots__ = ("data", "minutes")

    def __init__(self) -> None:
        self.minutes = array("l")
        self.data = array("i")

    def row(self, minute: int) -> int:
        """Offset of the row for ``minute`` in ``data``, created (zeroed) if absent."""
        minutes = self.minutes
        n = len(minutes)
        if n and minutes[-1] == minute:
            return (n - 1) * WIDTH
        if not n or minutes[-1] < minute:
            if n and minutes[0] < minute - KEEP_MINUTES:
                cut = bisect_left(minutes, minute - KEEP_MINUTES)
                del minutes[:cut]
                del self.data[: cut * WIDTH]
                n -= cut
            minutes.append(minute)
            self.data.extend(_ZERO_ROW)
            return n * WIDTH
        i = bisect_left(minutes, minute)
        if minutes[i] != minute:
            minutes.insert(i, minute)
            self.data[i * WIDTH : i * WIDTH] = _ZERO_ROW
        return i * WIDTH

    def totals(self, first_minute: int, end_minute: int) -> list[int] | None:
        """Column totals (sums; min/max for those columns) of rows in [first, end), or None if none."""
        lo = bisect_left(self.minutes, first_minute)
        hi = bisect_left(self.minutes, end_minute)
        if lo >= hi:
            return None
        data = self.data
        start, stop = lo * WIDTH, hi * WIDTH
        out = [sum(data[start + f : stop : WIDTH]) for f in range(WIDTH)]
        for timer in TIMERS:
            if out[timer]:
                out[timer + 2] = min(data[start + timer + 2 : stop : WIDTH])
                out[timer + 3] = max(data[start + timer + 3 : stop : WIDTH])
            else:
                out[timer + 2], out[timer + 3] = NO_MIN, 0
        return out


def merge_totals(into: list[int], more: Sequence[int]) -> None:
    """Add ``more`` into ``into``: counts and sums add up, min/max columns combine."""
    for f in ADDITIVE:
        into[f] += more[f]
    for timer in TIMERS:
        into[timer + 2] = min(into[timer + 2], more[timer + 2])
        into[timer + 3] = max(into[timer + 3], more[timer + 3])


def credit(series: Series, t: float, step: int, value: int, extra: int) -> None:
    """Account one completed step of a conversation in the bucket of the minute it happened.

    ``STEP_ANSWER``: ``value`` the wait in ms, ``extra`` 1 when past the service level;
    ``STEP_ABANDON``: ``value`` the wait in ms; ``STEP_END``: ``value`` the handle time in ms and
    ``extra`` its after-call work.
    """
    data = series.data
    off = series.row(int(t // 60))
    if step == STEP_ARRIVE:
        data[off + OFFERED] += 1
        return
    if step == STEP_ANSWER:
        fields: tuple[tuple[int, int], ...] = ((ANSWERED, value),)
        if extra:
            data[off + OVER_SLA] += 1
    elif step == STEP_ABANDON:
        fields = ((ABANDONED, value),)
        if value < SHORT_ABANDON_MS:
            fields += ((SHORT_ABANDON, value),)
    else:
        fields = ((HANDLE, value), (TALK, value - extra), (ACW, extra))
    for base, v in fields:
        o = off + base
        data[o] += 1
        data[o + 1] += v
        if v < data[o + 2]:
            data[o + 2] = v
        if v > data[o + 3]:
            data[o + 3] = v
