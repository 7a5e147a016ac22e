"""The simulator's routing activity query, users listing and staging endpoints, over loopback HTTP.

The replies are read back through the real SDK's models (nothing lost), and the staging endpoints
do what the dashboard's media and agent tests rely on: a conversation that has waited so long,
today's figures per media type, agents put in a routing status as if it began a while ago.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import PureCloudPlatformClientV2 as pc
import pytest
import urllib3

from queuewatch.model import ServiceLevelTarget
from queuewatch.simulator import ContactCentre, Scenario, SimulatorServer
from queuewatch.simulator.scenario import QueueSpec, media_load, name_id
from queuewatch.wire import parse_aggregates, parse_observations, parse_routing_activity
from tests.test_simulator_server import Http, wire

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 3, 2, 11, 0, 0, tzinfo=CHICAGO)
ROUTING_ACTIVITY = "/api/v2/analytics/routing/activity/query"
OBSERVATIONS = "/api/v2/analytics/queues/observations/query"
AGGREGATES = "/api/v2/analytics/conversations/aggregates/query"


def quiet_queue(name: str, agents: int, *media: str) -> QueueSpec:
    """A queue with no traffic of its own: whatever it shows was staged."""
    return QueueSpec(
        id=name_id("queue", name),
        name=name,
        division="Care",
        division_id=name_id("division", "Care"),
        agents=agents,
        media={m: media_load(m, 0) for m in media},
    )


def staged_scenario() -> Scenario:
    return Scenario(
        name="staged",
        timezone="America/Chicago",
        queues=(
            quiet_queue("Phones", 8, "voice"),
            quiet_queue("Inbox", 4, "email"),
            quiet_queue("Device Returns", 6, "email", "message"),
        ),
    )


PHONES, INBOX, RETURNS = (name_id("queue", n) for n in ("Phones", "Inbox", "Device Returns"))


@pytest.fixture
def server() -> Iterator[SimulatorServer]:
    centre = ContactCentre(staged_scenario(), seed=3, clock=lambda: NOW.timestamp())
    with SimulatorServer(centre, port=0, rate_limit=100_000) as running:
        yield running


@pytest.fixture
def http(server: SimulatorServer) -> Http:
    return Http(server)


def activity_body(ids: list[str]) -> dict[str, Any]:
    return {
        "metrics": [{"metric": "oUserRoutingStatuses", "details": True}],
        "groupBy": ["queueId"],
        "filter": {"type": "or", "predicates": [{"dimension": "queueId", "value": i} for i in ids]},
    }


def test_routing_activity_and_users_through_the_sdk_with_nothing_lost(
    server: SimulatorServer, http: Http
) -> None:
    sdk = pc.ApiClient(host=server.base_url).get_client_credentials_token("id", "secret")
    sdk.get_http_client().rest_client.pool_manager = urllib3.PoolManager(retries=False)
    body = activity_body([PHONES, INBOX])
    reply = pc.AnalyticsApi(sdk).post_analytics_routing_activity_query(body)
    raw = json.loads(http.api("POST", ROUTING_ACTIVITY, body).data)
    assert wire(reply) == raw
    assert reply.entity_id_dimension == "userId"
    phones = next(r for r in reply.results if r.group["queueId"] == PHONES)
    assert phones.entities, "details on: each logged-in member, one by one"
    counted = sum(d.count for d in phones.data)
    assert counted == len(phones.entities) == len({e.user_id for e in phones.entities})
    assert all(isinstance(e.routing_status_date, datetime) for e in phones.entities)
    ids = [e.user_id for e in phones.entities]
    users = pc.UsersApi(sdk).get_users(id=ids, page_size=100)
    assert wire(users) == json.loads(http.api("GET", f"/api/v2/users?pageSize=100&id={','.join(ids)}").data)
    assert sorted(u.id for u in users.entities) == sorted(ids) and all(u.name for u in users.entities)


def test_routing_activity_must_group_by_queue(http: Http) -> None:
    body = {**activity_body([PHONES]), "groupBy": ["userId"]}
    reply = http.api("POST", ROUTING_ACTIVITY, body)
    assert reply.status == 400 and "queueId" in json.loads(reply.data)["message"]


def test_staged_agents_show_in_both_queries_with_the_time_their_status_began(
    server: SimulatorServer, http: Http
) -> None:
    chosen = http.admin(
        f"/admin/queues/{PHONES}/agents", {"status": "NOT_RESPONDING", "count": 2, "since_s": 130}
    )
    assert [a["status"] for a in chosen["agents"]] == ["NOT_RESPONDING", "NOT_RESPONDING"]
    observed = parse_observations(
        json.loads(
            http.api(
                "POST",
                OBSERVATIONS,
                {
                    "metrics": ["oUserRoutingStatuses"],
                    "filter": {"type": "or", "predicates": [{"dimension": "queueId", "value": PHONES}]},
                },
            ).data
        ),
        NOW,
    )
    assert observed[PHONES].agents.not_responding == 2
    activity = parse_routing_activity(
        json.loads(http.api("POST", ROUTING_ACTIVITY, activity_body([PHONES])).data), NOW
    )
    stuck = [a for a in activity[PHONES] if a.status == "not_responding"]
    assert sorted(a.user_id for a in stuck) == sorted(a["id"] for a in chosen["agents"])
    assert [a.seconds for a in stuck] == [130.0, 130.0]


def test_staged_waiting_conversations_keep_their_age_and_order(server: SimulatorServer, http: Http) -> None:
    http.admin(f"/admin/queues/{INBOX}/waiting", {"media": "email", "waited_s": 600})
    http.admin(f"/admin/queues/{INBOX}/waiting", {"media": "email", "waited_s": 5567})
    body = {
        "metrics": ["oWaiting"],
        "detailMetrics": ["oWaiting"],
        "filter": {"type": "or", "predicates": [{"dimension": "queueId", "value": INBOX}]},
    }
    live = parse_observations(json.loads(http.api("POST", OBSERVATIONS, body).data), NOW)[INBOX]
    assert live.by_media["email"].waiting == 2
    assert live.by_media["email"].longest_wait_s == 5567.0
    assert [seconds for _, _, seconds in live.waiting_detail] == [5567.0, 600.0], "oldest first"
    wrong = http.pool.request(
        "POST",
        f"{server.base_url}/admin/queues/{INBOX}/waiting",
        body=json.dumps({"media": "voice", "waited_s": 5}),
    )
    assert wrong.status == 400 and "handles email" in json.loads(wrong.data)["message"]


def test_staged_figures_per_media_and_a_blend_with_no_single_target(
    server: SimulatorServer, http: Http
) -> None:
    http.admin(f"/admin/queues/{RETURNS}/today", {"media": "email", "answered": 97, "answered_late": 3})
    http.admin(f"/admin/queues/{RETURNS}/today", {"media": "message", "answered": 1, "answered_late": 11})
    body = {
        "interval": f"{NOW.replace(hour=0).isoformat()}/{NOW.isoformat()}",
        "groupBy": ["queueId", "mediaType"],
        "filter": {"type": "or", "predicates": [{"dimension": "queueId", "value": RETURNS}]},
        "metrics": ["nOffered", "tAnswered", "tAbandon", "oServiceLevel"],
    }
    targets = {RETURNS: {"email": ServiceLevelTarget(0.9, 14400), "message": ServiceLevelTarget(0.8, 300)}}
    today = parse_aggregates(json.loads(http.api("POST", AGGREGATES, body).data), targets)[RETURNS]
    assert today.by_media["email"].service_level == pytest.approx(0.97)
    assert today.by_media["email"].sl_target == 0.9
    assert today.by_media["message"].service_level == pytest.approx(1 / 12)
    assert today.by_media["message"].sl_target == 0.8
    assert today.today.service_level == pytest.approx(98 / 112)
    assert today.today.sl_target is None, "a blend of two targets is compared with neither"
