"""`queuewatch doctor`: a checklist against the simulator, and an exit code that tells."""

from __future__ import annotations

import pytest

from queuewatch.cli import main
from queuewatch.simulator import ContactCentre, SimulatorServer
from tests.fixture_types import Served

CREDS = {"GENESYSCLOUD_OAUTHCLIENT_ID": "id", "GENESYSCLOUD_OAUTHCLIENT_SECRET": "zz-Doctor-Secret-99"}


def doctor(
    capsys: pytest.CaptureFixture[str], server: Served, env: dict[str, str] = CREDS
) -> tuple[int, str, str]:
    code = main(["doctor", "--region", server.base_url], env=env)
    out, err = capsys.readouterr()
    return code, out, err


def test_everything_in_place(capsys: pytest.CaptureFixture[str], sim: SimulatorServer) -> None:
    code, out, _ = doctor(capsys, sim)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("✓ region 127.0.0.1")
    for permission in (
        "routing:queue:view",
        "analytics:queueObservation:view",
        "analytics:conversationAggregate:view",
    ):
        assert f"✓ {permission}" in lines
    assert (
        "· request allowance: 300 per minute assumed (Genesys's documented per-token default; "
        "the API no longer reports it, and a 429 lowers it)"
    ) in lines
    assert "✓ 40 queues visible" in lines
    assert lines[-1] == "all checks passed"


def test_a_missing_permission_says_what_to_add(
    capsys: pytest.CaptureFixture[str], sim: SimulatorServer
) -> None:
    sim.faults.update({"deny": ["analytics:conversationAggregate:view"]})
    code, out, _ = doctor(capsys, sim)
    assert code == 3
    assert "✗ analytics:conversationAggregate:view: missing — add it to a role of the OAuth client" in out
    assert "✓ analytics:queueObservation:view" in out
    assert out.splitlines()[-1] == "some checks failed"


def test_rejected_credentials(capsys: pytest.CaptureFixture[str], centre: ContactCentre) -> None:
    with SimulatorServer(centre, port=0, client_id="id", client_secret="other") as server:
        code, out, err = doctor(capsys, server)
    assert code == 3
    assert "✗ Genesys Cloud at" in out and "rejected the OAuth client credentials" in out
    assert CREDS["GENESYSCLOUD_OAUTHCLIENT_SECRET"] not in out + err


def test_unreachable(capsys: pytest.CaptureFixture[str]) -> None:
    class Gone:
        base_url = "http://127.0.0.1:9"

    code, out, _ = doctor(capsys, Gone())
    assert code == 4 and "✗ cannot reach 127.0.0.1:9" in out


def test_push_is_checked_topic_schema_and_subscription(
    capsys: pytest.CaptureFixture[str], sim: SimulatorServer
) -> None:
    code, out, _ = doctor(capsys, sim)
    assert code == 0
    assert (
        "✓ notification topic v2.analytics.queues.{id}.observations offered "
        "(event schema V2QueueObservationObservationCountNotification)"
    ) in out.splitlines()
    assert "✓ may subscribe to queue observations (live figures by push)" in out.splitlines()


def test_a_refused_subscription_warns_and_says_polling_will_do(
    capsys: pytest.CaptureFixture[str], sim: SimulatorServer
) -> None:
    sim.faults.update({"deny": ["analytics:queueObservation:view"]})
    _, out, _ = doctor(capsys, sim)
    assert (
        "! subscribing to queue observations refused (missing analytics:queueObservation:view): "
        "live figures will be polled (--live auto does so by itself)"
    ) in out.splitlines()


def test_refused_channels_only_warn(capsys: pytest.CaptureFixture[str], sim: SimulatorServer) -> None:
    sim.notifications.set_faults({"refuse_channels": 503})
    code, out, _ = doctor(capsys, sim)
    assert code == 0
    assert any(line.startswith("! notification channel: ") for line in out.splitlines())
