"""Which WebSocket client for the push source: ``websockets`` (threaded client) or ``websocket-client``.

A server in a process of its own (``websockets``' threaded server) sends queue observation events as
the simulator shapes them (about 400 bytes each) as fast as it can. Each client runs in a fresh
process of its own, so its import and memory are its own, and measures:
- import: time and RSS the library's import adds;
- connect: median time to open a connection (of 30);
- events/s: messages received and parsed (``queuewatch.events.parse_message``) per second;
- CPU per 1,000 events: process CPU time spent receiving and parsing them;
- RSS: after receiving them, less the interpreter's before the import.

    python -m bench.websocket_clients [--events 50000]   (needs the bench extra: websocket-client)
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import subprocess
import sys
import time
from typing import Any

EVENT = json.dumps(
    {
        "topicName": "v2.analytics.queues.0e461a1c-0f75-5569-b31a-f80864339321.observations",
        "version": "2",
        "eventBody": {
            "results": [
                {
                    "mediaType": "voice",
                    "data": [
                        {"metric": "oWaiting", "count": 3},
                        {"metric": "oInteracting", "count": 5},
                        {"metric": "oAlerting", "count": 1},
                        {"metric": "oLongestWaiting", "count": 3, "calculatedMetricValue": 1795943222980},
                        {"metric": "oLongestInteracting", "count": 5, "calculatedMetricValue": 1795942961983},
                    ],
                },
                {"mediaType": "chat", "data": [{"metric": "oWaiting", "count": 0}]},
            ]
        },
        "metadata": {"CorrelationId": "2de19256-9f62-41c6-b10a-f26425da3071"},
    },
    separators=(",", ":"),
)


def rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def serve() -> None:
    """The server process: prints its port, then sends ``n`` events to whoever sends ``n``."""
    from websockets.sync.server import ServerConnection
    from websockets.sync.server import serve as ws_serve

    def handler(connection: ServerConnection) -> None:
        for message in connection:
            count = int(message)
            for _ in range(count):
                connection.send(EVENT)
            connection.send("done")

    with ws_serve(handler, "127.0.0.1", 0, compression=None, max_size=None) as server:
        print(server.socket.getsockname()[1], flush=True)
        server.serve_forever()


def client(library: str, uri: str, events: int) -> dict[str, Any]:
    """One client process: import, connect, receive and parse; the figures as a dict."""
    from queuewatch.events import parse_message

    base = rss_kb()
    started = time.perf_counter()
    if library == "websockets":
        from websockets.sync.client import connect

        def open_socket() -> Any:
            return connect(uri, compression=None, proxy=None, legacy=True, max_size=2**20)
    else:
        # websocket-client (the bench extra), imported by name: CI type-checks bench without it.
        websocket = importlib.import_module("websocket")
        skip = library.endswith("no-utf8-check")

        def open_socket() -> Any:
            return websocket.create_connection(uri, enable_multithread=True, skip_utf8_validation=skip)

    imported = time.perf_counter() - started
    import_rss = rss_kb() - base
    connects = []
    for _ in range(30):
        t0 = time.perf_counter()
        socket = open_socket()
        connects.append(time.perf_counter() - t0)
        socket.close()
    socket = open_socket()
    socket.send(str(events))
    wall0, cpu0 = time.perf_counter(), time.process_time()
    received = 0
    now = time.time()
    while True:
        message = socket.recv()
        if message == "done":
            break
        parse_message(message, now)
        received += 1
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    socket.close()
    return {
        "library": library,
        "import_ms": imported * 1000,
        "import_rss_mb": import_rss / 1024,
        "connect_ms": statistics.median(connects) * 1000,
        "events_per_s": received / wall,
        "cpu_ms_per_1000": cpu * 1000 / received * 1000,
        "rss_mb": (rss_kb() - base) / 1024,
        "received": received,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--uri", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    if args.client:
        print(json.dumps(client(args.client, args.uri, args.events)))
        return
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.websocket_clients", "--serve"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        uri = f"ws://127.0.0.1:{server.stdout.readline().strip()}/"
        results: dict[str, list[dict[str, Any]]] = {
            "websockets": [],
            "websocket-client": [],
            "websocket-client no-utf8-check": [],
        }
        for _ in range(args.rounds):
            for library in results:
                command = [sys.executable, "-m", "bench.websocket_clients", "--client", library]
                command += ["--uri", uri, "--events", str(args.events)]
                output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=600)
                results[library].append(json.loads(output.stdout))
        for library, runs in results.items():

            def med(key: str, runs: list[dict[str, Any]] = runs) -> float:
                return float(statistics.median(r[key] for r in runs))

            print(
                f"{library:30s}: import {med('import_ms'):6.1f} ms (+{med('import_rss_mb'):.1f} MB), "
                f"connect {med('connect_ms'):5.2f} ms, {med('events_per_s'):8.0f} events/s received and "
                f"parsed, CPU {med('cpu_ms_per_1000'):5.1f} ms per 1,000 events, RSS +{med('rss_mb'):.1f} MB "
                f"(median of {len(runs)} runs of {args.events} events)"
            )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
