"""Staffing: who works when, under what name, and the statuses Genesys reports them in.

Every agent has a shift on a 5-minute grid (:func:`make_schedule`): logging in, on queue, two
breaks, lunch, sometimes a meeting, logging out, each segment a system presence. Days are local
days of the scenario's time zone (:class:`LocalDays`). While on queue an agent's routing status is
IDLE, INTERACTING, NOT_RESPONDING or COMMUNICATING; otherwise OFF_QUEUE (offline agents are not
counted at all). The event engine decides which, from the conversations it routes.
"""

from __future__ import annotations

import random
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from queuewatch.simulator.scenario import name_id

ROUTING_STATUSES: tuple[str, ...] = ("IDLE", "INTERACTING", "NOT_RESPONDING", "COMMUNICATING", "OFF_QUEUE")
IDLE, INTERACTING, NOT_RESPONDING, COMMUNICATING, OFF_QUEUE = range(5)

SYSTEM_PRESENCES: tuple[str, ...] = ("AVAILABLE", "ON_QUEUE", "BUSY", "AWAY", "BREAK", "MEAL", "OFFLINE")
AVAILABLE, ON_QUEUE, BUSY, AWAY, BREAK, MEAL, OFFLINE = range(7)
#: Organization presence id of each system presence (one each).
PRESENCE_IDS: tuple[str, ...] = tuple(name_id("presence", p) for p in SYSTEM_PRESENCES)

#: Length of one step of the shift grid, in seconds.
GRID_S = 300.0

_FIRST_NAMES = (
    "Alex",
    "Sam",
    "Priya",
    "Jordan",
    "Maria",
    "Chen",
    "Fatima",
    "Liam",
    "Aoife",
    "Kenji",
    "Olivia",
    "Mateo",
    "Zara",
    "Noah",
    "Ingrid",
    "Tomás",
    "Yuki",
    "Amara",
    "Dmitri",
    "Grace",
)
_LAST_NAMES = (
    "Smith",
    "Patel",
    "García",
    "Nguyen",
    "O'Brien",
    "Kowalski",
    "Haddad",
    "Jones",
    "Müller",
    "Rossi",
    "Tanaka",
    "Okafor",
    "Dubois",
    "Silva",
    "Larsen",
    "Kim",
    "Murphy",
    "Ahmed",
)


def agent_name(rng: random.Random) -> str:
    """A first and a last name."""
    return f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"


class LocalDays:
    """Start and end (Unix seconds) of local calendar days, memoised."""

    def __init__(self, tz: ZoneInfo) -> None:
        self._tz = tz
        self._starts: list[float] = []
        self._ends: list[float] = []
        self._last = (0.0, 0.0)

    def bounds(self, t: float) -> tuple[float, float]:
        last = self._last
        if last[0] <= t < last[1]:
            return last
        i = bisect_right(self._starts, t) - 1
        if i >= 0 and t < self._ends[i]:
            found = (self._starts[i], self._ends[i])
        else:
            local = datetime.fromtimestamp(t, self._tz)
            midnight = datetime(local.year, local.month, local.day, tzinfo=self._tz)
            following = midnight.date() + timedelta(days=1)
            end = datetime(following.year, following.month, following.day, tzinfo=self._tz)
            found = (midnight.timestamp(), end.timestamp())
            j = bisect_left(self._starts, found[0])
            self._starts.insert(j, found[0])
            self._ends.insert(j, found[1])
        self._last = found
        return found


@dataclass(frozen=True)
class Schedule:
    """An agent's day: presence segments starting at offsets (seconds after local midnight)."""

    starts: tuple[float, ...]
    presences: tuple[int, ...]
    on_queue: tuple[tuple[float, float], ...]

    def presence_at(self, days: LocalDays, t: float) -> int:
        """The presence the shift gives at time ``t``."""
        start, _ = days.bounds(t)
        return self.presences[bisect_right(self.starts, t - start) - 1]

    def segment_start(self, days: LocalDays, t: float) -> float:
        """When the segment of the shift holding ``t`` began."""
        start, _ = days.bounds(t)
        return start + self.starts[max(0, bisect_right(self.starts, t - start) - 1)]

    def next_boundary(self, days: LocalDays, t: float) -> float:
        """When the next segment after ``t`` begins."""
        start, end = days.bounds(t)
        starts = self.starts
        i = bisect_right(starts, t - start)
        if i < len(starts):
            return start + starts[i]
        return end + (starts[1] if len(starts) > 1 else 0.0)

    def on_queue_from(self, days: LocalDays, t: float) -> float:
        """Earliest time >= t at which the shift has the agent on queue."""
        start, end = days.bounds(t)
        tod = t - start
        segments = self.on_queue
        for s, e in segments:
            if tod < e:
                return start + (s if s > tod else tod)
        return end + segments[0][0] if segments else float("inf")


def make_schedule(rng: random.Random, cache: dict[tuple[int, ...], Schedule]) -> Schedule:
    """A shift with log-in/out edges, two breaks, lunch and sometimes a meeting (5-minute grid).

    Shifts alike are one object (``cache``): thousands of agents share a few hundred shifts.
    """
    pick = rng.random()
    if pick < 0.6:
        start = rng.randint(84, 114)  # 07:00-09:30, in 5-minute steps
    elif pick < 0.85:
        start = rng.randint(120, 144)  # 10:00-12:00
    else:
        start = rng.randint(150, 162)  # 12:30-13:30
    login = rng.randint(1, 3)
    break1 = start + 24 + rng.randint(-2, 2)
    lunch = start + 48 + rng.randint(-3, 3)
    meeting = start + 66 + rng.randint(-2, 2) if rng.random() < 0.15 else 0
    break2 = start + 78 + rng.randint(-2, 2)
    end = start + 102
    logout = rng.randint(1, 2)
    key = (start, login, break1, lunch, meeting, break2, end, logout)
    cached = cache.get(key)
    if cached is not None:
        return cached
    segments = [
        (0, OFFLINE),
        (start - login, AVAILABLE),
        (start, ON_QUEUE),
        (break1, BREAK),
        (break1 + 3, ON_QUEUE),
        (lunch, MEAL),
        (lunch + 6, ON_QUEUE),
    ]
    if meeting:
        segments += [(meeting, BUSY), (meeting + 6, ON_QUEUE)]
    segments += [(break2, BREAK), (break2 + 3, ON_QUEUE), (end, AVAILABLE), (end + logout, OFFLINE)]
    starts = tuple(s * GRID_S for s, _ in segments)
    presences = tuple(p for _, p in segments)
    on_queue = tuple((starts[i], starts[i + 1]) for i in range(len(starts) - 1) if presences[i] == ON_QUEUE)
    schedule = Schedule(starts=starts, presences=presences, on_queue=on_queue)
    cache[key] = schedule
    return schedule
