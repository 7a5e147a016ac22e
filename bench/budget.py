"""The request budget held for minutes at 5,000 queues: no 429 with the default allowance.

The real poller and the real Genesys source against the simulator (in this process) with its
default limit of 300 requests a minute per token, at the dashboard's default cadence, for
``--seconds`` (600: ten minutes). Prints the 429s the simulator answered, the most requests any
minute held (the server's own count, per second), and the polls made.

    python -m bench.budget [--queues 5000] [--seconds 600]
"""

from __future__ import annotations

import argparse
import threading
import time
from collections import Counter

from queuewatch.genesys import Credentials, GenesysSource, SourceSettings
from queuewatch.poller import Poller, PollerEvent, PollerSettings, SnapshotReceived
from queuewatch.simulator import ContactCentre, SimulatorServer, generate_scenario


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--queues", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=600.0)
    args = parser.parse_args()
    centre = ContactCentre(generate_scenario(args.queues, seed=3), seed=3)
    with SimulatorServer(centre, port=0) as server:
        per_second: Counter[int] = Counter()
        started = time.monotonic()
        lock = threading.Lock()
        polls = 0

        def connect() -> GenesysSource:
            settings = SourceSettings(base_url=server.base_url, label="bench", timezone="UTC")
            return GenesysSource(settings, Credentials("bench", "bench"))

        def emit(event: PollerEvent) -> None:
            nonlocal polls
            if isinstance(event, SnapshotReceived):
                with lock:
                    polls += 1

        poller = Poller(connect, emit, PollerSettings())
        thread = threading.Thread(target=poller.run, daemon=True)
        thread.start()
        last_total = 0
        while time.monotonic() - started < args.seconds:
            time.sleep(1.0)
            total = int(server.stats()["total"])
            per_second[int(time.monotonic() - started)] += total - last_total
            last_total = total
        poller.stop()
        thread.join(10)
        stats = server.stats()
    seconds = sorted(per_second)
    worst = max(
        (sum(per_second[s] for s in seconds if start <= s < start + 60) for start in seconds), default=0
    )
    refused = int(stats["by_status"].get("429", 0))
    print(
        f"{args.queues} queues, {args.seconds:.0f} s at the default cadence, 300 requests/min allowed: "
        f"{refused} answered 429; {stats['total']} requests, at most {worst} in any minute; {polls} polls"
    )


if __name__ == "__main__":
    main()
