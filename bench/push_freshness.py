"""Push vs poll: how fresh the screen is, and what it costs in requests, at 100 / 1,000 / 5,000 queues.

The simulator runs in a process of its own (a generated scenario placed in business hours, the
documented 300 requests a minute per token), and records every change of a queue's conversation
figures (waiting, interacting, alerting per media type) with the simulated time it happened. The
dashboard runs headless in this process, in ``push`` or ``poll`` mode at the default settings
(interval 5 s), and records when each snapshot has been applied to its table. A change's freshness
is the time from the change to the first table update that shows that state or a later one.
Requests are counted by the simulator over the measured window (the token and warm-up excluded).

    python -m bench.push_freshness [--sizes 100 1000 5000] [--seconds 60] [--warmup 15]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import multiprocessing
import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

Signature = tuple[tuple[str, int, int, int], ...]


def _signature(media: dict[str, dict[str, Any]]) -> Signature:
    """What the screen shows of a queue's conversations; media types with nothing are left out."""
    return tuple(
        sorted(
            (name, m["oWaiting"], m["oInteracting"], m["oAlerting"])
            for name, m in media.items()
            if m["oWaiting"] or m["oInteracting"] or m["oAlerting"]
        )
    )


def _simulator(size: int, pipe: Connection) -> None:
    """The child: serve a scenario of ``size`` queues and record every visible change."""
    from queuewatch.simulator import ContactCentre, SimulatorServer, generate_scenario
    from queuewatch.simulator.scenario import during_business_hours

    centre = ContactCentre(during_business_hours(generate_scenario(size, seed=5)), seed=5)
    changes: list[tuple[str, float, Signature]] = []
    stop = threading.Event()

    def record() -> None:
        feed = centre.open_change_feed()
        last: dict[str, Signature] = {}
        while not stop.wait(0.05):
            changed = centre.take_changes(feed)
            if not changed:
                continue
            activity = centre.activity(list(changed))
            for queue_id, at in changed.items():
                signature = _signature(activity.get(queue_id, {}))
                if signature != last.get(queue_id):
                    last[queue_id] = signature
                    changes.append((queue_id, at, signature))

    with SimulatorServer(centre, port=0, rate_limit=300) as server:
        recorder = threading.Thread(target=record, daemon=True)
        recorder.start()
        pipe.send(server.base_url)
        while True:
            command = pipe.recv()
            if command == "stats":
                pipe.send(server.stats())
            elif command == "stop":
                stop.set()
                recorder.join(5)
                pipe.send(changes)
                return


@dataclass
class Run:
    size: int
    mode: str
    freshness: list[float] = field(default_factory=list)
    requests: dict[str, float] = field(default_factory=dict)
    updates: int = 0
    events: int = 0

    def line(self) -> str:
        values = sorted(self.freshness)
        if values:
            p50 = statistics.median(values)
            p95 = values[max(0, round(0.95 * len(values)) - 1)]
            fresh = f"freshness p50 {p50:5.2f} s, p95 {p95:5.2f} s ({len(values)} changes)"
        else:
            fresh = "freshness: no change measured"
        per_minute = sum(self.requests.values())
        parts = ", ".join(f"{k} {v:.1f}" for k, v in sorted(self.requests.items()) if v)
        return (
            f"{self.size:5d} queues {self.mode:4s}: {fresh}; {per_minute:6.1f} requests/min ({parts}); "
            f"{self.updates} table updates"
        )


def _category(path: str) -> str | None:
    if "/oauth/" in path:
        return None
    if "routing/queues" in path:
        return "listing"
    if "observations/query" in path:
        return "observations"
    if "aggregates/query" in path:
        return "aggregates"
    if "notifications" in path:
        return "channels"
    return "other"


def _per_minute(before: dict[str, Any], after: dict[str, Any], seconds: float) -> dict[str, float]:
    counts: dict[str, float] = defaultdict(float)
    for path, n in after["by_path"].items():
        category = _category(path)
        if category is not None:
            counts[category] += (n - before["by_path"].get(path, 0)) * 60 / seconds
    return dict(counts)


def _freshness(
    changes: list[tuple[str, float, Signature]],
    shown: list[tuple[float, dict[str, Signature]]],
    start: float,
    end: float,
) -> list[float]:
    """For each change in [start, end - 10 s): the delay to the first update showing it or later."""
    by_queue: dict[str, list[tuple[float, Signature]]] = defaultdict(list)
    for queue_id, at, signature in changes:
        by_queue[queue_id].append((at, signature))
    shown_times = [t for t, _ in shown]
    delays: list[float] = []
    for queue_id, history in by_queue.items():
        for i, (at, _) in enumerate(history):
            if not start <= at < end - 10:
                continue
            later = {sig for t, sig in history[i:]}
            j = bisect.bisect_left(shown_times, at)
            while j < len(shown):
                when, screen = shown[j]
                on_screen = screen.get(queue_id)
                # the state shown is this one or a later one that had happened by then
                if on_screen in later and any(sig == on_screen and t <= when for t, sig in history[i:]):
                    delays.append(when - at)
                    break
                j += 1
    return delays


async def _dashboard(
    base_url: str, mode: str, warmup: float, seconds: float, mark: Callable[[str], None]
) -> tuple[list[tuple[float, dict[str, Signature]]], int]:
    """Run the dashboard headless; ``mark("start")`` after the warm-up, ``mark("end")`` at the end."""
    from queuewatch.cli import make_connect
    from queuewatch.config import build_settings
    from queuewatch.model import Snapshot
    from queuewatch.poller import PollerSettings, SnapshotReceived
    from queuewatch.tui.app import QueuewatchApp

    env = {"GENESYSCLOUD_OAUTHCLIENT_ID": "bench", "GENESYSCLOUD_OAUTHCLIENT_SECRET": "bench-secret"}
    settings = build_settings({"region": base_url, "live": mode, "timezone": "UTC"}, env)
    applied: list[tuple[float, Snapshot]] = []

    class Timed(QueuewatchApp):
        def _received(self, event: SnapshotReceived) -> None:
            super()._received(event)
            applied.append((time.time(), event.snapshot))

    app = Timed(
        connect=make_connect(settings),
        label="bench",
        poller_settings=PollerSettings(
            interval=settings.interval, push_today_every=settings.push_today_every
        ),
        thresholds=settings.thresholds,
    )
    events = 0
    async with app.run_test(size=(160, 40)) as pilot:
        while not applied:
            await pilot.pause(0.1)
        await pilot.pause(warmup)
        mark("start")
        await pilot.pause(seconds)
        mark("end")
        live = app.status.live
        events = live.events if live is not None else 0
        app.exit()

    def screen(snapshot: Snapshot) -> dict[str, Signature]:
        return {
            q.id: tuple(
                sorted(
                    (name, m.live.waiting or 0, m.live.interacting or 0, m.live.alerting or 0)
                    for name, m in q.by_media.items()
                    if m.live.waiting or m.live.interacting or m.live.alerting
                )
            )
            for q in snapshot.queues
        }

    return [(when, screen(snapshot)) for when, snapshot in applied], events


def measure(size: int, mode: str, seconds: float, warmup: float) -> Run:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_simulator, args=(size, child), daemon=True)
    process.start()
    base_url = parent.recv()
    marks: dict[str, Any] = {}

    def mark(name: str) -> None:
        parent.send("stats")
        marks[name] = (time.time(), parent.recv())

    shown, events = asyncio.run(_dashboard(base_url, mode, warmup, seconds, mark))
    parent.send("stop")
    changes = parent.recv()
    process.join(10)
    (t0, before), (t1, after) = marks["start"], marks["end"]
    result = Run(size, mode, events=events)
    result.updates = sum(1 for when, _ in shown if t0 <= when <= t1)
    result.freshness = _freshness(changes, shown, t0, t1)
    result.requests = _per_minute(before, after, t1 - t0)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--modes", nargs="+", default=["push", "poll"])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=15.0)
    args = parser.parse_args()
    for size in args.sizes:
        for mode in args.modes:
            print(measure(size, mode, args.seconds, args.warmup).line(), flush=True)


if __name__ == "__main__":
    main()
