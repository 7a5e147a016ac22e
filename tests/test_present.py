"""From queue statistics to rows: formatting, marks, filter, sort and totals."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from rich.cells import cell_len

from queuewatch.columns import COLUMN_KEYS, COLUMNS_BY_KEY
from queuewatch.formatting import fmt_duration, fmt_percent
from queuewatch.model import Live, MediaStats, QueueStats, Today
from queuewatch.present import (
    DEFAULT_SORT,
    Cell,
    NameCutter,
    Row,
    RowMaker,
    Sort,
    build_view,
    cut_name,
    differs_at,
    fmt_age,
    for_media,
    header,
    make_row,
    next_media,
    overall_service_level,
    sort_rows,
    step_breaching,
    totals,
)
from queuewatch.thresholds import Level, Override, Thresholds
from queuewatch.tui.detail import detail_sections, detail_title
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


# --- names cut where they differ ------------------------------------------------------------------


def test_each_name_differs_from_its_closest_neighbour_where_their_common_start_ends() -> None:
    names = [
        "Collections - Early Arrears",
        "Collections - Late Arrears",
        "Billing",
        "Sales",
        "Sales - Spanish",
    ]
    assert differs_at(names) == {
        "Billing": 0,
        "Collections - Early Arrears": 14,
        "Collections - Late Arrears": 14,
        "Sales": 5,
        "Sales - Spanish": 5,
    }
    assert differs_at([]) == {} and differs_at(["Alone"]) == {"Alone": 0}


@pytest.mark.parametrize(
    ("name", "width", "differs", "cut"),
    [
        ("Billing", 10, 0, "Billing"),
        ("Collections - Early Arrears", 15, 14, "Coll…Early Arr…"),
        ("Collections - Late Arrears", 15, 14, "Coll…Late Arre…"),
        ("Collections - Early Arrears", 23, 14, "Collectio…Early Arrears"),
        ("Billing - Payments", 12, 13, "Bil…Payments"),  # the cut starts the word, not its middle
        ("Sales - Business Accounts", 21, 8, "Sales - Business Acc…"),  # the end alone suffices
        ("Network Operations Centre", 12, 0, "Network Ope…"),  # differs at once: only the end goes
        ("Sales ⌗4ccb", 9, 1, "Sa… ⌗4ccb"),  # a look-alike's id tag always stays
        ("お客様サポート 🎧", 9, 0, "お客様サ…"),
        ("abc", 1, 0, "…"),
        ("abc", 0, 0, ""),
    ],
)
def test_a_cut_name_keeps_what_tells_it_apart(name: str, width: int, differs: int, cut: str) -> None:
    assert cut_name(name, width, differs) == cut
    assert cell_len(cut_name(name, width, differs)) <= width


def test_names_sharing_a_long_start_stay_distinguishable_however_narrow() -> None:
    from queuewatch.simulator import default_scenario

    names = [q.name for q in default_scenario().queues]
    cutter = NameCutter()
    assert cutter.update(names)
    assert not cutter.update(reversed(names)), "the same set: nothing to work out again"
    for width in range(12, 30):
        cut = [cutter.cut(name, width) for name in names]
        assert len(set(cut)) == len(names), (width, cut)
        assert all(cell_len(text) <= width for text in cut)
    # Cut in the middle as before, both collections queues read "Collecti…Arrears" at 16 cells.
    assert cutter.cut("Collections - Early Arrears", 16) != cutter.cut("Collections - Late Arrears", 16)
    assert cutter.update(["Collections - Early Arrears", "Billing"]), "the names on show changed"
    assert cutter.cut("Collections - Early Arrears", 16) == "Collections - E…"


def test_a_name_cell_keeps_its_marks_whole_and_cuts_only_the_name() -> None:
    cell = Cell(
        "Customer Care - Complaints", "Customer Care - Complaints", Level.CRITICAL, "left", muted=True
    )
    cutter = NameCutter()
    cutter.update(["Customer Care - Complaints", "Customer Care - Callbacks"])
    assert cutter.fit(cell, 16) == "‼ ⊘ Cus…Complai…"
    assert cutter.fit(cell, 40) == "‼ ⊘ Customer Care - Complaints"


def test_ages() -> None:
    assert [fmt_age(s) for s in (0.4, 59, 60, 3599, 7200)] == ["0 s", "59 s", "1 min", "59 min", "2 h"]


def test_unknown_values_show_a_dash_never_zero() -> None:
    row = make_row(queue("q", "Empty", waiting=None, idle=None, offered=None, asa=None), Thresholds())
    for key in ("waiting", "idle", "offered", "asa_s"):
        assert row.cells[key].shown == "–"
        assert row.cells[key].value is None
    assert row.cells["interacting"].shown == "0"


def test_breaching_cells_carry_a_mark_and_the_row_name_the_worst() -> None:
    row = make_row(queue("q", "Support", waiting=16, longest=75, idle=0), Thresholds())
    assert row.cells["longest_wait_s"].shown == "! 1:15"
    assert row.cells["longest_wait_s"].level is Level.WARN
    assert row.cells["waiting"].shown == "‼ 16"
    assert row.cells["idle"].shown == "‼ 0"
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
    assert (view.visible, view.total) == (4, 5)
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


# --- next / previous breaching row -------------------------------------------------------------------


def _rows(*levels: tuple[str, dict[str, Any]]) -> list[Row]:
    return [make_row(queue(key, key.upper(), **figures), Thresholds()) for key, figures in levels]


def test_step_breaching_goes_round_in_table_order() -> None:
    rows = _rows(
        ("a", {}),
        ("b", {"waiting": 6}),  # warning
        ("c", {}),
        ("d", {"waiting": 16}),  # critical
        ("e", {}),
    )
    assert step_breaching(rows, None) == "b"
    assert step_breaching(rows, "a") == "b"
    assert step_breaching(rows, "b") == "d"
    assert step_breaching(rows, "d") == "b", "wraps round"
    assert step_breaching(rows, "c", forward=False) == "b"
    assert step_breaching(rows, "b", forward=False) == "d", "wraps round backwards"
    assert step_breaching(rows, None, forward=False) == "d"
    assert step_breaching(rows, "gone") == "b"


def test_step_breaching_with_one_or_no_breach() -> None:
    one = _rows(("a", {}), ("b", {"waiting": 16}))
    assert step_breaching(one, "b") == "b"
    assert step_breaching(_rows(("a", {}), ("c", {})), "a") is None
    assert step_breaching([], None) is None


# --- media type filter ------------------------------------------------------------------------------


def _multimedia(id: str, name: str, media: tuple[str, ...]) -> QueueStats:
    by_media = {
        "voice": MediaStats(
            live=Live(waiting=16, longest_wait_s=200.0, interacting=3, alerting=1),
            today=Today(
                offered=50, answered=40, abandoned=9, abandon_rate=0.18, service_level=0.5, sl_target=0.8
            ),
        ),
        "chat": MediaStats(
            live=Live(waiting=1, longest_wait_s=12.0, interacting=2, alerting=0),
            today=Today(
                offered=30, answered=30, abandoned=0, abandon_rate=0.0, service_level=0.95, sl_target=0.7
            ),
        ),
    }
    return queue(id, name, waiting=17, longest=200.0, idle=4, by_media={m: by_media[m] for m in media})


def test_media_filter_cycles_through_every_type_and_back() -> None:
    seen: list[str | None] = [None]
    while (media := next_media(seen[-1])) is not None:
        seen.append(media)
    assert seen == [None, "voice", "chat", "email", "message", "callback"]


def test_for_media_takes_that_media_s_figures_and_keeps_the_queue_s_agents() -> None:
    stats = _multimedia("q", "Multi", ("voice", "chat"))
    chat = for_media(stats, "chat")
    assert chat is not None
    assert (chat.waiting, chat.longest_wait_s, chat.interacting) == (1, 12.0, 2)
    assert chat.today.offered == 30 and chat.today.sl_target == 0.7
    assert chat.agents == stats.agents
    assert list(chat.by_media) == ["chat"]
    assert for_media(stats, "email") is None
    assert for_media(stats, None) is stats


def test_build_view_combines_the_media_and_name_filters() -> None:
    queues = [
        _multimedia("v", "Voice only", ("voice",)),
        _multimedia("c", "Chat only", ("chat",)),
        _multimedia("b", "Both", ("voice", "chat")),
    ]
    chat = build_view(queues, Thresholds(), "", DEFAULT_SORT, media="chat")
    assert [row.key for row in chat.rows] == ["b", "c"]  # same longest wait: by name
    assert (chat.visible, chat.total, chat.media) == (2, 3, "chat")
    assert chat.rows[0].cells["waiting"].shown == "1", "chat's waiting, not the queue's 17"
    assert chat.rows[0].level is Level.OK, "thresholds apply to chat's figures"
    voice = build_view(queues, Thresholds(), "o", DEFAULT_SORT, media="voice")
    assert [row.key for row in voice.rows] == ["b", "v"]
    assert voice.rows[0].cells["waiting"].shown == "‼ 16"
    assert voice.rows[0].cells["idle"].shown == "4"
    assert build_view(queues, Thresholds(), "", DEFAULT_SORT, media="email").visible == 0


def test_view_ordered_gives_the_figures_shown_in_table_order() -> None:
    view = build_view(sample_queues(), Thresholds(), "", Sort("name", descending=False))
    assert [q.id for q in view.ordered()] == [row.key for row in view.rows]
    assert [q.id for q in view.ordered()][:2] == ["q-sales", "q-billing"]


# --- mute mark --------------------------------------------------------------------------------------


def test_a_muted_queue_s_name_is_marked_beside_its_level_and_still_sorts_by_name() -> None:
    maker = RowMaker(Thresholds())
    plain = maker.rows([queue("q", "Zeta")])[0]
    muted = maker.rows([queue("q", "Zeta")], muted={"q"})[0]
    assert plain.cells["name"].shown == "Zeta"
    assert muted.cells["name"].shown == "⊘ Zeta"
    assert muted.cells["name"].text == "Zeta" and muted.cells["name"].value == "Zeta"
    critical = maker.rows([queue("q", "Zeta", waiting=20)], muted={"q"})[0]
    assert critical.cells["name"].shown == "‼ ⊘ Zeta"
    assert maker.rows([queue("q", "Zeta")])[0].cells["name"].shown == "Zeta", "unmuting drops the mark"


# --- the detail screen's text -----------------------------------------------------------------------


def test_detail_lists_waiting_oldest_first_agents_today_and_media() -> None:
    stats = _multimedia("q", "Multi", ("voice", "chat"))
    stats = replace(
        stats,
        division="Care",
        waiting_detail=(("c1", "chat", 12.0), ("c2", "voice", 200.0), ("c3", "voice", 65.0)),
    )
    sections = dict(detail_sections(stats, Thresholds()))
    assert detail_title(stats) == "Multi (Care)"
    waiting = sections["Waiting, oldest first"]
    # Each conversation against its own media type's thresholds (voice 1:00 / 3:00, chat 2:00 / 5:00).
    assert [line.split()[1:] for line in waiting[1:]] == [
        ["‼", "3:20", "voice"],
        ["!", "1:05", "voice"],
        ["0:12", "chat"],
    ]
    assert any(line.startswith("idle") and line.endswith("4") for line in sections["Agents"])
    assert "‼ 17" in sections["Now"][0]
    assert [title for title, _ in detail_sections(stats, Thresholds())][:3] == ["Now", "Agents", "Today"]
    target = next(line for line in sections["Today"] if line.startswith("SL target"))
    assert target.split() == ["SL", "target", "80%"]
    media = sections["By media type"]
    assert media[0].split()[:3] == ["media", "Wait", "Longest"]
    assert media[1].split()[:5] == ["voice", "‼", "16", "‼", "3:20"]
    assert media[2].split()[:3] == ["chat", "1", "0:12"]


def test_detail_says_when_nobody_waits_and_which_target_is_the_default() -> None:
    stats = queue("q", "Calm", waiting=0, sl_target=None)
    sections = dict(detail_sections(stats, Thresholds()))
    assert sections["Waiting, oldest first"] == ["nobody waiting"]
    assert sections["By media type"] == ["no figures per media type"]
    assert any(line.split() == ["default", "target", "80%"] for line in sections["Today"])
    unknown = dict(detail_sections(queue("q", "New", waiting=None), Thresholds()))
    assert unknown["Waiting, oldest first"] == ["unknown"]


def test_pinned_queues_stay_on_top_whatever_the_sort() -> None:
    queues = sample_queues()
    thresholds = Thresholds()
    for sort in (DEFAULT_SORT, DEFAULT_SORT.reversed(), Sort.by("name"), Sort.by("name").reversed()):
        view = build_view(queues, thresholds, "", sort, pinned=("billing", "*EMEA"))
        names = [row.cells["name"].value for row in view.rows]
        assert set(names[:2]) == {"Billing", "Support EMEA"}, sort
        unpinned = build_view(queues, thresholds, "", sort)
        rest = [row.cells["name"].value for row in unpinned.rows if row.cells["name"].value not in names[:2]]
        assert names[2:] == rest, "the others keep the sort"


def test_choose_columns() -> None:
    from queuewatch.columns import COLUMNS, choose_columns

    assert choose_columns(()) == COLUMNS
    assert [c.key for c in choose_columns(["waiting", "name", "waiting", "aht_s"])] == [
        "name",
        "waiting",
        "aht_s",
    ]
    with pytest.raises(ValueError, match="unknown column 'depth'"):
        choose_columns(["depth"])


def test_sparkline_scales_from_zero() -> None:
    from queuewatch.present import sparkline

    assert sparkline([]) == ""
    assert sparkline([0, 0, 0]) == "▁▁▁", "zero is the lowest bar"
    assert sparkline([0, 7, 14]) == "▁▅█"
    assert sparkline([39, 40]) == "██", "39 then 40 is nearly the same, not empty then full"
    assert sparkline([1, 40])[0] == "▂", "anything above zero stands above it"


def test_a_long_sparkline_covers_the_whole_span_by_the_peak_of_each_run() -> None:
    from queuewatch.present import sparkline

    values = [0.0] * 30
    values[0] = 9.0  # the oldest sample is still drawn
    assert sparkline(values, width=5) == "█▁▁▁▁"
    assert len(sparkline(list(range(181)), width=74)) == 61, "3 samples a character, the newest run full"
    assert sparkline(list(range(7)), width=3) == sparkline([0, 3, 6])


def test_the_trend_column_waits_for_two_samples() -> None:
    row = make_row(sample_queues()[0], Thresholds(), trend=[1.0, 4.0, 2.0])
    assert row.cells["trend"].text == "▄█▅" and row.cells["trend"].value == 4.0
    one = make_row(sample_queues()[0], Thresholds(), trend=[4.0])
    assert one.cells["trend"].text == "", "one sample is not a trend"
