"""The Genesys adapter through the real SDK, over loopback HTTP, against the simulator.

Every way a call can fail must come out as one of queuewatch's own errors, with one plain line.
"""

from __future__ import annotations

import pytest

from queuewatch.errors import AuthError, BadResponse, PermissionMissing, RateLimited, Unavailable
from queuewatch.simulator import ContactCentre, SimulatorServer, default_scenario
from queuewatch.simulator.scenario import during_business_hours
from queuewatch.source import RateStatus
from tests.fixture_types import Admin, SourceFor

SECRET = "zz-Distinctive-Secret-4711"


def observations_asked(server: SimulatorServer) -> int:
    """How many observation queries reached the simulator."""
    return int(server.stats()["by_path"].get("POST /api/v2/analytics/queues/observations/query", 0))


def test_lists_every_queue_across_pages(
    sim: SimulatorServer, source_for: SourceFor, centre: ContactCentre
) -> None:
    everything = source_for(sim).list_queues()
    paged = source_for(sim, page_size=7).list_queues()
    assert len(everything) == len(centre.queue_ids()) >= 30
    assert [q.id for q in paged] == [q.id for q in everything]
    names = {q.name for q in everything}
    assert "[VIP] Sales" in names
    assert any("🎧" in name for name in names)
    assert all(q.division for q in everything)
    assert any(q.sl_targets.get("voice") for q in everything)


def test_name_pattern_is_sent_to_genesys(sim: SimulatorServer, source_for: SourceFor) -> None:
    queues = source_for(sim, name_pattern="Sales*").list_queues()
    assert queues and all(q.name.lower().startswith("sales") for q in queues)


def test_live_figures_are_consistent(sim: SimulatorServer, source_for: SourceFor) -> None:
    source = source_for(sim, batch_size=10)
    queues = source.list_queues()
    live = source.observe(queues)
    assert not live.failures
    assert set(live.values) == {q.id for q in queues}
    waiting_somewhere = False
    for queue in live.values.values():
        assert queue.live.waiting == sum(m.waiting or 0 for m in queue.by_media.values())
        if queue.live.waiting:
            waiting_somewhere = True
            assert queue.live.longest_wait_s is not None and queue.live.longest_wait_s >= 0
            assert queue.waiting_detail, "the oldest waiting conversations come with the detail metric"
        else:
            assert queue.live.longest_wait_s == 0
        assert queue.agents.idle is not None and queue.members is not None
    assert waiting_somewhere, "the default scenario starts with calls waiting"


def test_today_figures_are_consistent(sim: SimulatorServer, source_for: SourceFor) -> None:
    source = source_for(sim)
    queues = source.list_queues()
    today = source.today(queues)
    assert not today.failures
    offered = 0
    for queue in today.values.values():
        t = queue.today
        assert t.offered is not None and t.answered is not None and t.abandoned is not None
        assert t.answered + t.abandoned <= t.offered
        if t.service_level is not None:
            assert 0 <= t.service_level <= 1
        offered += t.offered
    assert offered > 0, "the day so far is already simulated"


def test_expired_token_is_renewed_once(admin: Admin, sim: SimulatorServer, source_for: SourceFor) -> None:
    source = source_for(sim)
    source.list_queues()
    admin(sim, "/admin/revoke-tokens")
    assert source.list_queues(), "a 401 fetches a new token and retries"


def test_revoked_credentials_are_an_auth_error(
    admin: Admin, sim: SimulatorServer, source_for: SourceFor
) -> None:
    source = source_for(sim, secret=SECRET)
    admin(sim, "/admin/revoke-tokens")
    admin(sim, "/admin/credentials", {"accept": False})
    with pytest.raises(AuthError) as caught:
        source.list_queues()
    assert "GENESYSCLOUD_OAUTHCLIENT_ID" in str(caught.value)
    assert SECRET not in str(caught.value) and SECRET not in repr(source)


def test_wrong_credentials_at_start(centre: ContactCentre, source_for: SourceFor) -> None:
    with SimulatorServer(centre, port=0, client_id="id", client_secret="right") as server:
        with pytest.raises(AuthError) as caught:
            source_for(server, secret=SECRET)
        assert SECRET not in str(caught.value)
        assert source_for(server, secret="right").list_queues()


@pytest.mark.parametrize("status", [400, 403])
def test_token_request_refused_is_an_auth_error(
    sim: SimulatorServer, source_for: SourceFor, status: int
) -> None:
    """Genesys answers a bad client (or a client without the grant) with 400 or 403, not 401."""
    sim.faults.update({"fail_rate": 1.0, "fail_status": status, "paths": ["/oauth/token"]})
    with pytest.raises(AuthError) as caught:
        source_for(sim, secret=SECRET)
    message = str(caught.value)
    assert "rejected the OAuth client credentials" in message and "GENESYSCLOUD_OAUTHCLIENT_ID" in message
    assert "\n" not in message and SECRET not in message
    assert sim.stats()["by_path"] == {"POST /oauth/token": 1}, "not retried"


def test_missing_permission_names_it(admin: Admin, sim: SimulatorServer, source_for: SourceFor) -> None:
    source = source_for(sim)
    queues = source.list_queues()
    admin(sim, "/admin/faults", {"deny": ["analytics:conversationAggregate:view"]})
    assert source.observe(queues).values, "other endpoints still work"
    with pytest.raises(PermissionMissing) as caught:
        source.today(queues)
    assert caught.value.permission == "analytics:conversationAggregate:view"
    assert "analytics:conversationAggregate:view" in str(caught.value)


@pytest.mark.parametrize("retry_after", [7, None])
def test_rate_limited_carries_retry_after(
    admin: Admin, sim: SimulatorServer, source_for: SourceFor, retry_after: int | None
) -> None:
    source = source_for(sim)
    queues = source.list_queues()
    admin(sim, "/admin/faults", {"rate_limit_next": 3, "retry_after": retry_after})
    with pytest.raises(RateLimited) as caught:
        source.observe(queues[:5])
    assert caught.value.retry_after == retry_after
    assert observations_asked(sim) == 1, "the SDK's hidden urllib3 retry is off: no sleeping through 429s"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_unavailable(
    admin: Admin, sim: SimulatorServer, source_for: SourceFor, status: int
) -> None:
    source = source_for(sim)
    queues = source.list_queues()
    admin(sim, "/admin/faults", {"fail_rate": 1.0, "fail_status": status})
    with pytest.raises(Unavailable, match=str(status)):
        source.observe(queues[:5])
    assert observations_asked(sim) == 1, "a 5xx is not retried inside the SDK either"


def test_slow_reply_times_out(admin: Admin, sim: SimulatorServer, source_for: SourceFor) -> None:
    source = source_for(sim, read_timeout=0.5)
    queues = source.list_queues()
    admin(sim, "/admin/faults", {"hang_s": 3, "paths": ["/observations"]})
    with pytest.raises(Unavailable, match="did not answer"):
        source.observe(queues[:5])


def test_dropped_connection(admin: Admin, sim: SimulatorServer, source_for: SourceFor) -> None:
    source = source_for(sim)
    queues = source.list_queues()
    admin(sim, "/admin/faults", {"drop_rate": 1.0})
    with pytest.raises(Unavailable):
        source.observe(queues[:5])


def test_malformed_json(admin: Admin, sim: SimulatorServer, source_for: SourceFor) -> None:
    source = source_for(sim)
    queues = source.list_queues()
    admin(sim, "/admin/faults", {"malformed_rate": 1.0})
    with pytest.raises(BadResponse):
        source.observe(queues[:5])


def test_refused_connection(source_for: SourceFor) -> None:
    class Nowhere:
        base_url = "http://127.0.0.1:9"

    with pytest.raises(Unavailable, match="cannot reach"):
        source_for(Nowhere())


def test_one_failed_batch_is_partial(admin: Admin, sim: SimulatorServer, source_for: SourceFor) -> None:
    source = source_for(sim, batch_size=10, concurrency=1)
    queues = source.list_queues()
    admin(sim, "/admin/faults", {"fail_rate": 1.0, "fail_status": 502, "remaining": 1})
    result = source.observe(queues)
    assert len(result.failures) == 1
    failed = result.failed_ids
    assert len(failed) == 10
    assert set(result.values) == {q.id for q in queues} - failed


def test_queue_deleted_between_listing_and_querying(admin: Admin, source_for: SourceFor) -> None:
    centre = ContactCentre(during_business_hours(default_scenario()), seed=3)
    with SimulatorServer(centre, port=0) as server:
        source = source_for(server)
        queues = source.list_queues()
        gone = queues[0].id
        admin(server, f"/admin/queues/{gone}/delete")
        result = source.observe(queues)
        assert gone not in result.values and gone not in result.failed_ids
        assert len(result.values) == len(queues) - 1
        assert gone not in {q.id for q in source.list_queues()}


def test_rate_status_counts_requests_and_429s_without_any_headers(
    admin: Admin, sim: SimulatorServer, source_for: SourceFor
) -> None:
    assert not sim.rate_limit_headers, "a real org sends no inin-ratelimit-* headers"
    source = source_for(sim)
    queues = source.list_queues()
    assert source.rate_status() == RateStatus(last_minute=2), "the token request and the listing"
    admin(sim, "/admin/faults", {"rate_limit_next": 1, "retry_after": 3})
    with pytest.raises(RateLimited):
        source.observe(queues[:5])
    assert source.rate_status() == RateStatus(last_minute=3, refused_last_minute=1)


def test_certificates_are_always_verified(sim: SimulatorServer, source_for: SourceFor) -> None:
    source = source_for(sim)
    pool = source._client.get_http_client().rest_client.pool_manager
    assert pool.connection_pool_kw["cert_reqs"] == "CERT_REQUIRED"
    assert pool.connection_pool_kw["retries"].total is False
