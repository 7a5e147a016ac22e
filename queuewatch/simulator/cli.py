"""``queuewatch simulate``: run the Genesys Cloud simulator in the foreground until Ctrl+C."""

from __future__ import annotations

import argparse
import threading

from queuewatch.errors import ConfigError
from queuewatch.simulator.engine import ContactCentre
from queuewatch.simulator.scenario import Scenario, default_scenario, generate_scenario, load_scenario
from queuewatch.simulator.server import Faults, SimulatorServer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the simulator's options to ``parser``."""
    parser.add_argument("--port", type=int, default=8765, help="TCP port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the simulated centre")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    parser.add_argument("--scenario", metavar="FILE", help="scenario file (.toml or .json)")
    parser.add_argument("--queues", type=int, metavar="N", help="generate a scenario of N queues instead")
    parser.add_argument("--rate-limit", type=int, default=300, help="requests per minute per token")
    parser.add_argument("--token-ttl", type=int, default=86400, help="token lifetime in seconds")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="probability of a 5xx reply (0..1)")
    parser.add_argument("--latency-ms", type=int, default=0, help="extra delay on every API reply")
    parser.add_argument("--client-id", help="accept only this OAuth client id (default: any)")
    parser.add_argument("--client-secret", help="accept only this OAuth client secret (default: any)")


def _scenario(args: argparse.Namespace) -> Scenario:
    if args.scenario and args.queues is not None:
        raise ConfigError("--scenario and --queues cannot be used together")
    if args.scenario:
        return load_scenario(args.scenario)
    if args.queues is not None:
        if args.queues < 1:
            raise ConfigError(f"--queues must be 1 or more, not {args.queues}")
        return generate_scenario(args.queues, seed=args.seed)
    return default_scenario()


def build_server(args: argparse.Namespace) -> SimulatorServer:
    """Validate the options and build (not start) the server; raises ConfigError for bad values."""
    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port must be from 0 to 65535, not {args.port}")
    if not 0.0 <= args.fail_rate <= 1.0:
        raise ConfigError(f"--fail-rate must be from 0 to 1, not {args.fail_rate:g}")
    if args.speed < 0:
        raise ConfigError(f"--speed must be 0 or more, not {args.speed:g}")
    if args.rate_limit < 1:
        raise ConfigError(f"--rate-limit must be 1 or more, not {args.rate_limit}")
    if args.token_ttl < 1:
        raise ConfigError(f"--token-ttl must be 1 or more, not {args.token_ttl}")
    if args.latency_ms < 0:
        raise ConfigError(f"--latency-ms must be 0 or more, not {args.latency_ms}")
    scenario = _scenario(args)
    centre = ContactCentre(scenario, seed=args.seed, speed=args.speed)
    faults = Faults(fail_rate=args.fail_rate, latency_ms=args.latency_ms)
    try:
        return SimulatorServer(
            centre,
            port=args.port,
            rate_limit=args.rate_limit,
            token_ttl=args.token_ttl,
            client_id=args.client_id,
            client_secret=args.client_secret,
            faults=faults,
        )
    except OSError as exc:
        raise ConfigError(f"cannot listen on 127.0.0.1:{args.port} ({exc.strerror or exc})") from None


def run(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    """Serve until Ctrl+C (or until ``stop`` is set); returns the exit status."""
    server = build_server(args)
    server.start()
    n_queues = len(server.centre.scenario.queues)
    print(f"queuewatch simulator serving {server.base_url} ({n_queues} queues, seed {args.seed})", flush=True)
    waiter = stop or threading.Event()
    try:
        while not waiter.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
