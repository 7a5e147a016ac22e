"""How many requests queuewatch makes per minute, against the least it could make.

For 100, 1,000 and 5,000 queues, measures (against the simulator, through the real source) the
requests one live poll, one fetch of today's aggregates and one queue listing take, then works out
the requests per minute at the default cadence (live every 5 s, today every 30 s, the queue list
every 5 min) and compares them with the lower bound:

    ceil(queues / batch) per live poll and per aggregates fetch, ceil(queues / page) per listing.

Then it runs the real poller for a while at a 1 s interval on 1,000 queues and checks that the
requests it made match the bound for the polls it did.

    python bench/api_cost.py [--sizes 100 1000 5000] [--run-seconds 20]
"""

from __future__ import annotations

import argparse
import math
import threading
import time

from queuewatch.genesys import Credentials, GenesysSource, SourceSettings
from queuewatch.poller import Poller, PollerEvent, PollerSettings, SnapshotReceived, budget_stretch
from queuewatch.simulator import ContactCentre, SimulatorServer, generate_scenario

BATCH = 100
PAGE = 100
PER_MINUTE = {"observe": 60 / 5, "today": 60 / 30, "list": 60 / 300}


def requests(server: SimulatorServer) -> int:
    return int(server.stats()["total"])


def cost_of(size: int) -> None:
    centre = ContactCentre(generate_scenario(size, seed=1), seed=1)
    with SimulatorServer(centre, port=0, rate_limit=10**9) as server:
        source = GenesysSource(
            SourceSettings(base_url=server.base_url, batch_size=BATCH, page_size=PAGE, read_timeout=60),
            Credentials("bench", "bench"),
        )
        try:
            measured = {}
            before = requests(server)
            queues = source.list_queues()
            measured["list"] = requests(server) - before
            before = requests(server)
            source.observe(queues)
            measured["observe"] = requests(server) - before
            before = requests(server)
            source.today(queues)
            measured["today"] = requests(server) - before
        finally:
            source.close()
    bound = {
        "observe": math.ceil(size / BATCH),
        "today": math.ceil(size / BATCH),
        "list": math.ceil(size / PAGE),
    }
    per_minute = sum(measured[k] * PER_MINUTE[k] for k in PER_MINUTE)
    lower = sum(bound[k] * PER_MINUTE[k] for k in PER_MINUTE)
    stretch = budget_stretch(measured["observe"], PollerSettings(), 5.0, 300)
    print(
        f"{size:>5} queues: {per_minute:7.1f} requests/min at the default cadence "
        f"(bound {lower:7.1f}, ratio {per_minute / lower:.3f}); per poll {measured['observe']}, "
        f"per aggregates fetch {measured['today']}, per listing {measured['list']}"
    )
    if stretch > 1:
        print(
            f"       with a 300/min allowance the poller stretches that cadence {stretch:.2f}x: live every "
            f"{5 * stretch:.1f} s, {per_minute / stretch:.0f} requests/min"
        )


def live_run(size: int, seconds: float) -> None:
    centre = ContactCentre(generate_scenario(size, seed=2), seed=2)
    with SimulatorServer(centre, port=0, rate_limit=10**9) as server:
        settings = SourceSettings(base_url=server.base_url, batch_size=BATCH, page_size=PAGE)
        counts = {"snapshots": 0}
        time_up = threading.Event()

        def emit(event: PollerEvent) -> None:
            if isinstance(event, SnapshotReceived):
                counts["snapshots"] += 1
                if time_up.is_set():
                    poller.stop()  # between polls: nothing is in flight when the count is taken

        poller = Poller(
            lambda: GenesysSource(settings, Credentials("bench", "bench")),
            emit,
            PollerSettings(interval=1, today_every=6, queues_every=60),
        )
        thread = threading.Thread(target=poller.run, daemon=True)
        thread.start()
        time.sleep(seconds)
        time_up.set()
        thread.join(30)
        by_path = server.stats()["by_path"]
    polls = counts["snapshots"]
    obs = sum(v for k, v in by_path.items() if "observations" in k)
    agg = sum(v for k, v in by_path.items() if "aggregates" in k)
    listing = sum(v for k, v in by_path.items() if "routing/queues" in k)
    token = sum(v for k, v in by_path.items() if "oauth" in k)
    batches = math.ceil(size / BATCH)
    today_fetches = math.ceil(polls / 6)
    lower = polls * batches + today_fetches * batches + math.ceil(size / PAGE)
    total = obs + agg + listing + token
    print(
        f"poller run, {size} queues, 1 s interval, {seconds:g} s: {polls} polls, {total} requests "
        f"({obs} observations, {agg} aggregates, {listing} listing, {token} token); "
        f"lower bound {lower}, ratio {total / lower:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--run-seconds", type=float, default=20.0)
    args = parser.parse_args()
    for size in args.sizes:
        cost_of(size)
    live_run(1000, args.run_seconds)


if __name__ == "__main__":
    main()
