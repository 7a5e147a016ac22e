"""Issue 9 on the real stack: simulator over loopback HTTP, the real SDK, the real poller and app.

The sequences are staged on the simulator (``SimulatorServer.stage``: a queue's figures set by
hand; the rest of the centre is the seeded model, its clock stopped at 11:00 on a Monday in
London, so nothing else moves). The dashboard's clock is stepped by the test and every poll is
asked for with ``r``, so no test waits for time to pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from textual.widgets import Label
from textual.widgets._footer import FooterKey

from queuewatch.poller import PollerSettings
from queuewatch.simulator import ContactCentre, SimulatorServer, default_scenario
from queuewatch.simulator.scenario import name_id
from queuewatch.source import QueueSource
from queuewatch.thresholds import Thresholds
from queuewatch.tui.app import QueuewatchApp
from queuewatch.tui.widgets import QueueTable
from tests.fakes import SteppedClock, shown, wait_for, wait_for_snapshot
from tests.test_tui_alerts import Heard, banner, looks_stale

LONDON = ZoneInfo("Europe/London")
FROZEN = datetime(2026, 3, 2, 11, 0, 0, tzinfo=LONDON)
SIZE = (120, 30)
OUTAGES = name_id("queue", "Tech Support - Outages")
NAME = "Tech Support - Outages"

CALM = {"waiting": 0, "idle": 2, "not_responding": 0}
BAD_DAY = {"offered": 100, "abandoned": 12}
"""Today's abandon rate at 12 %: past its critical line (10 %)."""


@pytest.fixture(scope="module")
def centre() -> ContactCentre:
    return ContactCentre(default_scenario(), seed=7, clock=lambda: FROZEN.timestamp())


@pytest.fixture
def server(centre: ContactCentre) -> Iterator[SimulatorServer]:
    with SimulatorServer(centre, port=0) as running:
        yield running


def staged_app(
    server: SimulatorServer, clock: SteppedClock, interval: float = 30.0, **options: Any
) -> QueuewatchApp:
    """The dashboard on ``server``, as ``queuewatch --region URL`` wires it, on a stepped clock.

    Polls come only when asked for (``r``): the interval is long, and today's figures are fetched
    again at every poll a second or more after the last.
    """
    zone = server.centre.scenario.timezone

    def connect() -> QueueSource:
        from queuewatch.genesys import Credentials, GenesysSource, SourceSettings

        settings = SourceSettings(
            base_url=server.base_url, label="demo", timezone=zone, connect_timeout=1.0, read_timeout=2.0
        )
        return GenesysSource(settings, Credentials("demo", "demo"), clock=lambda: FROZEN)

    def wall() -> datetime:
        return FROZEN + timedelta(seconds=clock.now - 1000.0)

    return QueuewatchApp(
        connect=connect,
        label="demo",
        poller_settings=PollerSettings(interval=interval, today_every=1.0),
        thresholds=Thresholds(),
        clock=clock,
        wall_clock=wall,
        wait=clock.wait,
        tz=LONDON,
        **options,
    )


async def poll(pilot: Any, app: QueuewatchApp, clock: SteppedClock) -> None:
    """A second later, one poll (``r``), and wait for its snapshot."""
    before = app.snapshot
    clock.now += 1
    await pilot.press("r")
    await wait_for_snapshot(pilot, app, than=before)


def alerts(heard: Heard) -> list[str]:
    return [message for message, severity in heard.notes if severity == "error"]


# --- section 1: live figures and today's, each on its own ---------------------------------------------


async def test_a_bad_day_does_not_mute_a_live_crisis(server: SimulatorServer) -> None:
    server.stage(OUTAGES, **CALM, **BAD_DAY)
    clock = SteppedClock()
    app = staged_app(server, clock, bell=True)
    async with app.run_test(size=SIZE) as pilot:
        heard = Heard(app)
        await wait_for_snapshot(pilot, app)
        assert shown(app, OUTAGES, "abandon_rate") == "‼ 12.0"
        assert alerts(heard) == [], "critical today at start: on screen, not announced"

        server.stage(OUTAGES, waiting=30, longest_wait_s=720, idle=0, not_responding=0, **BAD_DAY)
        await poll(pilot, app, clock)
        assert alerts(heard) == [
            f"{NAME} critical: longest wait 12:00 (≥ 3:00); 30 waiting (≥ 15); no agent idle"
        ]
        assert heard.bells == 1


async def test_live_figures_re_arm_on_their_own_after_recovering_live(server: SimulatorServer) -> None:
    server.stage(OUTAGES, **CALM, **BAD_DAY)
    clock = SteppedClock()
    app = staged_app(server, clock)
    async with app.run_test(size=SIZE) as pilot:
        heard = Heard(app)
        await wait_for_snapshot(pilot, app)
        server.stage(OUTAGES, waiting=20, longest_wait_s=70, idle=1, not_responding=0, **BAD_DAY)
        await poll(pilot, app, clock)
        assert alerts(heard) == [f"{NAME} critical: 20 waiting (≥ 15)"]

        server.stage(OUTAGES, **CALM, **BAD_DAY)
        await poll(pilot, app, clock)
        await poll(pilot, app, clock)
        assert shown(app, OUTAGES, "waiting") == "0" and shown(app, OUTAGES, "abandon_rate") == "‼ 12.0"

        server.stage(OUTAGES, waiting=40, longest_wait_s=70, idle=1, not_responding=0, **BAD_DAY)
        await poll(pilot, app, clock)
        assert alerts(heard)[1:] == [f"{NAME} critical: 40 waiting (≥ 15)"], "alerted again"


async def test_today_s_figures_alert_on_their_own_crossing_and_not_responding_is_live(
    server: SimulatorServer,
) -> None:
    server.stage(OUTAGES, **CALM, offered=100, abandoned=8)
    clock = SteppedClock()
    app = staged_app(server, clock)
    async with app.run_test(size=SIZE) as pilot:
        heard = Heard(app)
        await wait_for_snapshot(pilot, app)
        assert shown(app, OUTAGES, "abandon_rate") == "! 8.0"
        server.stage(OUTAGES, **CALM, offered=100, abandoned=11)
        await poll(pilot, app, clock)
        assert alerts(heard) == [f"{NAME} critical today: abandon rate 11.0 % (≥ 10.0 %)"]

        server.stage(OUTAGES, waiting=0, idle=2, not_responding=3, offered=100, abandoned=11)
        await poll(pilot, app, clock)
        assert shown(app, OUTAGES, "not_responding") == "‼ 3"
        assert alerts(heard)[1:] == [f"{NAME} critical: 3 agents not responding (≥ 3)"]


# --- section 2: the feed dying --------------------------------------------------------------------------


async def test_the_feed_dying_looks_stale_alerts_and_recovery_is_said_once(server: SimulatorServer) -> None:
    clock = SteppedClock()
    app = staged_app(server, clock, bell=True, desktop_notify=True)
    async with app.run_test(size=SIZE) as pilot:
        heard = Heard(app)
        await wait_for_snapshot(pilot, app)
        rows = app.query_one(QueueTable).row_count
        server.faults.update({"fail_rate": 1.0, "fail_status": 503})
        clock.now += 1
        await pilot.press("r")
        await wait_for(pilot, lambda: app.status.backoff is not None)
        clock.now += 60  # more than two intervals (30 s) since the last update
        await wait_for(pilot, lambda: looks_stale(app))
        assert banner(app) == "STALE since 11:00:00 (1 min) — Genesys unavailable; the figures are from then"
        assert alerts(heard) == ["data stale since 11:00:00: Genesys unavailable"]
        assert heard.bells == 1 and heard.desktop == [
            "queuewatch: data stale since 11:00:00: Genesys unavailable"
        ]
        assert app.query_one(QueueTable).row_count == rows, "the last picture stays, marked"

        server.faults.reset()
        await poll(pilot, app, clock)
        assert banner(app) == "" and not looks_stale(app)
        assert heard.notes[-1] == ("data fresh again: updated 11:01:02", "information")
        await poll(pilot, app, clock)
        assert [m for m, _ in heard.notes].count("data fresh again: updated 11:01:02") == 1
        assert len(heard.notes) == 2, "recovery is said once"


# --- section 5: keys ------------------------------------------------------------------------------------


async def test_r_during_a_retry_after_says_when_and_sends_nothing(server: SimulatorServer) -> None:
    clock = SteppedClock()
    app = staged_app(server, clock, interval=60.0)
    async with app.run_test(size=SIZE) as pilot:
        heard = Heard(app)
        await wait_for_snapshot(pilot, app)
        server.faults.update({"rate_limit_next": 10_000, "retry_after": 60})
        clock.now += 1
        await pilot.press("r")
        await wait_for(pilot, lambda: app.status.backoff is not None)
        assert app.status.backoff is not None and app.status.backoff.retry_at == 1061.0
        sent = server.stats()["total"]
        clock.now += 10
        await pilot.press("r")
        assert heard.notes == [("Genesys asked to wait: refreshing at 11:01:01 (in 50 s)", "information")]
        await wait_for(pilot, lambda: app.status.next_poll_at == 1061.0)  # the poller heard, and waits
        assert server.stats()["total"] == sent, "no request the server would refuse"
        server.faults.reset()
        before = app.snapshot
        clock.now += 50
        await wait_for_snapshot(pilot, app, than=before)
        assert server.stats()["total"] > sent


async def test_keys_move_the_cursor_rows_and_p_says_resume(server: SimulatorServer) -> None:
    clock = SteppedClock()
    app = staged_app(server, clock)
    async with app.run_test(size=(70, 24)) as pilot:
        await wait_for_snapshot(pilot, app)
        table = app.query_one(QueueTable)
        last = table.row_count - 1
        assert last > 20 and table.max_scroll_x > 0
        await pilot.press("j", "j", "k")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == last
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("end")
        assert (table.cursor_row, table.scroll_x) == (last, 0)
        await pilot.press("home")
        assert (table.cursor_row, table.scroll_x) == (0, 0)

        def footer(key: str) -> list[str]:
            return [widget.description for widget in app.query(FooterKey) if widget.key == key]

        await pilot.press("p")
        await wait_for(pilot, lambda: footer("p") == ["Resume"])
        assert str(app.query_one("#status-next", Label).content) == "paused"
        await pilot.press("p")
        await wait_for(pilot, lambda: footer("p") == ["Pause"])
