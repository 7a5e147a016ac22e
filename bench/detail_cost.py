"""What the queue detail screen costs in requests: its agents one by one.

While a queue is open in detail, every live poll also asks the routing activity query for that
queue's agents (``POST /api/v2/analytics/routing/activity/query``, one request), and the users
listing for the names of agents not seen before (``GET /api/v2/users``, one request per 100 new
agents, then never again for them). This runs the real poller through the real source against the
simulator, with and without a queue in detail, and counts the requests by endpoint; it also times
one agent query through the SDK.

    python -m bench.detail_cost [--queues 1000] [--polls 12]
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
import urllib.request

from queuewatch.genesys import Credentials, GenesysSource, SourceSettings
from queuewatch.poller import Poller, PollerEvent, PollerSettings, SnapshotReceived
from queuewatch.simulator import ContactCentre, SimulatorServer, generate_scenario

ACTIVITY = "POST /api/v2/analytics/routing/activity/query"
USERS = "GET /api/v2/users"
OBSERVATIONS = "POST /api/v2/analytics/queues/observations/query"


def run(server: SimulatorServer, polls: int, watched: list[str]) -> dict[str, int]:
    """Requests by endpoint over ``polls`` live polls, 0.2 s apart, with ``watched`` in detail."""
    before = server.stats()["by_path"]
    done = threading.Event()
    seen = {"polls": 0}

    def emit(event: PollerEvent) -> None:
        if isinstance(event, SnapshotReceived):
            seen["polls"] += 1
            if seen["polls"] >= polls:
                done.set()
                poller.stop()

    settings = SourceSettings(base_url=server.base_url, read_timeout=60)
    poller = Poller(
        lambda: GenesysSource(settings, Credentials("bench", "bench")),
        emit,
        PollerSettings(interval=1, min_interval=0.2, today_every=3600, queues_every=3600),
    )
    poller.set_interval(0.2)
    poller.watch_agents(watched)
    thread = threading.Thread(target=poller.run, daemon=True)
    thread.start()
    done.wait(120)
    thread.join(30)
    after = server.stats()["by_path"]
    return {path: after.get(path, 0) - before.get(path, 0) for path in (OBSERVATIONS, ACTIVITY, USERS)}


def reply_bytes(server: SimulatorServer, queue_id: str) -> int:
    token_request = urllib.request.Request(
        f"{server.base_url}/oauth/token",
        data=b"grant_type=client_credentials",
        headers={
            "Authorization": "Basic YmVuY2g6YmVuY2g=",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    with urllib.request.urlopen(token_request) as reply:
        token = json.loads(reply.read())["access_token"]
    body = {
        "metrics": [{"metric": "oUserRoutingStatuses", "details": True}],
        "groupBy": ["queueId"],
        "filter": {"type": "or", "predicates": [{"dimension": "queueId", "value": queue_id}]},
    }
    request = urllib.request.Request(
        f"{server.base_url}/api/v2/analytics/routing/activity/query",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as reply:
        return len(reply.read())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--queues", type=int, default=1000)
    parser.add_argument("--polls", type=int, default=12)
    args = parser.parse_args()
    centre = ContactCentre(generate_scenario(args.queues, seed=4), seed=4)
    with SimulatorServer(centre, port=0, rate_limit=10**9) as server:
        queue_id = max(centre.queue_ids(), key=lambda q: len(centre._by_id[q].agents))  # the largest team
        members = len(centre._by_id[queue_id].agents)
        closed = run(server, args.polls, [])
        opened = run(server, args.polls, [queue_id])
        source = GenesysSource(SourceSettings(base_url=server.base_url), Credentials("bench", "bench"))
        try:
            source.agent_activity([queue_id])  # names looked up once
            times = []
            for _ in range(20):
                started = time.perf_counter()
                source.agent_activity([queue_id])
                times.append(time.perf_counter() - started)
        finally:
            source.close()
        size = reply_bytes(server, queue_id)
    print(f"{args.queues} queues, {args.polls} polls each; the queue in detail has {members} members")
    for what, counts in (("no detail open", closed), ("one queue open", opened)):
        print(
            f"  {what + ':':<17} {counts[OBSERVATIONS]} observations, {counts[ACTIVITY]} agent queries, "
            f"{counts[USERS]} name lookups"
        )
    extra = opened[ACTIVITY] + opened[USERS] - closed[ACTIVITY] - closed[USERS]
    per_poll = opened[ACTIVITY] / args.polls
    print(
        f"  extra requests:   {extra} over {args.polls} polls "
        f"({per_poll:.2f} per poll, {opened[USERS]} for names)"
    )
    print(f"  at the default 5 s interval: +{60 / 5:.0f} requests/min while a queue is open in detail")
    median = statistics.median(times) * 1000
    print(f"  one agent query through the SDK: median {median:.1f} ms; reply {size} bytes")


if __name__ == "__main__":
    main()
