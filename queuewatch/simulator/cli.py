"""``queuewatch simulate``: run the Genesys Cloud simulator in the foreground until Ctrl+C."""

from __future__ import annotations

import argparse
import math
import threading
from dataclasses import replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from queuewatch.errors import ConfigError
from queuewatch.simulator.engine import ContactCentre
from queuewatch.simulator.notifications import NotificationSettings
from queuewatch.simulator.replies import MAX_OBSERVATIONS, TRUNCATIONS
from queuewatch.simulator.scenario import (
    Scenario,
    default_scenario,
    during_business_hours,
    generate_scenario,
    load_scenario,
)
from queuewatch.simulator.server import Faults, SimulatorServer

#: The fastest the simulated clock may run (simulated seconds per real second).
MAX_SPEED = 1000.0
#: The longest extra delay on every reply, and the longest token lifetime.
MAX_LATENCY_MS = 60_000
MAX_TOKEN_TTL = 366 * 86400


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the simulator's options to ``parser``; each help text ends with the option's default."""
    add = parser.add_argument
    add(
        "--port",
        type=int,
        default=8765,
        help="TCP port on 127.0.0.1, 0 for any free one (default: %(default)s)",
    )
    add("--seed", type=int, default=7, help="random seed of the simulated centre (default: %(default)s)")
    add(
        "--speed",
        type=float,
        default=1.0,
        help="simulated seconds per real second, 0 to 1000 (default: %(default)s)",
    )
    add("--scenario", metavar="FILE", help="scenario file, .toml or .json (default: the built-in 40 queues)")
    add("--queues", type=int, metavar="N", help="generate a scenario of N queues instead (default: off)")
    add(
        "--timezone",
        metavar="TZ",
        help="IANA zone the centre lives in, or 'daytime' for wherever it is late morning now "
        "(default: the scenario's own, Europe/London for the built-in one)",
    )
    add("--rate-limit", type=int, default=300, help="requests per minute per token (default: %(default)s)")
    add(
        "--ratelimit-headers",
        action="store_true",
        help="send the inin-ratelimit-* headers Genesys removed in June 2021 (default: off, as a real org)",
    )
    add("--token-ttl", type=int, default=86400, help="token lifetime in seconds (default: %(default)s)")
    add(
        "--detail-limit",
        type=int,
        default=MAX_OBSERVATIONS,
        metavar="N",
        help="detail observations per metric before a list is truncated (default: %(default)s)",
    )
    add(
        "--truncate",
        choices=TRUNCATIONS,
        default="ends",
        help="what a truncated list keeps: the oldest and newest halves, or only the newest "
        "(default: %(default)s)",
    )
    add(
        "--fail-rate", type=float, default=0.0, help="probability of a 5xx reply, 0..1 (default: %(default)s)"
    )
    add("--latency-ms", type=int, default=0, help="extra delay on every API reply (default: %(default)s)")
    add(
        "--heartbeat",
        type=float,
        default=30.0,
        metavar="S",
        help="seconds between WebSocket heartbeats (default: %(default)s)",
    )
    add(
        "--channel-ttl",
        type=float,
        default=86_400.0,
        metavar="S",
        help="seconds a notification channel lives (default: %(default)s)",
    )
    add("--client-id", help="accept only this OAuth client id (default: any)")
    add("--client-secret", help="accept only this OAuth client secret (default: any)")


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


def _placed(scenario: Scenario, timezone: str | None) -> Scenario:
    """The scenario in the time zone asked for (its own when None)."""
    if timezone is None:
        return scenario
    if timezone == "daytime":
        return during_business_hours(scenario)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"--timezone: unknown time zone {timezone!r}: use an IANA name such as Asia/Tokyo, or daytime"
        ) from None
    return replace(scenario, timezone=timezone)


def build_server(args: argparse.Namespace) -> SimulatorServer:
    """Validate the options and build (not start) the server; raises ConfigError for bad values."""
    if args.heartbeat <= 0 or args.channel_ttl <= 0:
        raise ConfigError("--heartbeat and --channel-ttl must be more than 0 seconds")
    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port must be from 0 to 65535, not {args.port}")
    if not 0.0 <= args.fail_rate <= 1.0:
        raise ConfigError(f"--fail-rate must be from 0 to 1, not {args.fail_rate:g}")
    if not (math.isfinite(args.speed) and 0 <= args.speed <= MAX_SPEED):
        raise ConfigError(
            f"--speed must be from 0 to {MAX_SPEED:g} (simulated seconds per real second), not {args.speed:g}"
        )
    if args.rate_limit < 1:
        raise ConfigError(f"--rate-limit must be 1 or more, not {args.rate_limit}")
    if not 1 <= args.token_ttl <= MAX_TOKEN_TTL:
        raise ConfigError(f"--token-ttl must be from 1 to {MAX_TOKEN_TTL} seconds, not {args.token_ttl}")
    if not 0 <= args.latency_ms <= MAX_LATENCY_MS:
        raise ConfigError(f"--latency-ms must be from 0 to {MAX_LATENCY_MS}, not {args.latency_ms}")
    if args.detail_limit < 1:
        raise ConfigError(f"--detail-limit must be 1 or more, not {args.detail_limit}")
    scenario = _placed(_scenario(args), args.timezone)
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
            rate_limit_headers=args.ratelimit_headers,
            detail_limit=args.detail_limit,
            truncation=args.truncate,
            notifications=NotificationSettings(heartbeat_s=args.heartbeat, channel_ttl_s=args.channel_ttl),
        )
    except OSError as exc:
        raise ConfigError(f"cannot listen on 127.0.0.1:{args.port} ({exc.strerror or exc})") from None


def run(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    """Serve until Ctrl+C (or until ``stop`` is set); returns the exit status."""
    server = build_server(args)
    server.start()
    n_queues = len(server.centre.scenario.queues)
    zone = server.centre.scenario.timezone
    print(
        f"queuewatch simulator serving {server.base_url} ({n_queues} queues, seed {args.seed}, {zone})",
        flush=True,
    )
    waiter = stop or threading.Event()
    try:
        while not waiter.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
