"""The contact-centre model: warm start, consistency, determinism, query shapes and validation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from queuewatch.simulator import ContactCentre, default_scenario
from queuewatch.simulator.buckets import KEEP_MINUTES, Series
from queuewatch.simulator.query import SimulatorValidationError
from queuewatch.simulator.scenario import QueueSpec, Scenario, media_load, name_id

TZ = ZoneInfo("Europe/London")
START = datetime(2026, 11, 25, 11, 0, tzinfo=TZ).timestamp()
TODAY = "2026-11-25T00:00:00.000Z/2026-11-26T00:00:00.000Z"
ALL_OBS = [
    "oWaiting",
    "oInteracting",
    "oAlerting",
    "oOnQueueUsers",
    "oOffQueueUsers",
    "oActiveUsers",
    "oMemberUsers",
    "oUserRoutingStatuses",
    "oUserPresences",
]
AGG = [
    "nOffered",
    "tAnswered",
    "tAbandon",
    "oServiceLevel",
    "tHandle",
    "tWait",
    "tAcd",
    "tTalk",
    "tAcw",
    "nOverSla",
    "tShortAbandon",
]
UNDERSTAFFED = [
    "Sales - Overflow",
    "Customer Care - Complaints",
    "Billing - Disputes",
    "Tech Support - Outages",
]
HEALTHY = ["Moving Home", "Tech Support - Mobile", "Sales - New Business", "Customer Care - General"]


class Clock:
    """A hand-driven clock."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def centre() -> ContactCentre:
    return ContactCentre(default_scenario(), seed=7, clock=Clock(START))


def qid(name: str) -> str:
    return name_id("queue", name)


def or_queues(ids: list[str]) -> dict[str, Any]:
    return {"type": "or", "predicates": [{"dimension": "queueId", "value": i} for i in ids]}


def metrics_of(entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["metric"]: m["stats"] for m in entry["data"][0]["metrics"]}


def today(centre: ContactCentre, group_by: list[str], interval: str = TODAY) -> dict[tuple[str, ...], Any]:
    reply = centre.aggregates({"interval": interval, "groupBy": group_by, "metrics": AGG})
    return {tuple(r["group"][d] for d in group_by): metrics_of(r) for r in reply["results"]}


def waiting_by_queue(centre: ContactCentre, ids: list[str]) -> dict[str, int]:
    reply = centre.observations({"filter": or_queues(ids), "metrics": ["oWaiting"]})
    out = dict.fromkeys(ids, 0)
    for r in reply["results"]:
        out[r["group"]["queueId"]] += r["data"][0]["stats"]["count"]
    return out


def count(stats: dict[str, dict[str, Any]], metric: str) -> int:
    return int(stats.get(metric, {}).get("count", 0))


def test_warm_start_has_todays_figures(centre: ContactCentre) -> None:
    totals = today(centre, [])[()]
    assert totals["nOffered"]["count"] > 5000
    assert totals["tAnswered"]["count"] > 0.8 * totals["nOffered"]["count"] * 0.8
    assert totals["tHandle"]["count"] > 0
    assert 0 < totals["oServiceLevel"]["ratio"] < 1


def test_answered_plus_abandoned_never_exceeds_offered() -> None:
    clock = Clock(START)
    centre = ContactCentre(default_scenario(), seed=11, clock=clock)
    for _ in range(4):
        for (queue_id, media), stats in today(centre, ["queueId", "mediaType"]).items():
            offered = count(stats, "nOffered")
            assert count(stats, "tAnswered") + count(stats, "tAbandon") <= offered, (queue_id, media)
            assert count(stats, "tHandle") <= count(stats, "tAnswered")
            assert count(stats, "tWait") == count(stats, "tAnswered") + count(stats, "tAbandon")
        clock.now += 137.0


def test_service_level_and_timer_stats_are_consistent(centre: ContactCentre) -> None:
    for stats in today(centre, ["queueId", "mediaType"]).values():
        sl = stats.get("oServiceLevel")
        if sl is None:
            continue
        assert sl["denominator"] == count(stats, "tAnswered") + count(stats, "tAbandon")
        assert sl["numerator"] == count(stats, "tAnswered") - count(stats, "nOverSla")
        assert sl["ratio"] == round(sl["numerator"] / sl["denominator"], 4)
        assert 0 < sl["target"] <= 1
        for timer in ("tAnswered", "tAbandon", "tHandle"):
            if timer in stats:
                t = stats[timer]
                assert t["min"] <= t["sum"] / t["count"] <= t["max"]
        if "tHandle" in stats:
            assert stats["tTalk"]["sum"] + stats["tAcw"]["sum"] == stats["tHandle"]["sum"]


def test_group_by_queue_sums_the_media(centre: ContactCentre) -> None:
    by_media = today(centre, ["queueId", "mediaType"])
    by_queue = today(centre, ["queueId"])
    general = qid("Customer Care - General")
    parts = [stats for (queue_id, _), stats in by_media.items() if queue_id == general]
    assert len(parts) == 3
    whole = by_queue[(general,)]
    assert whole["nOffered"]["count"] == sum(count(p, "nOffered") for p in parts)
    assert whole["tAnswered"]["sum"] == sum(p["tAnswered"]["sum"] for p in parts)
    assert whole["tAnswered"]["max"] == max(p["tAnswered"]["max"] for p in parts)
    assert whole["tAnswered"]["min"] == min(p["tAnswered"]["min"] for p in parts)


def test_understaffed_queues_breach(centre: ContactCentre) -> None:
    stats = today(centre, ["queueId"])
    waiting = waiting_by_queue(centre, [qid(n) for n in UNDERSTAFFED + HEALTHY])

    def asa(name: str) -> float:
        answered = stats[(qid(name),)]["tAnswered"]
        return float(answered["sum"] / answered["count"])

    assert sum(waiting[qid(n)] for n in UNDERSTAFFED) > 0
    assert min(asa(n) for n in UNDERSTAFFED) > max(asa(n) for n in HEALTHY)
    for name in UNDERSTAFFED:
        assert stats[(qid(name),)]["oServiceLevel"]["ratio"] < stats[(qid(name),)]["oServiceLevel"]["target"]
    outages = centre.observations(
        {
            "filter": or_queues([qid("Tech Support - Outages")]),
            "metrics": ["oWaiting", "oUserRoutingStatuses"],
        }
    )
    statuses = {d["qualifier"]: d["stats"]["count"] for d in outages["results"][0]["data"]}
    assert outages["results"][1]["data"][0]["stats"]["count"] > 0
    assert "IDLE" not in statuses


def test_queue_without_agents_only_abandons(centre: ContactCentre) -> None:
    stats = today(centre, ["queueId"])[(qid("Customer Care - Weekend"),)]
    assert stats["nOffered"]["count"] > 0
    assert "tAnswered" not in stats
    assert (
        stats["tAbandon"]["count"]
        + waiting_by_queue(centre, [qid("Customer Care - Weekend")])[qid("Customer Care - Weekend")]
        == stats["nOffered"]["count"]
    )
    users = centre.observations(
        {
            "filter": or_queues([qid("Customer Care - Weekend")]),
            "metrics": ["oMemberUsers", "oUserRoutingStatuses"],
        }
    )
    assert users["results"][0]["data"] == [{"metric": "oMemberUsers", "stats": {"count": 0}}]


def test_same_seed_and_clock_give_the_same_replies() -> None:
    ids = [qid(n) for n in UNDERSTAFFED + HEALTHY]
    body = {"filter": or_queues(ids), "metrics": ALL_OBS, "detailMetrics": ["oWaiting", "oInteracting"]}
    a = ContactCentre(default_scenario(), seed=5, clock=Clock(START))
    b = ContactCentre(default_scenario(), seed=5, clock=Clock(START))
    c = ContactCentre(default_scenario(), seed=6, clock=Clock(START))
    assert a.observations(body) == b.observations(body)
    assert today(a, ["queueId", "mediaType"]) == today(b, ["queueId", "mediaType"])
    assert a.observations(body) != c.observations(body)


def test_chunked_advancing_does_not_change_the_outcome() -> None:
    one, many = Clock(START), Clock(START)
    a = ContactCentre(default_scenario(), seed=5, clock=one)
    b = ContactCentre(default_scenario(), seed=5, clock=many)
    for _ in range(10):
        many.now += 60
        b.queue_ids()
        waiting_by_queue(b, [qid("Billing Enquiries")])
    one.now += 600
    body = {"filter": or_queues(a.queue_ids()), "metrics": ALL_OBS, "detailMetrics": ["oWaiting"]}
    assert a.observations(body) == b.observations(body)


def test_numbers_move_as_the_clock_advances() -> None:
    clock = Clock(START)
    centre = ContactCentre(default_scenario(), seed=3, clock=clock, speed=2.0)
    before = today(centre, [])[()]
    body = {
        "filter": or_queues(centre.queue_ids()),
        "metrics": ["oInteracting", "oUserRoutingStatuses"],
        "detailMetrics": ["oInteracting"],
    }
    obs_before = centre.observations(body)
    clock.now += 300  # ten simulated minutes at speed 2
    after = today(centre, [])[()]
    assert centre.sim_time() == START + 600
    assert after["nOffered"]["count"] > before["nOffered"]["count"]
    assert after["tHandle"]["count"] > before["tHandle"]["count"]
    assert centre.observations(body) != obs_before


def test_observation_shape(centre: ContactCentre) -> None:
    general = qid("Customer Care - General")
    reply = centre.observations(
        {
            "filter": or_queues([general, "not-a-queue"]),
            "metrics": ALL_OBS,
            "detailMetrics": ["oWaiting", "oInteracting"],
        }
    )
    mapping = reply["systemToOrganizationMappings"]
    assert {"AVAILABLE", "ON_QUEUE", "BUSY", "AWAY", "BREAK", "MEAL", "OFFLINE"} <= set(mapping)
    groups = [r["group"] for r in reply["results"]]
    assert groups == [{"queueId": general}] + [
        {"queueId": general, "mediaType": m} for m in ("voice", "chat", "email", "message", "callback")
    ]
    users = reply["results"][0]["data"]
    by_metric: dict[str, list[dict[str, Any]]] = {}
    for entry in users:
        by_metric.setdefault(entry["metric"], []).append(entry)
    statuses = {e["qualifier"]: e["stats"]["count"] for e in by_metric["oUserRoutingStatuses"]}
    assert set(statuses) <= {"IDLE", "INTERACTING", "NOT_RESPONDING", "COMMUNICATING", "OFF_QUEUE"}
    assert all(v > 0 for v in statuses.values())
    active = by_metric["oActiveUsers"][0]["stats"]["count"]
    assert sum(statuses.values()) == active
    assert sum(e["stats"]["count"] for e in by_metric["oOnQueueUsers"]) == active - statuses.get(
        "OFF_QUEUE", 0
    )
    assert by_metric["oOffQueueUsers"][0]["stats"]["count"] == statuses.get("OFF_QUEUE", 0)
    assert by_metric["oMemberUsers"][0]["stats"]["count"] == 80
    presence_ids = {v[0] for v in mapping.values()}
    assert {e["qualifier"] for e in by_metric["oUserPresences"]} <= presence_ids
    assert sum(e["stats"]["count"] for e in by_metric["oUserPresences"]) == 80
    voice = reply["results"][1]["data"]
    assert [e["metric"] for e in voice] == ["oWaiting", "oInteracting", "oAlerting"]
    interacting = voice[1]
    assert interacting["stats"]["count"] == len(interacting["observations"]) > 0
    assert interacting["truncated"] is False
    first = interacting["observations"][0]
    assert first["ani"].startswith("tel:+1") and first["dnis"].startswith("tel:+1")
    assert first["direction"] == "inbound" and first["requestedRoutings"] == ["Standard"]
    assert first["userId"] and first["participantName"]
    dates = [o["observationDate"] for o in interacting["observations"]]
    assert dates == sorted(dates)
    assert all(d.endswith("Z") and len(d) == 24 for d in dates)
    assert "observations" not in voice[2]


def test_media_predicate_narrows_the_groups(centre: ContactCentre) -> None:
    general = qid("Customer Care - General")
    body = {
        "filter": {
            "type": "and",
            "clauses": [or_queues([general])],
            "predicates": [{"dimension": "mediaType", "value": "chat"}],
        },
        "metrics": ["oWaiting", "oMemberUsers"],
    }
    groups = [r["group"] for r in centre.observations(body)["results"]]
    assert groups == [{"queueId": general}, {"queueId": general, "mediaType": "chat"}]


def test_long_queues_are_truncated_to_oldest_and_newest() -> None:
    flood = QueueSpec(
        id=name_id("queue", "Flood"),
        name="Flood",
        division="Home",
        division_id=name_id("division", "Home"),
        agents=0,
        media=MappingProxyType({"voice": media_load("voice", 3000, patience_s=100_000)}),
    )
    centre = ContactCentre(Scenario("flood", "Europe/London", (flood,)), seed=1, clock=Clock(START))
    reply = centre.observations(
        {"filter": or_queues([flood.id]), "metrics": ["oWaiting"], "detailMetrics": ["oWaiting"]}
    )
    waiting = reply["results"][0]["data"][0]
    assert waiting["stats"]["count"] > 100
    assert waiting["truncated"] is True
    observations = waiting["observations"]
    assert len(observations) == 100
    dates = [o["observationDate"] for o in observations]
    assert dates == sorted(dates)
    assert dates[49] < dates[50]
    assert len({o["conversationId"] for o in observations}) == 100


def test_list_queues_pages_sorts_and_filters(centre: ContactCentre) -> None:
    first = centre.list_queues(page_number=1, page_size=15)
    assert first["total"] == 40 and first["pageCount"] == 3 and first["pageSize"] == 15
    assert first["nextUri"] == "/api/v2/routing/queues?pageSize=15&pageNumber=2"
    assert "previousUri" not in first
    last = centre.list_queues(page_number=3, page_size=15)
    assert "nextUri" not in last and last["previousUri"].endswith("pageNumber=2")
    names = [
        e["name"] for p in (1, 2, 3) for e in centre.list_queues(page_number=p, page_size=15)["entities"]
    ]
    assert len(names) == 40 and names == sorted(names, key=str.casefold)
    entity = first["entities"][0]
    assert set(entity["mediaSettings"]) == {"call", "callback", "chat", "email", "message"}
    assert {
        "id",
        "name",
        "division",
        "memberCount",
        "userMemberCount",
        "joinedMemberCount",
        "selfUri",
        "dateCreated",
        "dateModified",
    } <= set(entity)

    def named(pattern: str) -> list[str]:
        return [e["name"] for e in centre.list_queues(page_size=100, name=pattern)["entities"]]

    assert named("*SALES*") == [n for n in names if "sales" in n.lower()]
    assert named("sales*") == [n for n in names if n.lower().startswith("sales")]
    assert named("*support") == [n for n in names if n.lower().endswith("support")]
    assert named("[vip] sales") == ["[VIP] Sales"]
    assert named("お客様*") == ["お客様サポート 🎧"]
    assert named("nothing*") == []
    vip = centre.list_queues(ids=[qid("[VIP] Sales")])
    assert [e["name"] for e in vip["entities"]] == ["[VIP] Sales"]
    division = vip["entities"][0]["division"]["id"]
    assert all(
        e["division"]["id"] == division
        for e in centre.list_queues(page_size=100, division_ids=[division])["entities"]
    )
    with pytest.raises(SimulatorValidationError):
        centre.list_queues(page_size=501)


def test_deleted_queue_disappears() -> None:
    centre = ContactCentre(default_scenario(), seed=2, clock=Clock(START))
    gone = qid("Billing Enquiries")
    assert centre.delete_queue(gone) is True
    assert centre.delete_queue(gone) is False
    assert gone not in centre.queue_ids() and len(centre.queue_ids()) == 39
    assert centre.list_queues(page_size=100)["total"] == 39
    assert centre.observations({"filter": or_queues([gone]), "metrics": ALL_OBS})["results"] == []
    assert (
        centre.aggregates({"interval": TODAY, "metrics": ["nOffered"], "filter": or_queues([gone])})[
            "results"
        ]
        == []
    )


def test_aggregate_filters_and_granularity(centre: ContactCentre) -> None:
    general = qid("Customer Care - General")
    division = centre.list_queues(ids=[general])["entities"][0]["division"]["id"]
    by_division = today(centre, ["divisionId"])
    by_queue = today(centre, ["queueId"])
    in_division = [e["id"] for e in centre.list_queues(page_size=100, division_ids=[division])["entities"]]
    assert by_division[(division,)]["nOffered"]["count"] == sum(
        count(by_queue[(i,)], "nOffered") for i in in_division if (i,) in by_queue
    )
    reply = centre.aggregates(
        {
            "interval": "2026-11-25T09:00:00Z/2026-11-25T11:00:00Z",
            "granularity": "PT30M",
            "groupBy": ["queueId"],
            "metrics": ["nOffered"],
            "filter": {
                "type": "and",
                "predicates": [
                    {"dimension": "queueId", "value": general},
                    {"dimension": "mediaType", "value": "voice"},
                ],
            },
        }
    )
    (result,) = reply["results"]
    assert [d["interval"] for d in result["data"]] == [
        "2026-11-25T09:00:00.000Z/2026-11-25T09:30:00.000Z",
        "2026-11-25T09:30:00.000Z/2026-11-25T10:00:00.000Z",
        "2026-11-25T10:00:00.000Z/2026-11-25T10:30:00.000Z",
        "2026-11-25T10:30:00.000Z/2026-11-25T11:00:00.000Z",
    ]
    whole = centre.aggregates(
        {
            "interval": "2026-11-25T09:00:00Z/2026-11-25T11:00:00Z",
            "metrics": ["nOffered"],
            "filter": {
                "type": "and",
                "predicates": [
                    {"dimension": "queueId", "value": general},
                    {"dimension": "mediaType", "value": "voice"},
                ],
            },
        }
    )
    assert "group" not in whole["results"][0]
    assert whole["results"][0]["data"][0]["interval"] == "2026-11-25T09:00:00.000Z/2026-11-25T11:00:00.000Z"
    assert metrics_of(whole["results"][0])["nOffered"]["count"] == sum(
        d["metrics"][0]["stats"]["count"] for d in result["data"]
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"metrics": ["oWaiting", "oBogus"]}, "oBogus"),
        ({"metrics": []}, "metrics"),
        ({}, "metrics"),
        ({"metrics": ["oWaiting"], "detailMetrics": ["oNope"]}, "oNope"),
        (
            {
                "metrics": ["oWaiting"],
                "filter": {"type": "or", "predicates": [{"dimension": "userId", "value": "x"}]},
            },
            "userId",
        ),
        ({"metrics": ["oWaiting"], "filter": or_queues([f"q{i}" for i in range(101)])}, "101 predicates"),
        ({"metrics": ["oWaiting"], "filter": {"type": "xor", "predicates": []}}, "xor"),
        ({"metrics": ["oWaiting"]}, "filter may not be null"),
    ],
)
def test_observation_validation(centre: ContactCentre, body: dict[str, Any], message: str) -> None:
    with pytest.raises(SimulatorValidationError, match=message):
        centre.observations(body)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"metrics": ["nOffered"]}, "interval"),
        ({"interval": "yesterday", "metrics": ["nOffered"]}, "interval"),
        ({"interval": "2026-11-25T10:00:00Z/2026-11-25T09:00:00Z", "metrics": ["nOffered"]}, "before"),
        ({"interval": TODAY, "metrics": ["nBogus"]}, "nBogus"),
        ({"interval": TODAY, "metrics": ["nOffered"], "groupBy": ["userId"]}, "userId"),
        ({"interval": TODAY, "metrics": ["nOffered"], "granularity": "fortnightly"}, "granularity"),
    ],
)
def test_aggregate_validation(centre: ContactCentre, body: dict[str, Any], message: str) -> None:
    with pytest.raises(SimulatorValidationError, match=message):
        centre.aggregates(body)


def test_buckets_older_than_two_days_are_dropped() -> None:
    series = Series()

    def minutes() -> Iterator[int]:
        yield from range(0, KEEP_MINUTES + 500, 7)

    for minute in minutes():
        series.row(minute)
    assert series.minutes[0] >= (KEEP_MINUTES + 500 - 7) - KEEP_MINUTES - 7
    assert len(series.data) == len(series.minutes) * 26
    assert series.totals(0, 400) is None
