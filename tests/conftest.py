"""Shared fixtures: a real simulator on loopback, and the real Genesys source talking to it."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from queuewatch.simulator import ContactCentre, SimulatorServer, default_scenario
from queuewatch.simulator.scenario import during_business_hours
from tests.fixture_types import Admin, Served, SourceFor

if TYPE_CHECKING:  # the SDK takes seconds to import: only the tests that use it pay for it
    from queuewatch.genesys import GenesysSource

#: A real redis-server for the collector's tests (``redis_server``, ``own_redis``, ``stream_keys``).
pytest_plugins = ("tests.redis_support",)


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the real user's config file or Genesys credentials."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg")))
    for name in (
        "GENESYSCLOUD_OAUTHCLIENT_ID",
        "GENESYSCLOUD_OAUTHCLIENT_SECRET",
        "GENESYS_CLIENT_ID",
        "GENESYS_CLIENT_SECRET",
        "GENESYSCLOUD_REGION",
        "QUEUEWATCH_CONFIG",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def centre() -> ContactCentre:
    """The default scenario in business hours, warmed up once for the session (it is thread-safe).

    Placed where it is late morning now, so tests see calls waiting whatever the time of day.
    """
    return ContactCentre(during_business_hours(default_scenario()), seed=7)


@pytest.fixture
def sim(centre: ContactCentre) -> Iterator[SimulatorServer]:
    """A simulator server of its own (own faults, tokens and rate limits) over the shared model."""
    with SimulatorServer(centre, port=0) as server:
        yield server


def call_admin(server: SimulatorServer, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call the simulator's admin endpoint (no auth, never faulted)."""
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(
        f"{server.base_url}{path}", data=data, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as reply:
        return json.loads(reply.read() or b"null")


@pytest.fixture
def admin() -> Admin:
    """``admin(server, "/admin/faults", {...})``: drive the simulator's faults and state."""
    return call_admin


@pytest.fixture
def source_for() -> Iterator[SourceFor]:
    """Build real GenesysSources against a server; all are closed at the end of the test."""
    from queuewatch.genesys import Credentials, GenesysSource, SourceSettings

    made: list[GenesysSource] = []

    def make(server: Served, secret: str = "secret", **settings: Any) -> GenesysSource:
        zone = server.centre.scenario.timezone if isinstance(server, SimulatorServer) else "UTC"
        options = {"label": "sim", "connect_timeout": 1.0, "read_timeout": 2.0, "timezone": zone, **settings}
        source = GenesysSource(SourceSettings(base_url=server.base_url, **options), Credentials("id", secret))
        made.append(source)
        return source

    yield make
    for source in made:
        source.close()
