"""From queue statistics to rows: formatting, marks, filter, sort and totals."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from queuewatch.formatting import fmt_duration, fmt_percent
from queuewatch.thresholds import Level, Override, Thresholds
from queuewatch.tui.present import (
    COLUMN_KEYS,
    COLUMNS_BY_KEY,
    DEFAULT_SORT,
    Cell,
    Sort,
    build_view,
    fit_middle,
    fmt_age,
    header,
    make_row,
    overall_service_level,
    sort_rows,
    totals,
)
from tests.fakes import queue, sample_queues


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "–"),
        (0, "0:00"),
        (59.9, "0:59"),
        (75, "1:15"),
        (3599, "59:59"),
        (3600, "1:00:00"),
        (3725, "1:02:05"),
        (-3, "0:00"),
    ],
)
def test_durations(seconds: float | None, text: str) -> None:
    assert fmt_duration(seconds) == text


@pytest.mark.parametrize(
    ("rate", "decimals", "text"),
    [
        (None, 0, "–"),
        (0.8, 0, "80"),
        (0.795, 0, "79"),
        (0.57, 0, "57"),
        (0.05, 1, "5.0"),
        (0.0499, 1, "4.9"),
        (1.0, 0, "100"),
    ],
)
def test_percentages_round_down(rate: float | None, decimals: int, text: str) -> None:
    assert fmt_percent(rate, decimals) == text


@pytest.mark.parametrize(
    ("text", "width", "fitted"),
    [
        ("Billing", 10, "Billing"),
        ("Customer Care - Complaints", 14, "Custome…laints"),
        ("‼ Customer Care - Refunds", 12, "‼ Cust…funds"),
        ("お客様サポート", 9, "お客…ート"),
        ("お客様サポート", 8, "お客…ト"),
        ("abc", 1, "…"),
    ],
)
def test_long_names_keep_both_ends(text: str, width: int, fitted: str) -> None:
    assert fit_middle(text, width) == fitted
    assert cell_len(fit_middle(text, width)) <= width


def test_ages() -> None:
    assert [fmt_age(s) for s in (0.4, 59, 60, 3599, 7200)] == ["0 s", "59 s", "1 min", "59 min", "2 h"]


def test_unknown_values_show_a_dash_never_zero() -> None:
    row = make_row(queue("q", "Empty", waiting=None, idle=None, offered=None, asa=None), Thresholds())
    for key in ("waiting", "available", "offered", "asa_s"):
        assert row.cells[key].shown == "–"
        assert row.cells[key].value is None
    assert row.cells["interacting"].shown == "0"


def test_breaching_cells_carry_a_mark_and_the_row_name_the_worst() -> None:
    row = make_row(queue("q", "Support", waiting=16, longest=75, idle=0), Thresholds())
    assert row.cells["longest_wait_s"].shown == "! 1:15"
    assert row.cells["longest_wait_s"].level is Level.WARN
    assert row.cells["waiting"].shown == "‼ 16"
    assert row.cells["available"].shown == "‼ 0"
    assert row.cells["name"].shown == "‼ Support"
    assert row.level is Level.CRITICAL
    calm = make_row(queue("q", "Calm"), Thresholds())
    assert calm.cells["name"].shown == "Calm"
    assert calm.level is Level.OK


def test_rows_use_the_queue_s_own_rule() -> None:
    thresholds = Thresholds(overrides=(Override("vip*", {"longest_wait_warn": 10.0}),))
    vip = make_row(queue("a", "VIP line", longest=15), thresholds)
    other = make_row(queue("b", "Other", longest=15), thresholds)
    assert vip.cells["longest_wait_s"].level is Level.WARN
    assert other.cells["longest_wait_s"].level is Level.OK


def test_names_stay_literal_text() -> None:
    row = make_row(queue("q", "[VIP] Sales [/]"), Thresholds())
    assert row.cells["name"].to_text().plain == "[VIP] Sales [/]"


def test_cells_order_by_value_with_unknown_last() -> None:
    cells = [Cell("3", 3), Cell("–", None), Cell("10", 10), Cell("1", 1)]
    assert [c.value for c in sorted(cells)] == [1, 3, 10, None]


def test_sort_rows_puts_unknown_last_both_ways_and_breaks_ties_by_name() -> None:
    rows = [
        make_row(queue("a", "Zulu", waiting=2), Thresholds()),
        make_row(queue("b", "alpha", waiting=None), Thresholds()),
        make_row(queue("c", "Bravo", waiting=2), Thresholds()),
        make_row(queue("d", "Echo", waiting=7), Thresholds()),
    ]
    assert [r.key for r in sort_rows(rows, Sort("waiting", descending=True))] == ["d", "c", "a", "b"]
    assert [r.key for r in sort_rows(rows, Sort("waiting", descending=False))] == ["c", "a", "d", "b"]
    assert [r.key for r in sort_rows(rows, Sort("name", descending=False))] == ["b", "c", "d", "a"]
    assert [r.key for r in sort_rows(rows, Sort("name", descending=True))] == ["a", "d", "c", "b"]


def test_sort_cycles_columns_and_reverses() -> None:
    assert Sort("longest_wait_s", descending=True) == DEFAULT_SORT
    assert DEFAULT_SORT.next() == Sort("interacting", descending=True)
    assert Sort("aht_s").next() == Sort("name", descending=False)
    assert Sort("name", descending=False).reversed() == Sort("name", descending=True)
    seen = {DEFAULT_SORT.column}
    sort = DEFAULT_SORT.next()
    while sort.column != DEFAULT_SORT.column:
        seen.add(sort.column)
        sort = sort.next()
    assert seen == set(COLUMN_KEYS)


def test_headers_mark_the_sorted_column() -> None:
    sort = Sort("waiting", descending=True)
    assert header(COLUMNS_BY_KEY["waiting"], sort) == "Wait▼"
    assert header(COLUMNS_BY_KEY["waiting"], sort.reversed()) == "Wait▲"
    assert header(COLUMNS_BY_KEY["name"], sort) == "Queue"


def test_build_view_filters_then_sorts() -> None:
    view = build_view(sample_queues(), Thresholds(), "s", Sort("waiting", descending=True))
    assert [row.key for row in view.rows] == ["q-support", "q-sales", "q-retention", "q-new"]
    assert (view.shown, view.total) == (4, 5)
    assert [q.id for q in view.queues] == ["q-sales", "q-support", "q-retention", "q-new"]


def test_totals_sum_known_values_and_weight_service_level_by_answered() -> None:
    queues = [
        queue("a", "A", waiting=2, longest=30, answered=100, service_level=0.9),
        queue("b", "B", waiting=None, longest=95, answered=300, service_level=0.5),
        queue("c", "C", waiting=3, longest=None, answered=None, service_level=None),
    ]
    parts = dict(totals(queues))
    assert parts["Wait"] == "5"
    assert parts["Longest"] == "1:35"
    assert parts["SL%"] == "60"
    assert overall_service_level(queues) == pytest.approx(0.6)


def test_totals_of_nothing_known_are_dashes() -> None:
    parts = dict(totals([queue("a", "A", waiting=None, answered=None, service_level=None)]))
    assert parts["Wait"] == "–"
    assert parts["SL%"] == "–"
    assert dict(totals([]))["Longest"] == "–"
