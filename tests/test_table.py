"""The queue table at 5,000 queues, driven through Pilot: cursor, scroll, filter, sort, marks, pins."""

from __future__ import annotations

import random
from dataclasses import replace

from textual.pilot import Pilot

from queuewatch.model import QueueStats
from queuewatch.present import DEFAULT_SORT, Sort, build_view
from queuewatch.thresholds import Thresholds
from queuewatch.tui.app import QueuewatchApp
from queuewatch.tui.table import QueueTable
from tests.fakes import FakeSource, make_app, order, queue, wait_for_snapshot

SIZE = (120, 40)
COUNT = 5000
WORDS = ("Sales", "Care", "Billing", "Tech")


def many(count: int = COUNT, seed: int = 5) -> list[QueueStats]:
    """``count`` queues with varied figures: a few critical, some warning, most calm."""
    rng = random.Random(seed)
    return [
        queue(
            f"q{i:04d}",
            f"Queue {i:04d} {WORDS[i % len(WORDS)]}",
            waiting=rng.choice([0, 0, 0, 1, 2, 6, 16]),
            longest=float(rng.randint(0, 400)),
            idle=rng.randint(0, 3),
        )
        for i in range(count)
    ]


def table_of(app: QueuewatchApp) -> QueueTable:
    return app.query_one(QueueTable)


def expected_order(queues: list[QueueStats], pattern: str = "", sort: Sort = DEFAULT_SORT) -> list[str]:
    return [row.key for row in build_view(queues, Thresholds(), pattern, sort).rows]


def screen_text(app: QueuewatchApp) -> list[str]:
    table = table_of(app)
    return [table.render_line(y).text for y in range(table.size.height)]


async def refresh(pilot: Pilot[None], app: QueuewatchApp) -> None:
    before = app.snapshot
    await pilot.press("r")
    await wait_for_snapshot(pilot, app, than=before, timeout=30)


async def test_cursor_and_scroll_stay_across_refreshes_that_move_rows() -> None:
    queues = many()
    source = FakeSource(queues)
    app = make_app(source)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app, timeout=30)
        table = table_of(app)
        assert table.row_count == COUNT
        table.scroll_to(y=2000, animate=False)
        await pilot.pause()
        await pilot.click(QueueTable, offset=(5, 5))  # the fifth row under the header
        await pilot.pause()
        under_cursor = table.cursor_key
        assert under_cursor == order(app)[2004]
        # A fifth of the queues change, the one under the cursor among them, and it moves.
        changed = list(queues)
        for i in random.Random(1).sample(range(COUNT), COUNT // 5):
            changed[i] = replace(changed[i], longest_wait_s=float(i % 397))
        index = int(under_cursor[1:])
        changed[index] = replace(changed[index], longest_wait_s=999.0)
        source.set_queues(changed)
        await refresh(pilot, app)
        assert order(app) == expected_order(changed)
        assert table.cursor_key == under_cursor
        assert table.cursor_row == 0, "it went to the top, and the cursor with it"
        assert table.scroll_y == 2000, "the scroll did not follow"
        await pilot.press("down")
        assert table.cursor_row == 1
        assert table.scroll_y == 1, "a key brings the cursor into view"


async def test_typing_a_filter_narrows_and_erasing_or_esc_widens() -> None:
    queues = many()
    app = make_app(FakeSource(queues))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app, timeout=30)
        await pilot.press("slash", "4", "2")
        assert order(app) == expected_order(queues, "42")
        await pilot.press("1")
        assert order(app) == expected_order(queues, "421")
        assert sorted(order(app)) == [f"q{i:04d}" for i in range(COUNT) if "421" in f"{i:04d}"]
        await pilot.press(*"0 b")
        assert order(app) == expected_order(queues, "4210 b") == ["q4210"]
        await pilot.press("backspace", "backspace", "backspace")
        assert order(app) == expected_order(queues, "421")
        await pilot.press("escape")
        assert order(app) == expected_order(queues)
        assert table_of(app).row_count == COUNT


async def test_clicking_headers_sorts_and_marks_the_column() -> None:
    queues = many()
    app = make_app(FakeSource(queues))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app, timeout=30)
        table = table_of(app)
        header = screen_text(app)[0]
        assert "Longest▼" in header
        x = header.index(" Wait") + 2
        await pilot.click(QueueTable, offset=(x, 0))
        await pilot.pause()
        assert app.sort == Sort.by("waiting")
        assert order(app) == expected_order(queues, sort=Sort.by("waiting"))
        assert "Wait▼" in screen_text(app)[0] and "Longest▼" not in screen_text(app)[0]
        await pilot.click(QueueTable, offset=(x, 0))
        await pilot.pause()
        assert app.sort == Sort.by("waiting").reversed()
        assert "Wait▲" in screen_text(app)[0]
        await pilot.click(QueueTable, offset=(3, 0))
        await pilot.pause()
        assert order(app) == expected_order(queues, sort=Sort.by("name"))
        assert screen_text(app)[0].startswith(" Queue▲")
        assert table.header_label("name") == "Queue▲"


async def test_marks_and_stripes_follow_the_rows() -> None:
    queues = many()
    app = make_app(FakeSource(queues))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app, timeout=30)
        table = table_of(app)
        lines = screen_text(app)[1:]
        for key, line in zip(order(app), lines, strict=False):
            row = table.row(key)
            mark = {0: "", 1: "!", 2: "‼"}[int(row.level)]
            assert line.startswith(f" {mark} Queue" if mark else " Queue"), line
            waiting = row.cells["waiting"]
            assert waiting.shown in line
        plain, striped = (table.render_line(y) for y in (2, 3))
        assert plain.cell_length == striped.cell_length == table.size.width
        assert table.cursor_row == 0
        assert {s.style for s in table.render_line(1)} != {s.style for s in table.render_line(3)}


async def test_pinned_queues_head_the_table_through_sorts_and_refreshes() -> None:
    queues = many()
    source = FakeSource(queues)
    app = make_app(source, pinned=("queue 4999 *", "*0007*"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app, timeout=30)
        assert set(order(app)[:2]) == {"q4999", "q0007"}
        await pilot.press("s")
        assert set(order(app)[:2]) == {"q4999", "q0007"}
        source.update("q1234", longest_wait_s=5000.0)
        await refresh(pilot, app)
        assert set(order(app)[:2]) == {"q4999", "q0007"}
        assert order(app)[2] == "q1234" or app.sort.column != "longest_wait_s"


async def test_the_name_column_stays_when_the_figures_scroll_sideways() -> None:
    app = make_app(FakeSource(many(200)))
    async with app.run_test(size=(60, 20)) as pilot:
        await wait_for_snapshot(pilot, app)
        table = table_of(app)
        first = table.render_line(1).text
        await pilot.press("right", "right", "right", "right")
        await pilot.pause()
        assert table.scroll_x > 0
        moved = table.render_line(1).text
        name_width = table.column_width("name")
        assert 12 <= name_width < 30
        assert moved[:name_width] == first[:name_width], "the name stays"
        assert moved[name_width:] != first[name_width:], "the figures moved"


async def test_enter_opens_the_queue_under_the_cursor() -> None:
    app = make_app(FakeSource(many()))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app, timeout=30)
        await pilot.press("end")
        table = table_of(app)
        assert table.cursor_row == COUNT - 1
        assert table.scroll_y == table.max_scroll_y
        key = table.cursor_key
        await pilot.press("enter")
        assert getattr(app.screen, "queue_id", None) == key
