"""The event engine: a seeded discrete-event model of a contact centre, behind the API's queries.

:class:`ContactCentre` runs a scenario: Poisson arrivals per queue and media type whose rate follows
the time of day in the scenario's time zone, agents who work shifts with breaks and lunch
(``staffing.py``), FIFO routing to the agent free soonest, lognormal handle times, customers who
abandon when their patience runs out, and service-level accounting against each queue's target
(``buckets.py``). Its public methods answer the API's queries: each body is read by ``query.py``,
the events up to now are run, and the reply is built by ``replies.py`` from the state
(``state.py``).

How it stays cheap
    Routing is decided when a conversation arrives: each queue keeps a heap of "agent free at"
    times, so the answer (or abandon) time is known at once and the later steps become events on
    one global heap. The model advances lazily: every query first processes the events up to the
    current simulated time, so an idle centre costs nothing and a query only touches the queues it
    names.

Warm start
    At construction the day so far (local midnight to now) is replayed. Conversations that were
    completely over more than :data:`WARM_WINDOW_S` seconds ago are only accounted in the
    per-minute buckets; the last stretch runs event by event, so agents, waiting and interacting
    conversations are all live and consistent when the first query arrives.

Routing statuses
    ``oUserRoutingStatuses`` covers the queue's logged-in members (offline members are left out),
    so its counts add up to ``oActiveUsers``; ``OFF_QUEUE`` equals ``oOffQueueUsers`` and the other
    statuses add up to ``oOnQueueUsers``. ``oMemberUsers`` counts every member, offline included.
    The routing activity query gives the same members one by one, each with the time their
    routing status began (``routingStatusDate``); the users listing gives their names.

Staging (for tests and demos, through the server's admin endpoints)
    :meth:`ContactCentre.stage_waiting` puts a conversation in a queue that has waited so long and
    stays waiting; :meth:`ContactCentre.stage_today` adds answered (in or out of the service level)
    and abandoned conversations to today's figures; :meth:`ContactCentre.force_status` puts agents
    in a routing status for a while, as if it had begun some time ago.

All methods are thread-safe (one lock) and return JSON-ready dicts with the real API's
camelCase keys. Bad requests raise :class:`SimulatorValidationError`.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from queuewatch.simulator.buckets import (
    ABANDONED,
    ANSWERED,
    STEP_ABANDON,
    STEP_ANSWER,
    STEP_ARRIVE,
    STEP_END,
    credit,
    merge_totals,
)
from queuewatch.simulator.query import (
    Clause,
    SimulatorValidationError,
    aggregate_query,
    name_matcher,
    observation_query,
    routing_activity_query,
)
from queuewatch.simulator.replies import (
    MAX_OBSERVATIONS,
    MAX_PAGE_SIZE,
    MAX_USERS_PAGE,
    TRUNCATIONS,
    activity_result,
    aggregate_metrics,
    conversation_metric,
    iso_ms,
    presence_mappings,
    queue_listing,
    user_data,
    users_page,
)
from queuewatch.simulator.scenario import MEDIA_TYPES, Scenario
from queuewatch.simulator.staffing import (
    BREAK,
    COMMUNICATING,
    IDLE,
    INTERACTING,
    NOT_RESPONDING,
    OFF_QUEUE,
    OFFLINE,
    ON_QUEUE,
    ROUTING_STATUSES,
    LocalDays,
    Schedule,
    agent_name,
    make_schedule,
)
from queuewatch.simulator.state import Agent, Conv, Queue, Stream

__all__ = ["ContactCentre", "SimulatorValidationError"]

#: Seconds before "now" from which the warm start runs event by event.
WARM_WINDOW_S = 25 * 60.0

# Arrival rate relative to the peak hour, at each local hour 0..24 (linear in between). Queues are
# open 07:00-22:00; outside those hours callers hear a closed message and never reach a queue.
_DAY_PROFILE = (
    *(0.0,) * 7,  # 00:00-06:00
    0.0,  # 07:00
    0.35,
    0.7,
    0.92,
    1.0,
    0.82,
    0.78,
    0.9,
    0.97,
    0.85,
    0.62,
    0.4,
    0.25,
    0.16,
    0.1,
    0.0,  # 22:00
    0.0,
    0.0,
)
# Seconds an agent's device rings before answer, per media type.
_ALERT_S = {
    "voice": (2.0, 8.0),
    "chat": (1.0, 5.0),
    "email": (1.0, 4.0),
    "message": (1.0, 5.0),
    "callback": (2.0, 6.0),
}
# Seconds an agent's device rings before answer, per media type.
_ALERT_S = {
    "voice": (2.0, 8.0),
    "chat": (1.0, 5.0),
    "email": (1.0, 4.0),
    "message": (1.0, 5.0),
    "callback": (2.0, 6.0),
}
_P_NOT_RESPONDING = 0.03
_P_COMMUNICATING = 0.05

# Event kinds.
_K_ARRIVE, _K_ALERT, _K_ANSWER, _K_END, _K_ABANDON, _K_SETTLE, _K_BOUNDARY, _K_CUTOFF = range(8)


class ContactCentre:
    """The simulated contact centre. See the module docstring."""

    def __init__(
        self,
        scenario: Scenario,
        seed: int = 0,
        speed: float = 1.0,
        clock: Callable[[], float] = time.time,
        start: float | None = None,
    ) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self.scenario = scenario
        self.seed = seed
        self.speed = speed
        self._clock = clock
        self._clock0 = clock()
        self._start_sim = self._clock0 if start is None else float(start)
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._days = LocalDays(ZoneInfo(scenario.timezone))
        self._heap: list[tuple[float, int, int, Any]] = []
        self._seq = itertools.count()
        self._schedules: dict[tuple[int, ...], Schedule] = {}
        self._queues = [Queue(spec, i) for i, spec in enumerate(scenario.queues)]
        self._by_id = {q.id: q for q in self._queues}
        if len(self._by_id) != len(self._queues):
            raise ValueError("queue ids in the scenario must be unique")
        self._by_division: dict[str, list[str]] = {}
        for q in self._queues:
            self._by_division.setdefault(q.spec.division_id, []).append(q.id)
        self._sorted = sorted(self._queues, key=lambda q: (q.spec.name.casefold(), q.id))
        self._handlers: tuple[Callable[[float, Any], None], ...] = (
            self._on_arrive,
            self._on_alert,
            self._on_answer,
            self._on_end,
            self._on_abandon,
            self._on_settle,
            self._on_boundary,
            self._on_cutoff,
        )
        self._feeds: list[dict[str, float]] = []
        self._staff()
        self._warm_start()

    # ----------------------------------------------------------------- public queries

    def sim_time(self) -> float:
        """The current simulated time (Unix seconds)."""
        return self._start_sim + (self._clock() - self._clock0) * self.speed

    def queue_ids(self) -> list[str]:
        """Ids of the queues that exist (not deleted), in scenario order."""
        with self._lock:
            return [q.id for q in self._queues if not q.deleted]

    def open_change_feed(self) -> dict[str, float]:
        """Start recording which queues change: read it with :meth:`take_changes`, stop with
        :meth:`close_change_feed`. (The notification service publishes from one.)"""
        feed: dict[str, float] = {}
        with self._lock:
            self._feeds.append(feed)
        return feed

    def close_change_feed(self, feed: dict[str, float]) -> None:
        with self._lock:
            self._feeds = [f for f in self._feeds if f is not feed]

    def take_changes(self, feed: dict[str, float]) -> dict[str, float]:
        """Queues that changed since the last call (first advancing to now), each with the
        simulated time of its first change since then. A change may leave the figures as they were."""
        with self._lock:
            self._sync()
            changes = dict(feed)
            feed.clear()
        return changes

    def activity(self, queue_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """What the queue observation topic says of each queue, per media type it handles:
        ``{"voice": {"oWaiting": n, "oInteracting": n, "oAlerting": n, "oldestWaiting": t | None,
        "oldestInteracting": t | None}}`` (Unix seconds). Unknown and deleted queues are left out."""
        found: dict[str, dict[str, Any]] = {}
        with self._lock:
            self._sync()
            for queue_id in queue_ids:
                q = self._by_id.get(queue_id)
                if q is None or q.deleted:
                    continue
                media: dict[str, Any] = {}
                for m in q.media:
                    waiting, interacting = q.waiting[m], q.interacting[m]
                    media[MEDIA_TYPES[m]] = {
                        "oWaiting": len(waiting),
                        "oInteracting": len(interacting),
                        "oAlerting": len(q.alerting[m]),
                        "oldestWaiting": min((c.arrive for c in waiting), default=None),
                        "oldestInteracting": min((c.answer_at for c in interacting), default=None),
                    }
                found[queue_id] = media
        return found

    def delete_queue(self, queue_id: str) -> bool:
        """Delete a queue; returns False if there was no such queue."""
        with self._lock:
            queue = self._by_id.get(queue_id)
            if queue is None or queue.deleted:
                return False
            queue.deleted = True
            return True

    def list_queues(
        self,
        page_number: int = 1,
        page_size: int = 25,
        name: str | None = None,
        division_ids: Sequence[str] = (),
        ids: Sequence[str] = (),
    ) -> dict[str, Any]:
        """``GET /api/v2/routing/queues`` as a QueueEntityListing."""
        if page_size < 1 or page_size > MAX_PAGE_SIZE:
            raise SimulatorValidationError(f"pageSize must be from 1 to {MAX_PAGE_SIZE}")
        if page_number < 1:
            raise SimulatorValidationError("pageNumber must be 1 or more")
        match = name_matcher(name)
        wanted_divisions = set(division_ids)
        wanted_ids = set(ids)
        with self._lock:
            selected = [
                q
                for q in self._sorted
                if not q.deleted
                and match(q.spec.name)
                and (not wanted_divisions or q.spec.division_id in wanted_divisions)
                and (not wanted_ids or q.id in wanted_ids)
            ]
        return queue_listing(selected, page_number, page_size, name, division_ids, ids)

    def observations(
        self,
        body: Mapping[str, Any],
        max_predicates: int = 100,
        detail_limit: int = MAX_OBSERVATIONS,
        truncation: str = "ends",
    ) -> dict[str, Any]:
        """``POST /api/v2/analytics/queues/observations/query`` as a QueueObservationQueryResponse.

        As in a real org, every queue gets a group for every media type, with zero counts where it
        has no conversations of that type. A detail list longer than ``detail_limit`` is cut to that
        many and marked ``truncated``, keeping what ``truncation`` says (see ``replies.TRUNCATIONS``).
        """
        if truncation not in TRUNCATIONS:
            raise ValueError(f"truncation must be one of {', '.join(TRUNCATIONS)}")
        query = observation_query(body, max_predicates)
        clause, details = query.clause, query.details
        results: list[dict[str, Any]] = []
        with self._lock:
            self._sync()
            for q in self._select(clause):
                values: dict[str, str | None] = {"queueId": q.id, "mediaType": None}
                if query.user_metrics and clause.matches(values):
                    results.append({"group": {"queueId": q.id}, "data": user_data(q, query.user_metrics)})
                if not query.conversation_metrics:
                    continue
                for media, media_type in enumerate(MEDIA_TYPES):
                    values["mediaType"] = media_type
                    if not clause.matches(values):
                        continue
                    data = [
                        conversation_metric(q, media, m, m in details, detail_limit, truncation)
                        for m in query.conversation_metrics
                    ]
                    results.append({"group": {"queueId": q.id, "mediaType": media_type}, "data": data})
        return {"systemToOrganizationMappings": presence_mappings(), "results": results}

    def aggregates(self, body: Mapping[str, Any], max_predicates: int = 100) -> dict[str, Any]:
        """``POST /api/v2/analytics/conversations/aggregates/query`` (queue figures only)."""
        query = aggregate_query(body, max_predicates)
        clause, group_by, periods = query.clause, query.group_by, query.periods
        groups: dict[tuple[str, ...], tuple[dict[str, str], list[list[int] | None], list[float]]] = {}
        with self._lock:
            self._sync()
            for q in self._select(clause, by_division=True):
                for media in q.media:
                    values = {
                        "queueId": q.id,
                        "mediaType": MEDIA_TYPES[media],
                        "divisionId": q.spec.division_id,
                    }
                    if clause is not None and not clause.matches(values):
                        continue
                    series = q.series[media]
                    key = tuple(values[d] for d in group_by)
                    target = q.spec.media[MEDIA_TYPES[media]].sl_percentage
                    for i, (s, e) in enumerate(periods):
                        totals = series.totals(math.ceil(s / 60), math.ceil(e / 60))
                        if totals is None:
                            continue
                        if key not in groups:
                            groups[key] = (
                                {d: values[d] for d in group_by},
                                [None] * len(periods),
                                [0.0, 0.0],
                            )
                        entry = groups[key]
                        into = entry[1][i]
                        if into is None:
                            entry[1][i] = totals
                        else:
                            merge_totals(into, totals)
                        denominator = totals[ANSWERED] + totals[ABANDONED]
                        entry[2][0] += target * denominator
                        entry[2][1] += denominator
        results: list[dict[str, Any]] = []
        for group, per_period, (weighted_target, weight) in groups.values():
            group_target = round(weighted_target / weight, 4) if weight else None
            data = []
            for (s, e), totals in zip(periods, per_period, strict=True):
                if totals is None:
                    continue
                metric_data = aggregate_metrics(totals, query.metrics, group_target)
                if metric_data:
                    data.append({"interval": f"{iso_ms(s)}/{iso_ms(e)}", "metrics": metric_data})
            if data:
                result: dict[str, Any] = {"group": group} if group else {}
                result["data"] = data
                results.append(result)
        return {"results": results}

    def routing_activity(self, body: Mapping[str, Any], max_predicates: int = 100) -> dict[str, Any]:
        """``POST /api/v2/analytics/routing/activity/query``: a queue's members one by one.

        Grouped by queue (``groupBy`` must hold ``queueId``); with ``details`` on a metric, each
        count lists its users (``entityIds``) and the result lists each user (``entities``) with
        their routing status and when it began. Offline members are left out, as in observations.
        """
        query = routing_activity_query(body, max_predicates)
        clause = query.clause
        results: list[dict[str, Any]] = []
        with self._lock:
            self._sync()
            for q in self._select(clause):
                agents = [
                    a
                    for a in q.agents
                    if a.presence != OFFLINE
                    and (
                        clause is None
                        or clause.matches(
                            {"queueId": q.id, "userId": a.id, "routingStatus": ROUTING_STATUSES[a.status]}
                        )
                    )
                ]
                results.append(activity_result(q, agents, query.metrics, self._now))
        return {"results": results, "entityIdDimension": "userId"}

    def users(self, ids: Sequence[str], page_size: int = 25, page_number: int = 1) -> dict[str, Any]:
        """``GET /api/v2/users?id=…``: the named users (unknown ids are left out)."""
        if page_size < 1 or page_size > MAX_USERS_PAGE:
            raise SimulatorValidationError(f"pageSize must be from 1 to {MAX_USERS_PAGE}")
        with self._lock:
            by_id = {a.id: a for q in self._queues for a in q.agents}
            wanted = [by_id[i] for i in dict.fromkeys(ids) if i in by_id] if ids else list(by_id.values())
        return users_page(wanted, page_size, page_number)

    # ----------------------------------------------------------------- staging

    def _queue_for_staging(self, queue_id: str) -> Queue:
        queue = self._by_id.get(queue_id)
        if queue is None or queue.deleted:
            raise KeyError(queue_id)
        return queue

    def _media_of(self, queue: Queue, media: str) -> int:
        index = MEDIA_TYPES.index(media) if media in MEDIA_TYPES else -1
        if index not in queue.media:
            handled = ", ".join(MEDIA_TYPES[m] for m in queue.media)
            raise SimulatorValidationError(f"queue {queue.spec.name!r} handles {handled}, not {media!r}")
        return index

    def stage_waiting(self, queue_id: str, media: str, waited_s: float) -> str:
        """A conversation of ``media`` that has waited ``waited_s`` seconds and stays waiting (no
        agent takes it, nobody abandons). Returns its id. KeyError: no such queue."""
        with self._lock:
            self._sync()
            queue = self._queue_for_staging(queue_id)
            index = self._media_of(queue, media)
            conv = Conv(queue, index, self._now - max(0.0, waited_s), self._rng.getrandbits(128))
            waiting = queue.waiting[index]
            ordered = sorted([*waiting, conv], key=lambda c: c.arrive)
            queue.waiting[index] = dict.fromkeys(ordered)
            return conv.id

    def stage_today(
        self, queue_id: str, media: str, *, answered: int = 0, answered_late: int = 0, abandoned: int = 0
    ) -> None:
        """Add to today's figures of one queue and media type: conversations offered and answered
        within the service level (``answered``), answered after it (``answered_late``), abandoned."""
        with self._lock:
            self._sync()
            queue = self._queue_for_staging(queue_id)
            index = self._media_of(queue, media)
            load = queue.spec.media[media]
            series = queue.series[index]
            # A minute already over, so that a query up to now counts it (buckets count whole).
            t = self._now - 30.0
            on_time, late = round(load.sl_seconds * 500), round(load.sl_seconds * 1000 + 1000)
            for _ in range(answered):
                credit(series, t, STEP_ARRIVE, 0, 0)
                credit(series, t, STEP_ANSWER, on_time, 0)
            for _ in range(answered_late):
                credit(series, t, STEP_ARRIVE, 0, 0)
                credit(series, t, STEP_ANSWER, late, 1)
            for _ in range(abandoned):
                credit(series, t, STEP_ARRIVE, 0, 0)
                credit(series, t, STEP_ABANDON, 30_000, 0)

    def force_status(
        self, queue_id: str, status: str, count: int, for_s: float = 300.0, since_s: float = 0.0
    ) -> list[dict[str, str]]:
        """Put ``count`` logged-in agents of a queue who are not in a conversation (idle ones first)
        in routing status ``status`` (``NOT_RESPONDING``, ``OFF_QUEUE`` …) for ``for_s`` seconds, as
        if it had begun ``since_s`` seconds ago; no conversation is routed to them meanwhile.
        Returns the agents chosen (id, name, status)."""
        if status not in ROUTING_STATUSES or status == "INTERACTING":
            valid = ", ".join(s for s in ROUTING_STATUSES if s != "INTERACTING")
            raise SimulatorValidationError(f"status must be one of {valid}, not {status!r}")
        with self._lock:
            self._sync()
            queue = self._queue_for_staging(queue_id)
            now = self._now
            free = [a for a in queue.agents if a.conv is None and a.presence != OFFLINE]
            free.sort(key=lambda a: (a.status != IDLE, a.index))
            chosen = free[: max(0, count)]
            until: dict[int, float] = {}
            for agent in chosen:
                agent.forced_status, agent.forced_until = ROUTING_STATUSES.index(status), now + for_s
                self._settle(agent, now)
                agent.status_at = now - max(0.0, since_s)
                self._push(agent.forced_until, _K_SETTLE, agent)
                until[agent.index] = agent.forced_until
            queue.free = [(max(at, until.get(i, at)), i) for at, i in queue.free]
            heapq.heapify(queue.free)
            return [{"id": a.id, "name": a.name, "status": ROUTING_STATUSES[a.status]} for a in chosen]

    # ----------------------------------------------------------------- queues a query names

    def _select(self, clause: Clause | None, by_division: bool = False) -> list[Queue]:
        if clause is None:
            return [q for q in self._queues if not q.deleted]

        def resolve(dimension: str, value: str) -> list[str] | None:
            if dimension == "queueId":
                return [value]
            if dimension == "divisionId" and by_division:
                return self._by_division.get(value, [])
            return None

        ids = clause.candidates(resolve)
        if ids is None:
            return [q for q in self._queues if not q.deleted]
        found = (self._by_id.get(i) for i in ids)
        return [q for q in found if q is not None and not q.deleted]

    # ----------------------------------------------------------------- set-up

    def _staff(self) -> None:
        rng = self._rng
        for q in self._queues:
            for i in range(q.spec.agents):
                name = agent_name(rng)
                agent = Agent(q, i, make_schedule(rng, self._schedules), name)
                q.agents.append(agent)
                q.free.append((0.0, i))
            q.presence_counts[OFFLINE] = len(q.agents)

    def _warm_start(self) -> None:
        day_start, _ = self._days.bounds(self._start_sim)
        cutoff = max(day_start, self._start_sim - WARM_WINDOW_S)
        for q in self._queues:
            records: list[tuple[float, int, int, int, int]] = []
            arrivals: list[tuple[float, int, Stream]] = []
            for n, stream in enumerate(q.streams):
                t = self._next_arrival(stream, day_start)
                while t < cutoff:
                    arrivals.append((t, n, stream))
                    t = self._next_arrival(stream, t)
                if t < math.inf:
                    self._push(t, _K_ARRIVE, stream)
            arrivals.sort(key=lambda a: (a[0], a[1]))
            for t, _, stream in arrivals:
                self._arrive(stream, t, cutoff, records)
            records.sort(key=lambda r: r[0])
            for t, media, kind, value, extra in records:
                credit(q.series[media], t, kind, value, extra)
        self._push(cutoff, _K_CUTOFF, None)
        self._now = day_start
        self._advance(self._start_sim)

    # ----------------------------------------------------------------- event machinery

    def _push(self, t: float, kind: int, obj: object) -> None:
        heapq.heappush(self._heap, (t, next(self._seq), kind, obj))

    def _sync(self) -> None:
        target = self.sim_time()
        if target > self._now:
            self._advance(target)

    def _advance(self, target: float) -> None:
        heap = self._heap
        handlers = self._handlers
        feeds = self._feeds
        while heap and heap[0][0] <= target:
            t, _, kind, obj = heapq.heappop(heap)
            self._now = t
            handlers[kind](t, obj)
            if feeds and obj is not None:
                for feed in feeds:
                    feed.setdefault(obj.queue.id, t)
        self._now = max(self._now, target)

    def _profile(self, t: float) -> float:
        start, _ = self._days.bounds(t)
        hours = (t - start) / 3600.0
        i = min(int(hours), 23)
        frac = hours - i
        return _DAY_PROFILE[i] + (_DAY_PROFILE[i + 1] - _DAY_PROFILE[i]) * frac

    def _next_arrival(self, stream: Stream, t: float) -> float:
        """Next arrival after ``t`` (thinning of a Poisson process at the peak rate)."""
        if stream.rate <= 0:
            return math.inf
        rng = self._rng
        rate = stream.rate
        while True:
            t += rng.expovariate(rate)
            if rng.random() < self._profile(t):
                return t

    def _arrive(
        self, stream: Stream, a: float, cutoff: float, records: list[tuple[float, int, int, int, int]] | None
    ) -> None:
        """Route one arrival: decide now when it is answered (and by whom) or abandoned."""
        rng = self._rng
        q = stream.queue
        load = stream.load
        media = stream.media
        patience = rng.expovariate(1.0 / load.patience_s)
        free = q.free
        start = math.inf
        agent_index = -1
        while free:
            key, index = free[0]
            t0 = key if key > a else a
            s = q.agents[index].schedule.on_queue_from(self._days, t0)
            if s > t0:
                heapq.heapreplace(free, (s, index))
                continue
            start, agent_index = s, index
            break
        if records is not None:
            records.append((a, media, STEP_ARRIVE, 0, 0))
        else:
            credit(q.series[media], a, STEP_ARRIVE, 0, 0)
        if start - a > patience:
            abandon_at = a + patience
            wait_ms = round(patience * 1000)
            if records is not None and abandon_at < cutoff:
                records.append((abandon_at, media, STEP_ABANDON, wait_ms, 0))
                return
            conv = Conv(q, media, a, rng.getrandbits(128))
            conv.abandon_at = abandon_at
            q.waiting[media][conv] = None
            self._push(abandon_at, _K_ABANDON, conv)
            return
        low, high = _ALERT_S[MEDIA_TYPES[media]]
        alert = rng.uniform(low, high)
        sigma = 0.5
        handle = rng.lognormvariate(math.log(load.aht_s) - sigma * sigma / 2, sigma)
        handle = min(max(handle, 5.0), 86_400.0)
        acw = handle * rng.uniform(0.08, 0.25)
        pick = rng.random()
        if pick < _P_NOT_RESPONDING:
            post_status, post_s = NOT_RESPONDING, rng.uniform(15.0, 90.0)
        elif pick < _P_NOT_RESPONDING + _P_COMMUNICATING:
            post_status, post_s = COMMUNICATING, rng.uniform(60.0, 420.0)
        else:
            post_status, post_s = IDLE, 0.0
        answer_at = start + alert
        end_at = answer_at + handle
        heapq.heapreplace(free, (end_at + post_s, agent_index))
        wait_ms = round((answer_at - a) * 1000)
        over_sla = 1 if answer_at - a > load.sl_seconds else 0
        handle_ms = round(handle * 1000)
        acw_ms = round(acw * 1000)
        if records is not None and end_at + post_s < cutoff:
            records.append((answer_at, media, STEP_ANSWER, wait_ms, over_sla))
            records.append((end_at, media, STEP_END, handle_ms, acw_ms))
            return
        conv = Conv(q, media, a, rng.getrandbits(128))
        conv.agent = q.agents[agent_index]
        conv.alert_at, conv.answer_at, conv.end_at = start, answer_at, end_at
        conv.handle_ms, conv.acw_ms = handle_ms, acw_ms
        conv.post_status, conv.post_s = post_status, post_s
        q.waiting[media][conv] = None
        self._push(start, _K_ALERT, conv)
        self._push(answer_at, _K_ANSWER, conv)
        self._push(end_at, _K_END, conv)

    def _settle(self, agent: Agent, t: float) -> None:
        """Bring the agent's routing status and presence in line with time ``t``."""
        if agent.conv is not None:
            status, presence = INTERACTING, ON_QUEUE
        elif t < agent.forced_until:
            status = agent.forced_status
            presence = BREAK if status == OFF_QUEUE else ON_QUEUE
        else:
            presence = agent.schedule.presence_at(self._days, t)
            if presence == ON_QUEUE:
                status = agent.post_status if t < agent.post_until else IDLE
            else:
                status = OFF_QUEUE
        if status == agent.status and presence == agent.presence:
            return
        q = agent.queue
        if agent.presence != OFFLINE:
            q.status_counts[agent.status] -= 1
        if presence != OFFLINE:
            q.status_counts[status] += 1
        q.presence_counts[agent.presence] -= 1
        q.presence_counts[presence] += 1
        if status != agent.status:
            agent.status_at = t
        agent.status, agent.presence = status, presence

    # ----------------------------------------------------------------- event handlers

    def _on_arrive(self, t: float, stream: Stream) -> None:
        if stream.queue.deleted:
            return
        self._arrive(stream, t, t, None)
        self._push(self._next_arrival(stream, t), _K_ARRIVE, stream)

    def _on_alert(self, t: float, conv: Conv) -> None:
        q = conv.queue
        q.waiting[conv.media].pop(conv, None)
        q.alerting[conv.media][conv] = None
        agent = conv.agent
        assert agent is not None
        agent.conv = conv
        self._settle(agent, t)

    def _on_answer(self, t: float, conv: Conv) -> None:
        q = conv.queue
        q.alerting[conv.media].pop(conv, None)
        q.interacting[conv.media][conv] = None
        load = q.spec.media[MEDIA_TYPES[conv.media]]
        wait = t - conv.arrive
        credit(q.series[conv.media], t, STEP_ANSWER, round(wait * 1000), 1 if wait > load.sl_seconds else 0)

    def _on_end(self, t: float, conv: Conv) -> None:
        q = conv.queue
        q.interacting[conv.media].pop(conv, None)
        credit(q.series[conv.media], t, STEP_END, conv.handle_ms, conv.acw_ms)
        agent = conv.agent
        if agent is not None and agent.conv is conv:
            agent.conv = None
            agent.post_status, agent.post_until = conv.post_status, t + conv.post_s
            self._settle(agent, t)
            if conv.post_s > 0:
                self._push(agent.post_until, _K_SETTLE, agent)

    def _on_abandon(self, t: float, conv: Conv) -> None:
        q = conv.queue
        q.waiting[conv.media].pop(conv, None)
        credit(q.series[conv.media], t, STEP_ABANDON, round((t - conv.arrive) * 1000), 0)

    def _on_settle(self, t: float, agent: Agent) -> None:
        self._settle(agent, t)

    def _on_boundary(self, t: float, agent: Agent) -> None:
        self._settle(agent, t)
        self._push(agent.schedule.next_boundary(self._days, t), _K_BOUNDARY, agent)

    def _on_cutoff(self, t: float, _: object) -> None:
        for q in self._queues:
            for agent in q.agents:
                self._on_boundary(t, agent)
                # The replay before the cut-off did not move agents: date their status from the
                # start of the schedule segment they are in.
                if agent.conv is None:
                    agent.status_at = min(t, agent.schedule.segment_start(self._days, t))
