"""The simulator over real loopback HTTP: the SDK contract, auth, rate limits, faults, admin, CLI."""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import PureCloudPlatformClientV2 as pc
import pytest
import urllib3
from PureCloudPlatformClientV2.rest import ApiException

from queuewatch.errors import ConfigError
from queuewatch.simulator import ContactCentre, Faults, SimulatorServer, cli, default_scenario, start_demo
from queuewatch.simulator.scenario import name_id
from tests.clocks import FakeClock, until

START = datetime(2026, 11, 25, 11, 0, tzinfo=ZoneInfo("Europe/London")).timestamp()
QUEUES = "/api/v2/routing/queues"
OBSERVATIONS = "/api/v2/analytics/queues/observations/query"
AGGREGATES = "/api/v2/analytics/conversations/aggregates/query"
#: Removed from the real API in June 2021; the simulator sends them only with rate_limit_headers=True.
LIMIT_HEADERS = ("inin-ratelimit-count", "inin-ratelimit-allowed", "inin-ratelimit-reset")


def like_a_real_org(reply: urllib3.BaseHTTPResponse) -> bool:
    """The reply carries a correlation id and none of the removed rate-limit headers."""
    return bool(reply.headers.get("inin-correlation-id")) and not any(
        h in reply.headers for h in LIMIT_HEADERS
    )


# The two request bodies of the tutorial facts in genesys-api.md (queue ids filled in per test).
TUTORIAL_OBSERVATION_METRICS = [
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
TUTORIAL_AGGREGATE_METRICS = [
    "nOffered",
    "tAnswered",
    "tAbandon",
    "oServiceLevel",
    "tHandle",
    "tWait",
    "tAcd",
]


def observation_body(ids: list[str]) -> dict[str, Any]:
    return {
        "filter": {"type": "or", "predicates": [{"dimension": "queueId", "value": i} for i in ids]},
        "metrics": TUTORIAL_OBSERVATION_METRICS,
        "detailMetrics": ["oWaiting"],
    }


def aggregate_body(ids: list[str]) -> dict[str, Any]:
    return {
        "interval": "2026-11-25T00:00:00.000Z/2026-11-26T00:00:00.000Z",
        "groupBy": ["queueId", "mediaType"],
        "filter": {"type": "or", "predicates": [{"dimension": "queueId", "value": i} for i in ids]},
        "metrics": TUTORIAL_AGGREGATE_METRICS,
    }


class Http:
    """A raw keep-alive client for one server, retries off."""

    def __init__(self, server: SimulatorServer) -> None:
        self.base = server.base_url
        self.pool = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=2, read=5))
        self.token = self.login()

    def login(self, client_id: str = "id", secret: str = "secret") -> str:
        reply = self.pool.request(
            "POST",
            self.base + "/oauth/token",
            body="grant_type=client_credentials",
            headers={
                **urllib3.make_headers(basic_auth=f"{client_id}:{secret}"),
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        assert reply.status == 200, reply.data
        return str(json.loads(reply.data)["access_token"])

    def api(
        self, method: str, path: str, body: Any = None, token: str | None = None, timeout: float | None = None
    ) -> urllib3.BaseHTTPResponse:
        headers = {"Authorization": f"Bearer {token or self.token}", "Content-Type": "application/json"}
        kwargs: dict[str, Any] = {}
        if timeout is not None:
            kwargs["timeout"] = urllib3.Timeout(connect=2, read=timeout)
        return self.pool.request(
            method,
            self.base + path,
            headers=headers,
            body=None if body is None else json.dumps(body),
            **kwargs,
        )

    def admin(self, path: str, body: Any = None) -> Any:
        reply = self.pool.request(
            "POST" if body is not None else "GET",
            self.base + path,
            body=None if body is None else json.dumps(body),
        )
        assert reply.status == 200, reply.data
        return json.loads(reply.data)


@pytest.fixture(scope="module")
def server() -> Iterator[SimulatorServer]:
    centre = ContactCentre(default_scenario(), seed=7, speed=0.0, start=START)
    with SimulatorServer(centre, rate_limit=100_000) as running:
        yield running


@pytest.fixture
def http(server: SimulatorServer) -> Iterator[Http]:
    client = Http(server)
    yield client
    client.admin("/admin/reset", {})


@pytest.fixture(scope="module")
def sdk(server: SimulatorServer) -> pc.ApiClient:
    client = pc.ApiClient(host=server.base_url).get_client_credentials_token("id", "secret")
    client.get_http_client().rest_client.pool_manager = urllib3.PoolManager(
        retries=False, timeout=urllib3.Timeout(connect=2, read=5)
    )
    return client


def wire(obj: Any) -> Any:
    """An SDK model back in wire form (camelCase keys, unset fields left out, dates as ...000Z)."""
    if isinstance(obj, list):
        return [wire(x) for x in obj]
    if isinstance(obj, dict):
        return {k: wire(v) for k, v in obj.items()}
    if isinstance(obj, datetime):
        ms = obj.astimezone(UTC)
        return ms.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms.microsecond // 1000:03d}Z"
    if hasattr(obj, "swagger_types"):
        return {
            obj.attribute_map[a]: wire(getattr(obj, a))
            for a in obj.swagger_types
            if getattr(obj, a) is not None
        }
    return obj


# ----------------------------------------------------------------------------- SDK contract


def test_sdk_lists_queues_with_nothing_lost(sdk: pc.ApiClient, http: Http) -> None:
    listing = pc.RoutingApi(sdk).get_routing_queues(page_size=100, page_number=1)
    raw = json.loads(http.api("GET", f"{QUEUES}?pageSize=100&pageNumber=1").data)
    assert wire(listing) == raw
    assert listing.total == 40 and len(listing.entities) == 40
    vip = next(e for e in listing.entities if e.name == "[VIP] Sales")
    assert vip.media_settings.call.service_level.percentage == 0.8
    assert vip.media_settings.call.service_level.duration_ms == 20000
    assert any(e.name == "お客様サポート 🎧" for e in listing.entities)


def test_sdk_observations_with_nothing_lost(sdk: pc.ApiClient, http: Http, server: SimulatorServer) -> None:
    ids = server.centre.queue_ids()
    body = observation_body(ids)
    reply = pc.AnalyticsApi(sdk).post_analytics_queues_observations_query(body)
    raw = json.loads(http.api("POST", OBSERVATIONS, body).data)
    assert wire(reply) == raw
    user_groups = [r for r in reply.results if "mediaType" not in r.group]
    assert len(user_groups) == 40
    waiting = [
        o for r in reply.results for d in r.data if d.metric == "oWaiting" for o in (d.observations or [])
    ]
    assert waiting and all(isinstance(o.observation_date, datetime) for o in waiting)
    assert all(o.conversation_id and o.session_id for o in waiting)


def test_sdk_aggregates_with_nothing_lost(sdk: pc.ApiClient, http: Http, server: SimulatorServer) -> None:
    body = aggregate_body(server.centre.queue_ids()[:20])
    reply = pc.AnalyticsApi(sdk).post_analytics_conversations_aggregates_query(body)
    raw = json.loads(http.api("POST", AGGREGATES, body).data)
    assert wire(reply) == raw
    assert len(reply.results) >= 20
    first = reply.results[0]
    assert set(first.group) == {"queueId", "mediaType"}
    assert first.data[0].interval == body["interval"]
    stats = {m.metric: m.stats for m in first.data[0].metrics}
    assert stats["nOffered"].count > 0
    assert set(stats) <= set(TUTORIAL_AGGREGATE_METRICS)


def test_every_queue_has_a_group_for_every_media_type(sdk: pc.ApiClient, server: SimulatorServer) -> None:
    """As a captured real reply shows: zero groups too, so a group does not mean "handles it"."""
    ids = server.centre.queue_ids()
    reply = pc.AnalyticsApi(sdk).post_analytics_queues_observations_query(observation_body(ids))
    media = {(r.group["queueId"], r.group["mediaType"]) for r in reply.results if "mediaType" in r.group}
    assert media == {(q, m) for q in ids for m in ("voice", "chat", "email", "message", "callback")}
    vip = name_id("queue", "[VIP] Sales")
    handles = set(next(q for q in server.centre.scenario.queues if q.id == vip).media)
    zero = [
        r
        for r in reply.results
        if r.group.get("queueId") == vip and r.group.get("mediaType") not in (None, *handles)
    ]
    assert zero and all(d.stats.count == 0 and not d.observations for r in zero for d in r.data)


def test_aggregate_intervals_come_back_in_utc(sdk: pc.ApiClient, http: Http, server: SimulatorServer) -> None:
    body = aggregate_body(server.centre.queue_ids()[:5])
    body["interval"] = "2026-11-25T00:00:00.000-05:00/2026-11-25T11:00:00.000-05:00"
    body["timeZone"] = "America/New_York"
    reply = pc.AnalyticsApi(sdk).post_analytics_conversations_aggregates_query(body)
    assert wire(reply) == json.loads(http.api("POST", AGGREGATES, body).data)
    assert {d.interval for r in reply.results for d in r.data} == {
        "2026-11-25T05:00:00.000Z/2026-11-25T16:00:00.000Z"
    }


@pytest.mark.parametrize("truncation", ["ends", "newest"])
def test_truncated_waiting_lists(server: SimulatorServer, truncation: str) -> None:
    outages = name_id("queue", "Tech Support - Outages")
    with SimulatorServer(server.centre, rate_limit=100_000, detail_limit=10, truncation=truncation) as short:
        client = pc.ApiClient(host=short.base_url).get_client_credentials_token("id", "secret")
        body = observation_body([outages])
        reply = pc.AnalyticsApi(client).post_analytics_queues_observations_query(body)
        assert wire(reply) == json.loads(Http(short).api("POST", OBSERVATIONS, body).data)
        with SimulatorServer(server.centre, rate_limit=100_000) as full:
            everything = pc.AnalyticsApi(
                pc.ApiClient(host=full.base_url).get_client_credentials_token("id", "secret")
            ).post_analytics_queues_observations_query(body)
    (voice,) = (
        d
        for r in reply.results
        if r.group.get("mediaType") == "voice"
        for d in r.data
        if d.metric == "oWaiting"
    )
    (all_voice,) = (
        d
        for r in everything.results
        if r.group.get("mediaType") == "voice"
        for d in r.data
        if d.metric == "oWaiting"
    )
    assert voice.stats.count == all_voice.stats.count > 10
    assert voice.truncated is True and len(voice.observations) == 10
    dates = [o.observation_date for o in all_voice.observations]
    kept = [o.observation_date for o in voice.observations]
    assert kept == sorted(kept)
    if truncation == "ends":
        assert kept == dates[:5] + dates[-5:], "the oldest half, then the newest half"
    else:
        assert kept == dates[-10:], "only the newest: the oldest is not in the list"


def test_tutorial_bodies_get_documented_shapes(http: Http, server: SimulatorServer) -> None:
    ids = server.centre.queue_ids()[:3]
    obs = json.loads(http.api("POST", OBSERVATIONS, observation_body(ids)).data)
    assert set(obs) == {"systemToOrganizationMappings", "results"}
    for result in obs["results"]:
        assert set(result) == {"group", "data"}
        assert result["group"]["queueId"] in ids
        for entry in result["data"]:
            assert entry["metric"] in TUTORIAL_OBSERVATION_METRICS
            assert set(entry["stats"]) == {"count"}
            if entry["metric"] == "oWaiting":
                assert isinstance(entry["truncated"], bool) and isinstance(entry["observations"], list)
    agg = json.loads(http.api("POST", AGGREGATES, aggregate_body(ids)).data)
    assert set(agg) == {"results"}
    for result in agg["results"]:
        assert set(result["group"]) == {"queueId", "mediaType"}
        (data,) = result["data"]
        for metric in data["metrics"]:
            if metric["metric"].startswith("t"):
                assert set(metric["stats"]) == {"max", "min", "count", "sum"}
            elif metric["metric"] == "oServiceLevel":
                assert set(metric["stats"]) == {"ratio", "numerator", "denominator", "target"}


# ----------------------------------------------------------------------------- errors


def assert_genesys_error(reply: urllib3.BaseHTTPResponse, status: int, code: str) -> dict[str, Any]:
    assert reply.status == status
    body = json.loads(reply.data)
    assert body["status"] == status and body["code"] == code
    assert body["details"] == [] and body["errors"] == []
    assert re.fullmatch(r"[0-9a-f-]{36}", body["contextId"])
    return dict(body)


def test_validation_errors_are_400(http: Http) -> None:
    body = assert_genesys_error(
        http.api("POST", OBSERVATIONS, {"metrics": ["oWaiting", "oFoo"]}), 400, "bad.request"
    )
    assert "oFoo" in body["message"]
    too_many = observation_body([f"q{i}" for i in range(101)])
    assert_genesys_error(http.api("POST", OBSERVATIONS, too_many), 400, "bad.request")
    bad_dimension = {
        "metrics": ["oWaiting"],
        "filter": {"type": "or", "predicates": [{"dimension": "wrapUpCode", "value": "x"}]},
    }
    assert (
        "wrapUpCode"
        in assert_genesys_error(http.api("POST", OBSERVATIONS, bad_dimension), 400, "bad.request")["message"]
    )
    backwards = {"interval": "2026-11-25T10:00:00Z/2026-11-25T09:00:00Z", "metrics": ["nOffered"]}
    assert_genesys_error(http.api("POST", AGGREGATES, backwards), 400, "bad.request")
    assert_genesys_error(http.api("GET", f"{QUEUES}?pageSize=501"), 400, "bad.request")
    assert_genesys_error(
        http.pool.request(
            "POST", http.base + OBSERVATIONS, body=b"{nope", headers={"Authorization": f"Bearer {http.token}"}
        ),
        400,
        "bad.request",
    )
    missing = assert_genesys_error(http.api("GET", "/api/v2/users/me"), 404, "not.found")
    assert missing["message"] == "The requested resource was not found."


def test_observation_query_without_a_filter_is_400(http: Http, sdk: pc.ApiClient) -> None:
    unfiltered = {"metrics": TUTORIAL_OBSERVATION_METRICS}
    body = assert_genesys_error(http.api("POST", OBSERVATIONS, unfiltered), 400, "bad.request")
    assert "filter" in body["message"]
    with pytest.raises(ApiException) as caught:
        pc.AnalyticsApi(sdk).post_analytics_queues_observations_query(unfiltered)
    assert caught.value.status == 400


def test_sdk_surfaces_validation_error(sdk: pc.ApiClient) -> None:
    with pytest.raises(ApiException) as caught:
        pc.AnalyticsApi(sdk).post_analytics_queues_observations_query({"metrics": ["oBogus"]})
    assert caught.value.status == 400
    assert "oBogus" in json.loads(caught.value.body)["message"]


def test_missing_and_unknown_tokens_are_401(http: Http) -> None:
    missing = http.pool.request("GET", http.base + QUEUES)
    assert_genesys_error(missing, 401, "authentication.required")
    assert like_a_real_org(missing)
    assert_genesys_error(http.api("GET", QUEUES, token="forged"), 401, "bad.credentials")


def test_tokens_expire() -> None:
    centre = ContactCentre(default_scenario(), seed=1, speed=0.0, start=START)
    clock = FakeClock()
    with SimulatorServer(centre, token_ttl=60, clock=clock) as short:
        http = Http(short)
        assert http.api("GET", QUEUES).status == 200
        clock.advance(59.9)
        assert http.api("GET", QUEUES).status == 200
        clock.advance(0.1)
        assert_genesys_error(http.api("GET", QUEUES), 401, "bad.credentials")
        http.token = http.login()
        assert http.api("GET", QUEUES).status == 200


def test_revoked_tokens_and_refused_logins(http: Http, sdk: pc.ApiClient) -> None:
    http.admin("/admin/revoke-tokens", {})
    assert_genesys_error(http.api("GET", QUEUES), 401, "bad.credentials")
    with pytest.raises(ApiException) as caught:
        pc.RoutingApi(sdk).get_routing_queues()
    assert caught.value.status == 401
    http.admin("/admin/credentials", {"accept": False})
    refused = http.pool.request(
        "POST",
        http.base + "/oauth/token",
        body="grant_type=client_credentials",
        headers=urllib3.make_headers(basic_auth="id:secret"),
    )
    assert refused.status == 401 and json.loads(refused.data)["error"] == "invalid_client"
    http.admin("/admin/credentials", {"accept": True})
    http.token = http.login()
    assert http.api("GET", QUEUES).status == 200
    sdk.get_client_credentials_token("id", "secret")


def test_configured_credentials_and_grant_type() -> None:
    centre = ContactCentre(default_scenario(), seed=1, speed=0.0, start=START)
    with SimulatorServer(centre, client_id="good", client_secret="s3cret") as strict:
        http = Http.__new__(Http)
        http.base, http.pool = strict.base_url, urllib3.PoolManager(retries=False)
        assert http.login("good", "s3cret")
        with pytest.raises(AssertionError):
            http.login("good", "wrong")
        wrong_grant = http.pool.request(
            "POST",
            http.base + "/oauth/token",
            body="grant_type=password",
            headers=urllib3.make_headers(basic_auth="good:s3cret"),
        )
        assert wrong_grant.status == 400
        assert json.loads(wrong_grant.data)["error"] == "unsupported_grant_type"
        with pytest.raises(ApiException) as caught:
            pc.ApiClient(host=strict.base_url).get_client_credentials_token("good", "nope")
        assert caught.value.status == 401


def test_denied_permission_is_403_naming_it(http: Http) -> None:
    http.admin("/admin/faults", {"deny": ["analytics:conversationAggregate:view"]})
    body = assert_genesys_error(
        http.api("POST", AGGREGATES, aggregate_body([])), 403, "missing.any.permissions"
    )
    assert body["message"] == (
        "Unable to perform the requested action. You must have at least one of the following "
        "permissions assigned: [analytics:conversationAggregate:view]"
    )
    assert body["messageWithParams"].format(**body["messageParams"]) == body["message"]
    assert http.api("GET", QUEUES).status == 200


def test_no_rate_limit_headers_and_429_with_retry_after() -> None:
    centre = ContactCentre(default_scenario(), seed=1, speed=0.0, start=START)
    clock = FakeClock()
    with SimulatorServer(centre, rate_limit=3, clock=clock) as limited:
        http = Http(limited)
        for _ in range(3):
            reply = http.api("GET", QUEUES)
            assert reply.status == 200 and like_a_real_org(reply)
        clock.advance(20)
        over = http.api("GET", QUEUES)
        body = assert_genesys_error(over, 429, "too.many.requests.retry.after")
        assert over.headers["Retry-After"] == "40", "until the window of a minute resets"
        assert body["message"] == "Rate limit exceeded the maximum. Retry the request in [40] seconds"
        assert like_a_real_org(over)
        clock.advance(40)
        assert http.api("GET", QUEUES).status == 200, "a new window"
        client = pc.ApiClient(host=limited.base_url).get_client_credentials_token("id", "secret")
        client.get_http_client().rest_client.pool_manager = urllib3.PoolManager(retries=False)
        pc.RoutingApi(client).get_routing_queues()
        pc.RoutingApi(client).get_routing_queues()
        pc.RoutingApi(client).get_routing_queues()
        with pytest.raises(ApiException) as caught:
            pc.RoutingApi(client).get_routing_queues()
        assert caught.value.status == 429 and int(caught.value.headers["Retry-After"]) >= 1


def test_rate_limit_headers_as_before_june_2021_when_asked() -> None:
    centre = ContactCentre(default_scenario(), seed=1, speed=0.0, start=START)
    with SimulatorServer(centre, rate_limit=3, rate_limit_headers=True) as old:
        http = Http(old)
        counts = []
        for _ in range(3):
            reply = http.api("GET", QUEUES)
            assert reply.headers["inin-ratelimit-allowed"] == "3"
            assert int(reply.headers["inin-ratelimit-reset"]) in range(1, 61)
            counts.append(int(reply.headers["inin-ratelimit-count"]))
        assert counts == [1, 2, 3]
        assert all(http.api("GET", QUEUES).headers.get(h) for h in LIMIT_HEADERS)


# ----------------------------------------------------------------------------- faults


def test_fault_5xx(http: Http) -> None:
    http.admin("/admin/faults", {"fail_rate": 1.0, "fail_status": 503})
    reply = http.api("GET", QUEUES)
    assert_genesys_error(reply, 503, "service.unavailable")
    assert like_a_real_org(reply)
    http.admin("/admin/faults", {"fail_status": None})
    assert {http.api("GET", QUEUES).status for _ in range(30)} <= {500, 502, 503, 504}


def test_fault_remaining_switches_off(http: Http) -> None:
    faults = http.admin("/admin/faults", {"fail_rate": 1.0, "fail_status": 500, "remaining": 2})
    assert faults["remaining"] == 2
    assert [http.api("GET", QUEUES).status for _ in range(3)] == [500, 500, 200]
    assert http.admin("/admin/faults")["fail_rate"] == 0.0


def test_fault_latency_and_hang(http: Http) -> None:
    http.admin("/admin/faults", {"latency_ms": 50})
    began = time.perf_counter()
    assert http.api("GET", QUEUES).status == 200
    assert time.perf_counter() - began >= 0.05
    http.admin("/admin/faults", {"latency_ms": 0, "hang_s": 2.0})
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        http.api("GET", QUEUES, timeout=0.01)


def test_fault_drop(http: Http) -> None:
    http.admin("/admin/faults", {"drop_rate": 1.0})
    with pytest.raises(urllib3.exceptions.ProtocolError):
        http.api("GET", QUEUES)
    assert http.admin("/admin/stats")["by_status"]["dropped"] >= 1


def test_fault_malformed(http: Http) -> None:
    http.admin("/admin/faults", {"malformed_rate": 1.0})
    reply = http.api("GET", QUEUES)
    assert reply.status == 200
    assert int(reply.headers["Content-Length"]) == len(reply.data)
    with pytest.raises(json.JSONDecodeError):
        json.loads(reply.data)


def test_fault_forced_429(http: Http) -> None:
    http.admin("/admin/faults", {"rate_limit_next": 2, "retry_after": 3})
    first, second, third = (http.api("GET", QUEUES) for _ in range(3))
    assert first.status == second.status == 429
    assert first.headers["Retry-After"] == "3"
    assert "[3]" in json.loads(first.data)["message"]
    assert third.status == 200
    http.admin("/admin/faults", {"rate_limit_next": 1, "retry_after": None})
    bare = http.api("GET", QUEUES)
    assert bare.status == 429 and "Retry-After" not in bare.headers


def test_fault_paths_and_login_spared(http: Http) -> None:
    http.admin("/admin/faults", {"fail_rate": 1.0, "fail_status": 502, "paths": ["/observations/"]})
    assert http.api("GET", QUEUES).status == 200
    assert http.api("POST", OBSERVATIONS, observation_body([])).status == 502
    assert http.login()
    http.admin("/admin/faults", {"paths": ["/oauth/token"]})
    login = http.pool.request(
        "POST",
        http.base + "/oauth/token",
        body="grant_type=client_credentials",
        headers=urllib3.make_headers(basic_auth="id:secret"),
    )
    assert login.status == 502


def test_admin_rejects_bad_faults(http: Http) -> None:
    reply = http.pool.request("POST", http.base + "/admin/faults", body=json.dumps({"fail_rate": 2}))
    assert reply.status == 400 and "fail_rate" in json.loads(reply.data)["message"]
    reply = http.pool.request("POST", http.base + "/admin/faults", body=json.dumps({"explode": True}))
    assert reply.status == 400


def test_faults_json_round_trip() -> None:
    faults = Faults(fail_rate=0.5, deny={"routing:queue:view"}, paths=("/api",), retry_after=4)
    data = faults.to_json()
    assert json.loads(json.dumps(data)) == data
    again = Faults.from_json(data)
    assert again == faults
    again.reset()
    assert again == Faults()


def test_admin_delete_queue(server: SimulatorServer) -> None:
    centre = ContactCentre(default_scenario(), seed=1, speed=0.0, start=START)
    with SimulatorServer(centre) as own:
        http = Http(own)
        victim = name_id("queue", "[VIP] Sales")
        assert http.admin(f"/admin/queues/{victim}/delete", {}) == {"deleted": victim}
        listing = json.loads(http.api("GET", f"{QUEUES}?pageSize=100").data)
        assert listing["total"] == 39 and victim not in {e["id"] for e in listing["entities"]}
        obs = json.loads(http.api("POST", OBSERVATIONS, observation_body([victim])).data)
        assert obs["results"] == []
        missing = http.pool.request("POST", http.base + f"/admin/queues/{victim}/delete", body="{}")
        assert missing.status == 404


def test_stats_count_requests(server: SimulatorServer, http: Http) -> None:
    before = server.stats()
    http.api("GET", QUEUES)
    http.api("GET", QUEUES, token="forged")
    after = server.stats()
    key = f"GET {QUEUES}"
    assert after["by_path"][key] == before["by_path"].get(key, 0) + 2
    assert after["by_status"]["401"] == before["by_status"].get("401", 0) + 1


def test_keep_alive_reuses_one_connection(http: Http) -> None:
    pool = urllib3.HTTPConnectionPool("127.0.0.1", int(http.base.rsplit(":", 1)[1]), maxsize=1, retries=False)
    for _ in range(5):
        reply = pool.request("GET", QUEUES, headers={"Authorization": f"Bearer {http.token}"})
        assert reply.status == 200
    assert pool.num_connections == 1


# ----------------------------------------------------------------------------- demo and CLI


def test_start_demo_serves_live_numbers() -> None:
    demo = start_demo(seed=3, speed=60.0)
    try:
        http = Http(demo)
        assert json.loads(http.api("GET", QUEUES).data)["total"] == 40
    finally:
        demo.stop()


def cli_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_cli_prints_one_line_and_stops_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    stop = threading.Event()
    result: list[int] = []
    runner = threading.Thread(
        target=lambda: result.append(cli.run(cli_args("--port", "0", "--queues", "25"), stop=stop))
    )
    runner.start()
    printed: list[str] = []

    def has_printed() -> bool:
        printed.append(capsys.readouterr().out)
        return bool("".join(printed))

    until(has_printed, "the serving line", timeout=10)
    out = "".join(printed)
    stop.set()
    runner.join(timeout=5)
    assert result == [0]
    assert re.fullmatch(
        r"queuewatch simulator serving http://127\.0\.0\.1:\d+ \(25 queues, seed 7, Europe/London\)\n", out
    )


def test_cli_places_the_centre_and_shapes_its_replies() -> None:
    server = cli.build_server(
        cli_args(
            "--port", "0", "--timezone", "Asia/Tokyo", "--ratelimit-headers",
            "--detail-limit", "20", "--truncate", "newest",
        )
    )  # fmt: skip
    try:
        assert server.centre.scenario.timezone == "Asia/Tokyo"
        assert server.rate_limit_headers and server.detail_limit == 20 and server.truncation == "newest"
    finally:
        server.stop()
    daytime = cli.build_server(cli_args("--port", "0", "--timezone", "daytime"))
    try:
        zone = ZoneInfo(daytime.centre.scenario.timezone)
        assert 9 <= datetime.now(zone).hour <= 13, "somewhere it is late morning now"
        assert not daytime.rate_limit_headers and daytime.truncation == "ends" and daytime.detail_limit == 100
    finally:
        daytime.stop()


def test_cli_help_shows_every_default() -> None:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    for action in parser._actions:
        if action.option_strings and action.help != argparse.SUPPRESS and "-h" not in action.option_strings:
            assert action.help and "(default:" in action.help, action.option_strings


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--timezone", "Mars/Olympus"), "--timezone"),
        (("--detail-limit", "0"), "--detail-limit"),
        (("--port", "-1"), "--port"),
        (("--fail-rate", "1.5"), "--fail-rate"),
        (("--scenario", "/nonexistent/centre.toml"), "cannot read scenario file"),
        (("--queues", "0"), "--queues"),
    ],
)
def test_cli_rejects_bad_values(argv: tuple[str, ...], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        cli.run(cli_args(*argv))
    assert "\n" not in str(caught.value)


def test_admin_stage_sets_a_queue_s_figures_and_the_sdk_reads_them() -> None:
    from queuewatch.wire import parse_aggregates, parse_observations

    centre = ContactCentre(default_scenario(), seed=1, speed=0.0, start=START)
    with SimulatorServer(centre) as own:
        http = Http(own)
        outages, other = name_id("queue", "Tech Support - Outages"), name_id("queue", "Retention")
        now = datetime.fromtimestamp(START, UTC)

        def figures() -> tuple[Any, Any, Any, Any]:
            observed = json.loads(http.api("POST", OBSERVATIONS, observation_body([outages, other])).data)
            aggregated = json.loads(http.api("POST", AGGREGATES, aggregate_body([outages, other])).data)
            live, today = parse_observations(observed, now), parse_aggregates(aggregated, {})
            return live[outages], today[outages], (live[other], today[other]), (observed, aggregated)

        model_live, model_today, untouched, _ = figures()
        staged = {"waiting": 30, "longest_wait_s": 720, "idle": 0, "not_responding": 2}
        staged |= {"offered": 100, "abandoned": 12}
        assert http.admin(f"/admin/queues/{outages}/stage", staged) == {"staged": outages, **staged}
        live, today, others, (observed, aggregated) = figures()
        assert (live.live.waiting, live.live.longest_wait_s) == (30, 720.0)
        assert max(seconds for _, _, seconds in live.waiting_detail) == 720.0
        assert (live.agents.idle, live.agents.not_responding) == (0, 2)
        assert live.agents.interacting == model_live.agents.interacting, "the rest stays the model's"
        assert (today.today.offered, today.today.abandoned, today.today.abandon_rate) == (100, 12, 0.12)
        assert today.today.answered == model_today.today.answered
        assert others == untouched, "other queues are the model's"

        # The staged replies are still the API's shapes: the SDK's models read them with nothing lost.
        own_sdk = pc.ApiClient(host=own.base_url).get_client_credentials_token("id", "secret")
        analytics = pc.AnalyticsApi(own_sdk)
        both = [outages, other]
        assert wire(analytics.post_analytics_queues_observations_query(observation_body(both))) == observed
        assert (
            wire(analytics.post_analytics_conversations_aggregates_query(aggregate_body(both))) == aggregated
        )

        assert http.admin(f"/admin/queues/{outages}/stage", {}) == {"staged": outages}
        assert figures()[:2] == (model_live, model_today), "{} hands the queue back to the model"
        own.stage(outages, waiting=3)
        http.admin("/admin/reset", {})
        assert figures()[0] == model_live, "reset hands every queue back"

        for bad in ({"waiting": -1}, {"waiting": 2.5}, {"longest_wait_s": 5}, {"mood": 1}):
            url = http.base + f"/admin/queues/{outages}/stage"
            reply = http.pool.request("POST", url, body=json.dumps(bad))
            assert reply.status == 400, bad
            assert "\n" not in json.loads(reply.data)["message"]
        reply = http.pool.request("POST", http.base + "/admin/queues/nope/stage", body="{}")
        assert reply.status == 404
