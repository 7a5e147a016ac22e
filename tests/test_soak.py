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
