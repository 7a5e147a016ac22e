"""A local stand-in for the Genesys Cloud API: a simulated contact centre served over loopback HTTP.

>>> server = start_demo(seed=7)          # doctest: +SKIP
>>> server.base_url                      # doctest: +SKIP
'http://127.0.0.1:54321'
"""

from queuewatch.simulator.engine import ContactCentre
from queuewatch.simulator.query import SimulatorValidationError
from queuewatch.simulator.scenario import (
    Scenario,
    default_scenario,
    during_business_hours,
    generate_scenario,
    load_scenario,
)
from queuewatch.simulator.server import Faults, SimulatorServer, start_demo

__all__ = [
    "ContactCentre",
    "Faults",
    "Scenario",
    "SimulatorServer",
    "SimulatorValidationError",
    "default_scenario",
    "during_business_hours",
    "generate_scenario",
    "load_scenario",
    "start_demo",
]
