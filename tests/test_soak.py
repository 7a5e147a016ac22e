"""Soak: many polls with random faults leave no unhandled exception and no leak of threads or files.

The short run is part of the suite; ``pytest -m soak`` runs the long one (2,000 polls) and prints
its figures, as ``python bench/soak.py`` does. The faults are seeded and follow the polls (one
after each), so every run throws the same ones in the same order.
"""

import pytest

from bench.soak import report, soak


def check(polls: int) -> str:
    result = soak(polls, sample_every=max(50, polls // 8))
    assert result.polls >= polls
    assert result.unhandled == []
    assert result.internal_errors == 0
    assert result.backoffs > 0 and result.partial > 0, "the faults really were injected"
    assert result.end.threads <= result.start.threads + 4, "no thread per poll"
    assert result.end.files <= result.start.files + 6, "no file or socket per poll"
    return report(result)


def test_soak_short() -> None:
    check(100)


@pytest.mark.soak
def test_soak_long(capsys: pytest.CaptureFixture[str]) -> None:
    figures = check(2000)
    with capsys.disabled():
        print(f"\n{figures}")


@pytest.mark.soak
def test_push_soak_short() -> None:
    """A real-time run of 15 s with socket faults: run on demand (``pytest -m soak``); its figures
    are the benchmark's (``python -m bench.soak_push``), not a test's timings."""
    from bench.soak_push import INTERVAL, report, soak_push

    result = soak_push(15)
    assert result.unhandled == [] and result.internal_errors == 0, "no crash"
    assert result.by_push > 0 and sum(result.faults.values()) > 10, "pushing, under faults"
    assert result.stale_unmarked == 0, "data older than two intervals is always marked STALE"
    assert result.recoveries, "socket faults were measured"
    assert sorted(result.recoveries)[len(result.recoveries) // 2] <= INTERVAL, "recovery within one interval"
    assert max(result.recoveries) <= 5 * INTERVAL, "even when faults overlap"
    assert result.end.threads <= result.start.threads + 2, "no reader thread left behind"
    assert result.end.files <= result.start.files + 2, "no socket left open"
    assert report(result)
