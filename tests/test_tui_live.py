"""The dashboard on the real stack: simulator over loopback HTTP, the real SDK, the real poller.

What a supervisor sees when things go right and when they go wrong (the dashboard's half of the
fault matrix): the table, the filter and sort, a throttle counting down, stale data kept and
marked, partial data shown as unknown, a missing permission named, and a quick quit.
"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from textual.pilot import Pilot
from textual.widgets import Label, Static

from queuewatch.formatting import fmt_count
from queuewatch.poller import BackingOff, PollerEvent, PollerSettings, SnapshotReceived
from queuewatch.simulator import ContactCentre, Scenario, SimulatorServer, default_scenario
from queuewatch.source import QueueSource
from queuewatch.thresholds import Thresholds
from queuewatch.tui.app import QueuewatchApp
from queuewatch.tui.screens import QueueDetailScreen
from queuewatch.tui.widgets import QueueTable
from tests.clocks import FakeClock
from tests.fakes import poller_ended, wait_for, wait_for_snapshot

E = TypeVar("E", bound=PollerEvent)

LONDON = ZoneInfo("Europe/London")
FROZEN = datetime(2026, 3, 2, 11, 0, 0, tzinfo=LONDON)
SIZE = (120, 30)


def live_app(
    server: SimulatorServer,
    *,
    frozen: bool = False,
    interval: float = 5.0,
    batch_size: int = 100,
    clock: FakeClock | None = None,
    closed: threading.Event | None = None,
    **options: Any,
) -> QueuewatchApp:
    """The dashboard wired to ``server`` exactly as ``queuewatch --region URL`` wires it.

    ``frozen`` stops the clocks (for snapshots); ``clock`` runs the poller and the status bar on a
    fake clock that the test moves; ``closed`` is set when the source is closed.
    """
    zone = server.centre.scenario.timezone

    def connect() -> QueueSource:
        from queuewatch.genesys import Credentials, GenesysSource, SourceSettings

        settings = SourceSettings(
            base_url=server.base_url,
            label="demo",
            timezone=zone,
            batch_size=batch_size,
            connect_timeout=1.0,
            read_timeout=1.0,
        )
        on_close = closed.set if closed is not None else None
        if frozen:
            return GenesysSource(
                settings, Credentials("demo", "demo"), clock=lambda: FROZEN, on_close=on_close
            )
        return GenesysSource(settings, Credentials("demo", "demo"), on_close=on_close)

    if frozen:
        options.update(clock=lambda: 1000.0, wall_clock=lambda: FROZEN, tz=LONDON)
    if clock is not None:
        options.update(clock=clock, wait=clock.wait)
    return QueuewatchApp(
        connect=connect,
        label="demo",
        poller_settings=PollerSettings(interval=interval),
        thresholds=Thresholds(),
        **options,
    )


class Heard:
    """The poller's events as the app's ``on_event`` hears them (in the poller's thread), timed."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.timed: list[tuple[float, PollerEvent]] = []

    def __call__(self, event: PollerEvent) -> None:
        self.timed.append((self.clock(), event))

    def mark(self) -> int:
        return len(self.timed)

    def of(self, kind: type[E], since: int = 0) -> list[tuple[float, E]]:
        return [(at, e) for at, e in self.timed[since:] if isinstance(e, kind)]


def on_fake_clock(server: SimulatorServer, **options: Any) -> tuple[QueuewatchApp, FakeClock, Heard]:
    """The dashboard on ``server`` with its poller on a fake clock, and what the poller said."""
    clock = FakeClock(time.time())
    heard = Heard(clock)
    return live_app(server, clock=clock, on_event=heard, **options), clock, heard


async def next_snapshot(pilot: Pilot[Any], app: QueuewatchApp, clock: FakeClock, heard: Heard) -> float:
    """Move the clock through the poller's waits until its next snapshot is on screen; its time."""
    mark = heard.mark()
    await clock.run_until_async(pilot, lambda: heard.of(SnapshotReceived, mark))
    at, ready = heard.of(SnapshotReceived, mark)[0]
    await wait_for(
        pilot, lambda: app.snapshot is not None and app.snapshot.taken_at >= ready.snapshot.taken_at
    )
    return at


@pytest.fixture
def server(centre: ContactCentre) -> Iterator[SimulatorServer]:
    with SimulatorServer(centre, port=0) as running:
        yield running


def status(app: QueuewatchApp, part: str) -> str:
    label = app.query_one(f"#status-{part}", Label)
    return str(label.content) if label.display else ""


def cell(app: QueuewatchApp, queue_id: str, column: str) -> str:
    return app.query_one(QueueTable).cell(queue_id, column).text


def cell_shown(app: QueuewatchApp, queue_id: str) -> str:
    """The queue name cell as shown, with its row's mark."""
    return app.query_one(QueueTable).cell(queue_id, "name").shown


def name_to_id(app: QueuewatchApp) -> dict[str, str]:
    assert app.snapshot is not None
    return {q.name: q.id for q in app.snapshot.queues}


# --- the picture --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def frozen_server() -> Iterator[SimulatorServer]:
    """Seeded, and its clock stopped at 11:00 on a Monday in London: the same picture every run."""
    centre = ContactCentre(default_scenario(), seed=7, clock=lambda: FROZEN.timestamp())
    with SimulatorServer(centre, port=0) as running:
        yield running


async def settled(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, QueuewatchApp)
    await wait_for_snapshot(pilot, app)
    await wait_for(pilot, lambda: app.status.next_poll_at is not None and app.status.rate is not None)


def test_main_screen_on_the_simulator(
    snap_compare: Callable[..., bool], frozen_server: SimulatorServer
) -> None:
    assert snap_compare(live_app(frozen_server, frozen=True), terminal_size=(100, 30), run_before=settled)


def test_help_screen_on_the_simulator(
    snap_compare: Callable[..., bool], frozen_server: SimulatorServer
) -> None:
    async def open_help(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("question_mark")

    assert snap_compare(live_app(frozen_server, frozen=True), terminal_size=(100, 30), run_before=open_help)


# --- keys on live data ----------------------------------------------------------------------------------


async def test_filter_sort_and_cursor_through_live_refreshes(server: SimulatorServer) -> None:
    app, clock, heard = on_fake_clock(server, interval=1)
    async with app.run_test(size=SIZE) as pilot:
        # Through the clock: a reply slowed past its timeout on a busy machine is retried after a
        # backoff on that clock, which must move for the first picture to come.
        await next_snapshot(pilot, app, clock, heard)
        table = app.query_one(QueueTable)
        total = len(app.snapshot.queues) if app.snapshot else 0
        await pilot.press("slash", *"care", "enter")
        shown = [q for q in app.snapshot.queues if "care" in q.name.lower()] if app.snapshot else []
        assert table.row_count == len(shown) > 1
        assert status(app, "count") == f"{len(shown)} of {total} queues"
        assert "[VIP] Sales" not in name_to_id(app) or table.row_count < total

        await pilot.press("s")  # sort by the next column after the default (longest wait)
        sorted_by = app.sort
        await pilot.press("down", "down")
        under_cursor = table.cursor_key
        for _ in range(2):
            await next_snapshot(pilot, app, clock, heard)
            assert app.sort == sorted_by, "the sort survives refreshes"
            assert table.cursor_key == under_cursor, "the cursor stays on the same queue"
            assert table.row_count == len(shown), "the filter survives refreshes"

        await pilot.press("slash", "escape")
        assert table.row_count == total
        assert status(app, "count") == f"{total} queues"


async def test_markup_and_wide_names_render_literally(server: SimulatorServer) -> None:
    app = live_app(server)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for_snapshot(pilot, app)
        await pilot.press("slash", *"[vip]", "enter")
        table = app.query_one(QueueTable)
        assert table.row_count == 1
        line = table.render_line(1).text
        assert "[VIP] Sales" in line
        await pilot.press("slash", "escape", "slash", *"サポート", "enter")
        assert table.row_count == 1 and "お客様サポート 🎧" in table.render_line(1).text


async def test_breaches_media_export_and_detail_on_live_data(server: SimulatorServer, tmp_path: Path) -> None:
    app, clock, heard = on_fake_clock(server, interval=3, export_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await next_snapshot(pilot, app, clock, heard)
        table = app.query_one(QueueTable)

        # n: the next breaching queue in table order.
        def breaching(key: str) -> bool:
            return cell_shown(app, key).startswith(("!", "‼"))

        start = table.cursor_row
        await pilot.press("n")
        keys = table.row_keys
        assert breaching(keys[table.cursor_row]), "the simulator has queues in trouble"
        assert table.cursor_row > start
        assert not any(breaching(key) for key in keys[start + 1 : table.cursor_row])

        # m: voice only, each row with the voice figures of the latest snapshot.
        await pilot.press("m")
        assert status(app, "count").startswith("voice · ")
        snapshot = app.snapshot
        assert snapshot is not None
        voice = {q.id: q.by_media["voice"] for q in snapshot.queues if "voice" in q.by_media}
        assert 0 < table.row_count == len(voice) < len(snapshot.queues)
        for key in table.row_keys:
            assert cell(app, key, "offered") == fmt_count(voice[key].today.offered)

        # e: the rows shown, in order, with the voice figures.
        await pilot.press("e")
        (path,) = tmp_path.glob("queuewatch-*.csv")
        exported = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
        assert [row["id"] for row in exported] == table.row_keys
        assert {row["id"]: row["today.offered"] for row in exported} == {
            key: str(voice[key].today.offered) for key in table.row_keys
        }

        # Enter: the queue under the cursor, its waiting conversations oldest first, live.
        await pilot.press("m", "m", "m", "m", "m")
        assert app.media is None
        table.move_cursor(row=0)  # the longest wait
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, QueueDetailScreen)
        text = str(screen.query_one("#detail-text", Static).content)
        assert "Waiting, oldest first" in text and "By media type" in text
        stats = next(q for q in app.snapshot.queues if q.id == screen.queue_id) if app.snapshot else None
        assert stats is not None and stats.waiting_detail, "the longest wait comes with its conversations"
        waits = [seconds for _, _, seconds in stats.waiting_detail]
        assert waits == sorted(waits, reverse=True)
        await next_snapshot(pilot, app, clock, heard)
        assert str(screen.query_one("#detail-text", Static).content) != text, "it refreshes live"
        await pilot.press("escape")
        assert not isinstance(app.screen, QueueDetailScreen)


# --- faults, as the supervisor sees them ---------------------------------------------------------------


async def test_throttle_is_shown_and_clears(server: SimulatorServer) -> None:
    app, clock, heard = on_fake_clock(server, interval=1)
    async with app.run_test(size=SIZE) as pilot:
        await next_snapshot(pilot, app, clock, heard)
        server.faults.update({"rate_limit_next": 10_000, "retry_after": 3})
        await clock.tick_async(pilot, 1)  # the next poll
        await wait_for(pilot, lambda: status(app, "problem").startswith("rate limited"))
        assert status(app, "problem") == "rate limited — retrying in 3 s (attempt 1)"
        server.faults.reset()
        throttled_at = heard.of(BackingOff)[-1][0]
        assert await next_snapshot(pilot, app, clock, heard) == throttled_at + 3, "after Retry-After"
        assert status(app, "problem") == ""


async def test_outage_keeps_the_last_numbers_marked_stale_then_recovers(server: SimulatorServer) -> None:
    app, clock, heard = on_fake_clock(server, interval=1)
    async with app.run_test(size=SIZE) as pilot:
        await next_snapshot(pilot, app, clock, heard)
        good = app.snapshot
        assert good is not None
        some = good.queues[0]
        shown = cell(app, some.id, "waiting")
        server.faults.update({"fail_rate": 1.0, "fail_status": 503})
        await clock.tick_async(pilot, 1)  # the next poll
        await wait_for(pilot, lambda: status(app, "problem").startswith("Genesys unavailable"))
        await clock.run_until_async(pilot, lambda: app.query_one("#status-stale").display)
        assert app.snapshot is good, "the last good numbers stay"
        assert cell(app, some.id, "waiting") == shown != "–"
        server.faults.reset()
        outage_over = clock()
        assert await next_snapshot(pilot, app, clock, heard) - outage_over <= 1, "back within one interval"
        assert not app.query_one("#status-stale").display
        assert status(app, "problem") == ""


async def test_permission_missing_on_aggregates_names_it(server: SimulatorServer) -> None:
    server.faults.update({"deny": ["analytics:conversationAggregate:view"]})
    app = live_app(server)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        problem = status(app, "problem")
        assert "analytics:conversationAggregate:view" in problem and "role" in problem
        any_queue = app.snapshot.queues[0].id if app.snapshot else ""
        assert cell(app, any_queue, "offered") == "–", "today's figures are unknown, not zero"
        assert cell(app, any_queue, "waiting") != "–", "live figures still come"


async def test_one_failed_batch_shows_its_queues_as_unknown(server: SimulatorServer) -> None:
    app = live_app(server, batch_size=10, interval=30)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        server.faults.update(
            {"fail_rate": 1.0, "fail_status": 502, "remaining": 1, "paths": ("/observations",)}
        )
        before = app.snapshot
        await pilot.press("r")
        await wait_for_snapshot(pilot, app, than=before)
        assert "partial data — observations failed for 10 queues" in status(app, "problem")
        assert app.snapshot is not None
        unknown = [q for q in app.snapshot.queues if q.waiting is None]
        assert len(unknown) == 10
        assert all(cell(app, q.id, "waiting") == "–" for q in unknown)


async def test_revoked_credentials_keep_the_dashboard_up(server: SimulatorServer) -> None:
    app, clock, heard = on_fake_clock(server, interval=1)
    async with app.run_test(size=SIZE) as pilot:
        await next_snapshot(pilot, app, clock, heard)
        rows = app.query_one(QueueTable).row_count
        server.accept_logins(False)
        server.revoke_tokens()
        await clock.tick_async(pilot, 1)  # the next poll
        await wait_for(pilot, lambda: "rejected the OAuth client credentials" in status(app, "problem"))
        assert "asking again in 5 min" in status(app, "problem")
        assert app.query_one(QueueTable).row_count == rows, "the last picture stays on screen"
        clock.advance(2)
        await wait_for(pilot, lambda: app.query_one("#status-stale").display)
        server.accept_logins(True)
        before = app.snapshot
        await pilot.press("r")
        await wait_for_snapshot(pilot, app, than=before)
        assert status(app, "problem") == ""


async def test_quit_during_a_backoff_is_not_held_up_by_it(
    server: SimulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The poller's clock never moves here, so the 60 s Retry-After never ends by itself."""
    closed = threading.Event()
    app, clock, _ = on_fake_clock(server, closed=closed)
    ended = poller_ended(app, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_snapshot(pilot, app)
        server.faults.update({"rate_limit_next": 10_000, "retry_after": 60})
        await pilot.press("r")
        await wait_for(pilot, lambda: status(app, "problem").startswith("rate limited"))
        assert clock.sleeping()
        await pilot.press("q")
    assert ended.wait(5), "the poller stopped"
    assert closed.is_set(), "and closed its source"


async def test_an_org_with_no_queues() -> None:
    empty = ContactCentre(Scenario(name="empty", timezone="UTC", queues=()), seed=1)
    with SimulatorServer(empty, port=0) as server:
        app = live_app(server)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for_snapshot(pilot, app)
            assert app.query_one(QueueTable).row_count == 0
            assert status(app, "count") == "0 queues"
            assert status(app, "problem") == ""
