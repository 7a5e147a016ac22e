"""Trends: a bounded ring buffer per queue of waiting and longest wait over the last half hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from queuewatch.trends import Trends
from tests.fakes import queue

START = datetime(2026, 11, 29, 10, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def test_one_sample_per_slot_the_latest_figures_in_it() -> None:
    trends = Trends(window=60, spacing=10)
    trends.add(at(0), [queue("q", "Q", waiting=1, longest=5.0)])
    trends.add(at(5), [queue("q", "Q", waiting=2, longest=9.0)])
    trends.add(at(10), [queue("q", "Q", waiting=3, longest=12.0)])
    assert trends.waiting("q") == [2.0, 3.0]
    assert trends.longest_wait("q") == [9.0, 12.0]


def test_the_buffer_is_bounded_and_keeps_only_the_window() -> None:
    trends = Trends(window=60, spacing=10)
    assert trends.maxlen == 7
    for second in range(0, 600, 5):
        trends.add(at(second), [queue("q", "Q", waiting=second, longest=float(second))])
    samples = trends.samples("q")
    assert len(samples) <= trends.maxlen
    assert samples[-1].waiting == 595
    assert all(samples[-1].at - s.at <= 60 for s in samples)
    assert trends.waiting("q") == [535.0, 545.0, 555.0, 565.0, 575.0, 585.0, 595.0]


def test_a_gap_longer_than_the_window_drops_everything_older() -> None:
    trends = Trends(window=60, spacing=10)
    trends.add(at(0), [queue("q", "Q", waiting=1)])
    trends.add(at(600), [queue("q", "Q", waiting=7)])
    assert trends.waiting("q") == [7.0]


def test_unknown_values_are_left_out_and_vanished_queues_forgotten() -> None:
    trends = Trends(window=60, spacing=10)
    trends.add(at(0), [queue("a", "A", waiting=1, longest=3.0), queue("b", "B", waiting=4)])
    trends.add(at(10), [queue("a", "A", waiting=None, longest=None)])
    assert trends.waiting("a") == [1.0]
    assert trends.longest_wait("a") == [3.0]
    assert len(trends.samples("a")) == 2
    assert trends.samples("b") == []
    assert trends.waiting("never-seen") == []


def test_spacing_must_fit_the_window() -> None:
    with pytest.raises(ValueError):
        Trends(window=10, spacing=0)
    with pytest.raises(ValueError):
        Trends(window=5, spacing=10)


def test_many_queues_widen_the_slots_to_stay_within_the_budget() -> None:
    trends = Trends(window=60, spacing=10, budget=30)
    few = [queue("a", "A", waiting=1), queue("b", "B", waiting=2)]
    trends.add(at(0), few)
    assert (trends.maxlen, trends.spacing) == (7, 10)
    many = [queue(f"q{i}", f"Q{i}", waiting=i) for i in range(10)]
    for second in range(0, 300, 5):
        trends.add(at(second), many)
    assert (trends.maxlen, trends.spacing) == (3, 30.0)
    assert sum(len(trends.samples(q.id)) for q in many) <= 30
    assert [s.at - START.timestamp() for s in trends.samples("q3")] == [235.0, 265.0, 295.0]
    trends.add(at(300), few)
    assert (trends.maxlen, trends.spacing) == (7, 10), "back to full resolution"
    assert trends.waiting("a") == [1.0], "a came back as a new queue"
