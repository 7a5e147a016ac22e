"""The types of the fixtures in conftest.py, for the tests' annotations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the SDK takes seconds to import: only the tests that use it pay for it
    from queuewatch.genesys import GenesysSource
    from queuewatch.simulator import SimulatorServer


class Admin(Protocol):
    """The ``admin`` fixture: call the simulator's admin endpoint."""

    def __call__(self, server: SimulatorServer, path: str, body: dict[str, Any] | None = None) -> Any: ...


class Served(Protocol):
    """Anything with a base URL to point a source at (a simulator, or an address nobody serves)."""

    @property
    def base_url(self) -> str: ...


class SourceFor(Protocol):
    """The ``source_for`` fixture: a real GenesysSource against ``server``, closed after the test."""

    def __call__(self, server: Served, secret: str = "secret", **settings: Any) -> GenesysSource: ...
