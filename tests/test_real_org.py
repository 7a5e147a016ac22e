"""Right against a real org: the simulator's real-shaped replies, through the real SDK.

A real observation reply has a group for every media type of every queue, with zero counts; a real
org sends no ``inin-ratelimit-*`` headers; a real waiting list can come back ``truncated``. For each,
what the supervisor sees must still be true: the media filter lists only the queues that handle a
type, the request budget plans for an allowance it says it assumed (and lowers it on a 429), and a
longest wait that may be too small is never shown as exact.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from queuewatch.cli import main
from queuewatch.export import to_json
from queuewatch.formatting import fmt_duration
from queuewatch.genesys import Credentials, GenesysSource, SourceSettings
from queuewatch.model import MEDIA_TYPES, Live, QueueInfo, QueueLive, QueueToday, Today, build_snapshot
from queuewatch.poller import (
    Allowance,
    AllowanceEstimate,
    Poller,
    PollerEvent,
    PollerSettings,
    SnapshotReceived,
    budget_stretch,
)
from queuewatch.present import Sort, build_view, for_media, make_row, totals
from queuewatch.simulator import ContactCentre, SimulatorServer, default_scenario
from queuewatch.simulator.scenario import name_id
from queuewatch.thresholds import Thresholds
from queuewatch.tui.detail import detail_sections
from queuewatch.tui.status import PollStatus, describe

START = datetime(2026, 11, 25, 11, 0, tzinfo=ZoneInfo("Europe/London"))
OUTAGES = name_id("queue", "Tech Support - Outages")

Connect = Callable[..., GenesysSource]


@pytest.fixture(scope="module")
def frozen() -> ContactCentre:
    """The default centre at 11:00 on a weekday, standing still: every reply is the same."""
    return ContactCentre(default_scenario(), seed=7, speed=0.0, start=START.timestamp())


@pytest.fixture
def connect() -> Iterator[Connect]:
    """Real sources against a server, on the frozen centre's clock; closed at the end."""
    made: list[GenesysSource] = []

    def make(server: SimulatorServer, **options: Any) -> GenesysSource:
        settings = SourceSettings(
            base_url=server.base_url,
            label="sim",
            connect_timeout=1.0,
            read_timeout=5.0,
            timezone="Europe/London",
            **options,
        )
        source = GenesysSource(settings, Credentials("id", "secret"), clock=lambda: START.astimezone(UTC))
        made.append(source)
        return source

    yield make
    for source in made:
        source.close()


# --- media types ------------------------------------------------------------------------------------


def test_the_media_filter_lists_only_the_queues_that_handle_a_type(
    frozen: ContactCentre, connect: Connect
) -> None:
    with SimulatorServer(frozen) as org:
        source = connect(org)
        queues = source.list_queues()
        live, today = source.observe(queues), source.today(queues)
    assert all(set(q.by_media) == set(MEDIA_TYPES) for q in live.values.values()), (
        "the reply has a group for every media type of every queue, zeros included"
    )
    snapshot = build_snapshot(queues, live.values, today.values, taken_at=START)
    handles = {m: {q.id for q in frozen.scenario.queues if m in q.media} for m in MEDIA_TYPES}
    for media in MEDIA_TYPES:
        view = build_view(snapshot.queues, Thresholds(), "", Sort(), media=media)
        assert {q.id for q in view.queues} == handles[media], media
    assert len(handles["chat"]) == 8 < len(queues) == 40
    outages = build_view(snapshot.queues, Thresholds(), "Tech*Outages", Sort(), media="voice").queues[0]
    assert outages.waiting == 22 and outages.longest_wait_s is not None and outages.longest_wait_s > 0
    for queue in json.loads(to_json(snapshot))["queues"]:
        assert set(queue["by_media"]) == {m for m in MEDIA_TYPES if queue["id"] in handles[m]}


def test_a_queue_handles_a_type_it_has_now_or_had_today() -> None:
    info = QueueInfo("q", "Mixed")
    zero = Live(waiting=0, longest_wait_s=0.0, interacting=0, alerting=0)
    live = QueueLive(
        live=Live(waiting=1, longest_wait_s=5.0, interacting=0, alerting=0),
        by_media={
            "voice": zero,
            "chat": Live(waiting=1, longest_wait_s=5.0, interacting=0, alerting=0),
            "email": zero,
            "message": zero,
            "callback": zero,
        },
    )
    today = QueueToday(
        by_media={
            "voice": Today(offered=3, answered=3, abandoned=0),
            "email": Today(offered=0, answered=0, abandoned=0, aht_s=600.0),
        }
    )
    stats = build_snapshot([info], {"q": live}, {"q": today}, taken_at=START).queues[0]
    assert list(stats.by_media) == ["chat", "email", "voice"], "now, handled after midnight, today"
    assert for_media(stats, "message") is None and for_media(stats, "callback") is None
    without_today = build_snapshot([info], {"q": live}, None, taken_at=START).queues[0]
    assert list(without_today.by_media) == ["chat"], "with today unknown, only what is happening now"


# --- longest wait from a truncated list -------------------------------------------------------------


@pytest.mark.parametrize("truncation", ["ends", "newest"])
def test_a_truncated_waiting_list_never_yields_a_too_small_exact_longest_wait(
    frozen: ContactCentre, connect: Connect, truncation: str
) -> None:
    with (
        SimulatorServer(frozen, detail_limit=10, truncation=truncation) as short,
        SimulatorServer(frozen) as whole,
    ):
        outages = next(q for q in connect(whole).list_queues() if q.id == OUTAGES)
        cut = connect(short).observe([outages]).values[OUTAGES]
        full = connect(whole).observe([outages]).values[OUTAGES]
    true_longest, seen = full.live.longest_wait_s, cut.live.longest_wait_s
    assert true_longest is not None and seen is not None
    assert full.live.longest_wait_exact and full.live.waiting == cut.live.waiting == 22
    assert not cut.live.longest_wait_exact and not cut.by_media["voice"].longest_wait_exact
    assert cut.by_media["chat"].longest_wait_exact, "nobody waits on chat: nothing to be unsure of"
    if truncation == "newest":
        assert seen < true_longest, "the list kept only the newest: the oldest is missing"
    else:
        assert seen == true_longest, "the oldest half is kept, yet nothing says so for certain"

    stats = build_snapshot([outages], {OUTAGES: cut}, None, taken_at=START).queues[0]
    shown = f"≥{fmt_duration(seen)}"
    assert make_row(stats, Thresholds()).cells["longest_wait_s"].text == shown
    voice = for_media(stats, "voice")
    assert voice is not None and make_row(voice, Thresholds()).cells["longest_wait_s"].text == shown
    assert dict(totals([stats]))["Longest"] == shown
    waiting = dict(detail_sections(stats, Thresholds()))["Waiting, oldest first"]
    assert waiting[-1].split()[:3] == ["…", "and", "12"] and "truncated" in waiting[-1]
    (queue,) = json.loads(to_json(build_snapshot([outages], {OUTAGES: cut}, None, START)))["queues"]
    assert queue["longest_wait_exact"] is False and queue["by_media"]["voice"]["longest_wait_exact"] is False
    exact = build_snapshot([outages], {OUTAGES: full}, None, taken_at=START).queues[0]
    assert make_row(exact, Thresholds()).cells["longest_wait_s"].text == fmt_duration(true_longest)


# --- the request budget, with no inin-ratelimit headers ------------------------------------------------


def poll_once(
    server: SimulatorServer, connect: Connect, settings: PollerSettings, **options: Any
) -> SnapshotReceived:
    events: list[PollerEvent] = []
    poller = Poller(lambda: connect(server, **options), events.append, settings, clock=lambda: 1000.0)
    poller.run(once=True)
    (ready,) = [e for e in events if isinstance(e, SnapshotReceived)]
    return ready


def test_the_budget_assumes_the_documented_allowance_and_says_so(
    frozen: ContactCentre, connect: Connect
) -> None:
    with SimulatorServer(frozen) as org:
        assert not org.rate_limit_headers
        ready = poll_once(org, connect, PollerSettings(), batch_size=10)
    assert ready.allowance == Allowance(300, "assumed")
    assert ready.next_poll_at == 1005.0, "4 requests a poll fit in 300 a minute: no stretch"
    status = PollStatus(label="sim", interval=5.0).after(ready, 1000.0)
    assert describe(status, 1000.0, 40, 40).rate == "req 10/300 per min (assumed)"


def test_a_429_lowers_the_allowance_and_stretches_the_cadence(
    frozen: ContactCentre, connect: Connect
) -> None:
    settings = PollerSettings(assumed_allowance=12)
    with SimulatorServer(frozen, rate_limit=6) as org:
        ready = poll_once(org, connect, settings, batch_size=10, concurrency=1)
    # Token, listing, 4 observation batches, 4 aggregate batches: the server lets 6 API requests
    # through and refuses the last 3 aggregate batches; 7 of ours got through (the token is ours).
    assert ready.snapshot.partial and ready.snapshot.errors[0].kind == "rate_limited"
    assert ready.rate.last_minute == 10 and ready.rate.refused_last_minute == 3
    assert ready.allowance == Allowance(7, "lowered")
    stretch = budget_stretch(4, settings, 5.0, 7)
    assert stretch > 8 and ready.next_poll_at == pytest.approx(1000.0 + 5.0 * stretch)
    status = PollStatus(label="sim", interval=5.0).after(ready, 1000.0)
    assert describe(status, 1000.0, 40, 40).rate == "req 10/7 per min (lowered after a 429)"


def test_the_allowance_estimate() -> None:
    estimate = AllowanceEstimate(300, memory=300.0)
    assert estimate.current(0.0) == Allowance(300, "assumed")
    assert estimate.throttled(250, 10.0) == Allowance(250, "lowered"), "what got through in the minute"
    assert estimate.throttled(3, 20.0) == Allowance(125, "lowered"), "never more than halved at a time"
    assert estimate.throttled(200, 30.0) == Allowance(125, "lowered"), "a 429 never raises it"
    assert estimate.current(329.0) == Allowance(125, "lowered"), "held while 429s keep coming"
    assert estimate.current(330.0) == Allowance(300, "assumed"), "five quiet minutes: back to the assumption"
    assert estimate.throttled(400, 400.0) == Allowance(300, "assumed"), "a 429 above it says nothing new"


def test_doctor_says_the_allowance_is_assumed(
    capsys: pytest.CaptureFixture[str], frozen: ContactCentre, tmp_path: Path
) -> None:
    env = {"GENESYSCLOUD_OAUTHCLIENT_ID": "id", "GENESYSCLOUD_OAUTHCLIENT_SECRET": "s"}
    config = tmp_path / "config.toml"
    config.write_text("requests_per_minute = 500\n", encoding="utf-8")
    with SimulatorServer(frozen) as org:
        plain = main(["doctor", "--region", org.base_url], env=env)
        out = capsys.readouterr().out
        configured = main(["doctor", "--region", org.base_url, "--config", str(config)], env=env)
        configured_out = capsys.readouterr().out
    assert plain == configured == 0
    assert "· request allowance: 300 per minute assumed (Genesys's documented per-token default;" in out
    assert (
        "· request allowance: 500 per minute assumed (requests_per_minute in the config file;"
        in configured_out
    )
    assert "inin-ratelimit" not in out + configured_out
