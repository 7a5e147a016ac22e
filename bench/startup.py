"""Startup: process start -> first paint, and -> first data, of ``queuewatch --demo``.

Runs the real command in a 100x30 pseudo-terminal five times and reports the medians:
- first paint: the dashboard's frame (its "connecting" status) reaches the terminal;
- first data: the status bar says "updated", which it does once the first snapshot is on screen.
Also prints the SDK's import time in a fresh interpreter, because first data is bounded by it.

    python bench/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

from bench.terminal import Terminal, queuewatch

PAINT_MARKER = b"connecting"
DATA_MARKER = b"updated "


def sdk_import_seconds() -> float:
    code = (
        "import time; t = time.perf_counter(); import PureCloudPlatformClientV2; "
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return float(out)


def one_run() -> tuple[float, float]:
    terminal = Terminal(queuewatch("--demo"))
    try:
        paint = terminal.wait_for(PAINT_MARKER)
        data = terminal.wait_for(DATA_MARKER)
    finally:
        terminal.close()
    return paint, data


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    one_run()  # warm the file cache so every measured run starts alike
    runs = [one_run() for _ in range(args.runs)]
    imports = [sdk_import_seconds() for _ in range(3)]
    paint = statistics.median(r[0] for r in runs)
    data = statistics.median(r[1] for r in runs)
    sdk = statistics.median(imports)
    print("runs (paint, data):", ", ".join(f"({p:.2f}, {d:.2f})" for p, d in runs))
    print(f"first paint: median {paint:.3f} s (target <= 0.6 s)")
    print(f"first data:  median {data:.3f} s (target <= SDK import {sdk:.2f} s + 1 s = {sdk + 1:.2f} s)")


if __name__ == "__main__":
    main()
