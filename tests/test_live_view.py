"""The view kept up to date (``present.LiveView``): the same rows as built from scratch, for less work."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import replace

import pytest

import queuewatch.present as present
from queuewatch.columns import COLUMN_KEYS
from queuewatch.model import Live, MediaStats, QueueStats, Today
from queuewatch.names import folded_matcher, narrows
from queuewatch.present import (
    DEFAULT_SORT,
    LiveView,
    Sort,
    build_view,
    column_widths,
    for_media,
    make_row,
)
from queuewatch.thresholds import Override, Thresholds
from tests.fakes import queue

WORDS = ("Sales", "Care", "Billing", "Tech", "VIP", "Returns", "Retention", "EMEA", "US", "Chat")
PINNED = ("*vip*", "billing 1*")
THRESHOLDS = Thresholds(overrides=(Override("*VIP*", {"longest_wait_warn": 20.0}),))


def random_queue(rng: random.Random, index: int, name: str | None = None) -> QueueStats:
    """A queue with figures from a small range (so ties happen), sometimes unknown, some media."""

    def maybe(value: int) -> int | None:
        return None if rng.random() < 0.1 else value

    by_media = {
        media: MediaStats(
            live=Live(waiting=rng.randint(0, 20), longest_wait_s=float(rng.randint(0, 300)), interacting=1),
            today=Today(offered=10, answered=9, abandoned=1, abandon_rate=0.1, service_level=0.9),
        )
        for media in ("voice", "chat", "email")
        if rng.random() < 0.5
    }
    return queue(
        f"q{index:04d}",
        name or f"{rng.choice(WORDS)} {rng.choice(WORDS)} {index}",
        waiting=maybe(rng.randint(0, 20)),
        longest=None if rng.random() < 0.1 else float(rng.randint(0, 400)),
        idle=maybe(rng.randint(0, 3)),
        offered=maybe(rng.randint(0, 500)),
        abandon_rate=None if rng.random() < 0.1 else rng.randint(0, 20) / 100,
        by_media=by_media,
    )


def fresh(
    queues: Sequence[QueueStats],
    pattern: str,
    sort: Sort,
    media: str | None,
    muted: frozenset[str],
) -> present.View:
    return build_view(queues, THRESHOLDS, pattern, sort, media=media, muted=muted, pinned=PINNED)


def assert_same(view: LiveView, queues: Sequence[QueueStats], muted: frozenset[str]) -> None:
    """The kept view shows what building it from scratch shows: rows, order, figures, widths."""
    expected = fresh(queues, view.pattern, view.sort, view.media, muted)
    got = view.view
    assert [row.key for row in got.rows] == [row.key for row in expected.rows]
    assert got.rows == expected.rows
    assert [q.id for q in got.ordered()] == [q.id for q in expected.ordered()]
    assert got.total == expected.total and got.media == expected.media
    assert got.hidden_breaching == expected.hidden_breaching
    every = [shown for q in queues if (shown := for_media(q, view.media)) is not None]
    everyone = [make_row(q, THRESHOLDS, muted=q.id in muted) for q in every]
    assert view.widths == column_widths(everyone, [*COLUMN_KEYS, "trend"])
    assert view.bare_widths == column_widths(everyone, [*COLUMN_KEYS, "trend"], bare=True)


def test_a_long_random_run_always_shows_what_a_fresh_build_shows() -> None:
    rng = random.Random(11)
    queues = [random_queue(rng, i) for i in range(300)]
    muted: set[str] = set()
    view = LiveView(THRESHOLDS, pinned=PINNED)
    view.update(queues, frozenset(muted))
    assert_same(view, queues, frozenset(muted))
    next_index = len(queues)
    typed = ""
    shown_names, names_counted = {row.cells["name"].text for row in view.rows}, view.names
    for step in range(250):
        action = rng.choice(
            ["refresh", "refresh", "refresh", "type", "erase", "clear", "sort", "media", "mute"]
        )
        if action == "refresh":
            queues = list(queues)
            for i in rng.sample(range(len(queues)), rng.choice([1, 5, 60])):
                queues[i] = random_queue(rng, int(queues[i].id[1:]), queues[i].name)
            if rng.random() < 0.2:  # a queue leaves, another comes, one is renamed
                queues.pop(rng.randrange(len(queues)))
                queues.append(random_queue(rng, next_index))
                next_index += 1
                i = rng.randrange(len(queues))
                queues[i] = replace(queues[i], name=f"{rng.choice(WORDS)} renamed {step}")
            view.update(queues, frozenset(muted))
        elif action == "type":
            typed += rng.choice("aeiloprst *")
            view.set_pattern(typed)
        elif action == "erase":
            typed = typed[:-1]
            view.set_pattern(typed)
        elif action == "clear":
            typed = ""
            view.set_pattern(typed)
        elif action == "sort":
            column = rng.choice(["name", "waiting", "longest_wait_s", "idle", "abandon_rate"])
            view.set_sort(Sort(column, descending=rng.random() < 0.5))
        elif action == "media":
            view.set_media(rng.choice([None, None, "voice", "chat", "email"]))
        else:
            muted ^= {rng.choice(queues).id}
            view.update(queues, frozenset(muted))
        assert_same(view, queues, frozenset(muted))
        names = {row.cells["name"].text for row in view.rows}
        if names != shown_names:
            assert view.names != names_counted, "the names on show changed: the counter says so"
        shown_names, names_counted = names, view.names


def test_only_the_queues_whose_figures_changed_get_a_new_row() -> None:
    rng = random.Random(3)
    queues = [random_queue(rng, i) for i in range(50)]
    view = LiveView(THRESHOLDS)
    view.update(queues)
    before = {row.key: row for row in view.rows}
    changed = list(queues)
    changed[7] = replace(changed[7], waiting=99)
    changed[8] = replace(changed[8])  # a new object, the same figures
    view.update(changed)
    assert view.made == 1
    assert [row.key for row in view.rows if row is not before[row.key]] == ["q0007"]
    assert view.rows[0].key == "q0007" or view.sort != Sort.by("waiting")


def test_a_mute_remakes_only_that_queue_s_row() -> None:
    queues = [queue("a", "Alpha"), queue("b", "Bravo")]
    view = LiveView(Thresholds())
    view.update(queues)
    view.update(queues, frozenset({"b"}))
    assert view.made == 1
    assert [row.cells["name"].shown for row in view.rows] == ["Alpha", "⊘ Bravo"]


def counting_matcher(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every folded name the view's name filter looks at, from now on."""
    seen: list[str] = []
    original: Callable[[str], Callable[[str], bool]] = folded_matcher

    def counting(pattern: str) -> Callable[[str], bool]:
        matches = original(pattern)

        def check(folded: str) -> bool:
            seen.append(folded)
            return matches(folded)

        return check

    monkeypatch.setattr(present, "folded_matcher", counting)
    return seen


def test_a_filter_that_grows_looks_only_among_what_the_last_one_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    queues = [
        queue(f"q{i}", name) for i, name in enumerate(["Sales UK", "Sales US", "Care UK", "Salvage", "Tech"])
    ]
    view = LiveView(Thresholds(), sort=Sort.by("name"))
    view.update(queues)
    seen = counting_matcher(monkeypatch)
    view.set_pattern("sa")
    assert len(seen) == 5, "from nothing: every name"
    assert [row.cells["name"].value for row in view.rows] == ["Sales UK", "Sales US", "Salvage"]
    seen.clear()
    view.set_pattern("sal")
    assert sorted(seen) == ["sales uk", "sales us", "salvage"], "only the three 'sa' kept"
    seen.clear()
    view.set_pattern("sale")
    assert sorted(seen) == ["sales uk", "sales us", "salvage"]
    seen.clear()
    view.set_pattern("sales")
    assert sorted(seen) == ["sales uk", "sales us"], "not salvage, which 'sale' left out"
    seen.clear()
    view.set_pattern("sa")  # erasing widens: every name again
    assert len(seen) == 5
    assert len(view.rows) == 3
    seen.clear()
    view.set_pattern("")
    assert seen == [] and len(view.rows) == 5, "no pattern looks at no name"


def test_a_refresh_moves_only_the_rows_whose_place_changed() -> None:
    queues = [queue(f"q{i:03d}", f"Queue {i:03d}", longest=float(i)) for i in range(400)]
    view = LiveView(Thresholds(), sort=DEFAULT_SORT)
    view.update(queues)
    assert [row.key for row in view.rows][:2] == ["q399", "q398"]
    changed = list(queues)
    changed[5] = replace(changed[5], longest_wait_s=1000.0)
    changed[399] = replace(changed[399], longest_wait_s=None)
    view.update(changed)
    keys = [row.key for row in view.rows]
    assert keys[0] == "q005" and keys[-1] == "q399" and keys[1] == "q398"
    assert keys == [row.key for row in build_view(changed, Thresholds(), "", DEFAULT_SORT).rows]


def test_queues_that_leave_are_dropped_and_their_widths_forgotten() -> None:
    wide = queue("w", "Wide", offered=123456789)
    view = LiveView(Thresholds())
    view.update([wide, queue("n", "Narrow")])
    assert view.widths["offered"] == 9
    view.update([queue("n", "Narrow")])
    assert [row.key for row in view.rows] == ["n"]
    assert view.widths["offered"] == 3


@pytest.mark.parametrize(
    ("pattern", "before", "narrower"),
    [
        ("sal", "sa", True),
        ("SAL", "sa", True),
        ("sa*s", "sa", True),
        ("sa ", "sa", True),
        ("sa", "sal", False),
        ("xsa", "sa", False),
        ("anything", "", True),
    ],
)
def test_which_patterns_narrow(pattern: str, before: str, narrower: bool) -> None:
    assert narrows(pattern, before) is narrower


def test_the_name_cutter_finds_where_names_differ_only_for_the_names_drawn() -> None:
    from queuewatch.present import NameCutter, differs_at

    names = ["Sales", "Sales - Spanish", "Sales - Spanish VIP", "Collections - Early", "Collections - Late"]
    cutter = NameCutter()
    assert cutter.update(names) and not cutter.update(reversed(names))
    assert {name: cutter.differs(name) for name in names} == differs_at(names)
    assert cutter.differs("Billing") == 0, "a name not on show"
    assert cutter.update(names[:2])
    assert cutter.differs("Sales - Spanish") == differs_at(names[:2])["Sales - Spanish"] == 5
