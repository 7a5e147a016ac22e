"""How fast the simulator starts and serves observation polls.

Prints the warm-start time of the default and a 5,000-queue scenario, then how many full
observation polls per second a 5,000-queue simulator serves: one poll is 50 observation queries of
100 queues each, sent over keep-alive HTTP on 4 concurrent connections (urllib3, retries off).

    PYTHONPATH=. python bench/simulator_throughput.py [--queues 5000] [--polls 10]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from zoneinfo import ZoneInfo

import urllib3

from queuewatch.simulator import ContactCentre, Scenario, SimulatorServer, default_scenario, generate_scenario

OBSERVATIONS = "/api/v2/analytics/queues/observations/query"
METRICS = [
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


def timed_centre(label: str, scenario: Scenario, start: float | None = None) -> ContactCentre:
    began = time.perf_counter()
    centre = ContactCentre(scenario, seed=7, start=start)
    print(f"warm start, {label:<44}: {time.perf_counter() - began:6.2f} s")
    return centre


def local_time_today(timezone: str, hour: int) -> float:
    now = datetime.now(ZoneInfo(timezone))
    return now.replace(hour=hour, minute=0, second=0, microsecond=0).timestamp()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queues", type=int, default=5000)
    parser.add_argument("--polls", type=int, default=10)
    args = parser.parse_args()

    default = default_scenario()
    big = generate_scenario(args.queues, seed=1)
    late = local_time_today(big.timezone, 21)
    timed_centre("default scenario, now", default)
    timed_centre("default scenario, 21:00 local (most of a day)", default, late)
    timed_centre(f"{args.queues}-queue scenario, now", big)
    centre = timed_centre(f"{args.queues}-queue scenario, 21:00 local", big, late)

    del centre
    urls: multiprocessing.Queue[tuple[str, list[str]]] = multiprocessing.Queue()
    child = multiprocessing.Process(target=serve, args=(args.queues, late, urls), daemon=True)
    child.start()
    try:
        base_url, ids = urls.get(timeout=120)
        measure(base_url, ids, args.polls)
    finally:
        child.terminate()
        child.join()


def serve(n_queues: int, start: float, urls: multiprocessing.Queue[tuple[str, list[str]]]) -> None:
    """Run the simulator in its own process, so the client does not share its interpreter lock."""
    centre = ContactCentre(generate_scenario(n_queues, seed=1), seed=7, start=start)
    server = SimulatorServer(centre, rate_limit=10**9).start()
    urls.put((server.base_url, centre.queue_ids()))
    threading.Event().wait()


def measure(base_url: str, ids: list[str], polls: int) -> None:
    """Time full observation polls against the server at ``base_url``."""
    pool = make_pool()
    token = login(pool, base_url)
    bodies = [
        json.dumps(
            {
                "filter": {
                    "type": "or",
                    "predicates": [{"dimension": "queueId", "value": q} for q in ids[i : i + 100]],
                },
                "metrics": METRICS,
                "detailMetrics": ["oWaiting"],
            }
        ).encode()
        for i in range(0, min(len(ids), 5000), 100)
    ]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    url = base_url + OBSERVATIONS

    def query(body: bytes) -> int:
        reply = pool.request("POST", url, body=body, headers=headers)
        assert reply.status == 200, reply.status
        return len(reply.data)

    with ThreadPoolExecutor(max_workers=4) as workers:
        list(workers.map(query, bodies))  # warm the connections
        began = time.perf_counter()
        sizes = 0
        for _ in range(polls):
            sizes += sum(workers.map(query, bodies))
        elapsed = time.perf_counter() - began
    per_poll = elapsed / polls
    print(
        f"observation poll ({len(bodies)} queries x 100 queues, 4 connections): "
        f"{per_poll * 1000:7.1f} ms/poll = {1 / per_poll:5.2f} polls/s "
        f"({len(bodies) / per_poll:6.0f} queries/s, {sizes / polls / 1e6:.1f} MB/poll)"
    )


def make_pool() -> urllib3.PoolManager:
    return urllib3.PoolManager(
        maxsize=4, block=True, retries=False, timeout=urllib3.Timeout(connect=2, read=30)
    )


def login(pool: urllib3.PoolManager, base_url: str) -> str:
    reply = pool.request(
        "POST",
        base_url + "/oauth/token",
        body="grant_type=client_credentials",
        headers={
            **urllib3.make_headers(basic_auth="bench:bench"),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    return str(json.loads(reply.data)["access_token"])


if __name__ == "__main__":
    main()
