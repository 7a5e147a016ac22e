"""The status bar's words, from poller events, at a given moment."""

from __future__ import annotations

from datetime import UTC, datetime

from queuewatch.model import PartFailure, Snapshot
from queuewatch.poller import (
    Allowance,
    BackingOff,
    Connected,
    Connecting,
    PollFailed,
    PollStarted,
    Scheduled,
    SnapshotReceived,
)
from queuewatch.source import LiveState, RateStatus
from queuewatch.tui.status import (
    PollStatus,
    StatusParts,
    describe,
    fit_line,
    stale_banner,
    stale_reason,
    stale_since,
)

TAKEN = datetime(2026, 3, 2, 14, 5, 0, tzinfo=UTC)


def ready(next_poll_at: float | None = 105.0, errors: tuple[PartFailure, ...] = ()) -> SnapshotReceived:
    snapshot = Snapshot(taken_at=TAKEN, queues=(), errors=errors)
    return SnapshotReceived(snapshot, RateStatus(last_minute=42), next_poll_at)


def started() -> PollStatus:
    return PollStatus(label="eu-west-1", interval=5.0).after(Connected("x"), 99.0).after(ready(), 100.0)


def test_connecting_until_the_first_snapshot() -> None:
    status = PollStatus(label="demo", interval=5.0).after(Connecting(), 0.0)
    parts = describe(status, 1.0, 0, 0)
    assert (parts.label, parts.updated, parts.count, parts.stale) == ("demo", "connecting…", "", False)
    assert describe(status.after(Connected("demo"), 1.0), 1.0, 0, 0).updated == "loading queues…"


def test_after_a_snapshot_age_countdown_rate_and_count() -> None:
    parts = describe(started(), 103.2, 240, 240, UTC)
    assert parts.updated == "updated 14:05:00, 3 s ago"
    assert parts.next == "next in 2 s"
    assert parts.rate == "req 42/300 per min (assumed)"
    assert parts.count == "240 queues"
    assert parts.problem == ""
    assert describe(started(), 103.2, 12, 240).count == "12 of 240 queues"
    assert describe(started(), 103.2, 12, 240, media="voice").count == "voice · 12 of 240 queues"
    assert describe(started(), 103.2, 240, 240, media="chat").count == "chat · 240 queues"


def test_polling_and_paused() -> None:
    assert describe(started().after(PollStarted(), 105.0), 105.0, 1, 1).next == "updating…"
    paused = started().after(Scheduled(None, paused=True, interval=5.0), 101.0)
    assert describe(paused, 101.0, 1, 1).next == "paused"


def test_stale_after_two_intervals() -> None:
    assert not describe(started(), 110.0, 1, 1).stale
    assert describe(started(), 110.5, 1, 1).stale


def test_a_stretched_interval_is_said_and_moves_staleness() -> None:
    status = started().after(Scheduled(112.0, paused=False, interval=5.0, effective_interval=12.0), 100.0)
    parts = describe(status, 104.0, 1, 1)
    assert parts.next == "next in 8 s (every 12 s to stay within the request budget)"
    assert not describe(status, 120.0, 1, 1).stale
    assert describe(status, 125.0, 1, 1).stale


def test_backoff_counts_down_and_clears_on_the_next_snapshot() -> None:
    backoff = BackingOff("observations", "rate_limited", "rate limited", 12.0, 3, retry_at=112.0)
    status = started().after(backoff, 100.0)
    assert describe(status, 100.0, 1, 1).problem == "rate limited — retrying in 12 s (attempt 3)"
    assert describe(status, 108.5, 1, 1).problem == "rate limited — retrying in 4 s (attempt 3)"
    assert describe(status, 112.5, 1, 1).problem == "rate limited — retrying now (attempt 3)"
    assert describe(status, 108.5, 1, 1).next == ""
    assert describe(status.after(ready(), 113.0), 113.0, 1, 1).problem == ""


def test_unavailable_backoff_names_genesys() -> None:
    backoff = BackingOff("observations", "unavailable", "HTTP 503", 4.0, 1, retry_at=104.0)
    assert describe(started().after(backoff, 100.0), 100.0, 1, 1).problem == (
        "Genesys unavailable — retrying in 4 s (attempt 1)"
    )


def test_failures_are_shown_plainly() -> None:
    message = "permission analytics:conversationAggregate:view is missing for /api/v2/x"
    status = started().after(PollFailed("aggregates", "permission", message, retry_at=400.0), 100.0)
    assert describe(status, 100.0, 1, 1).problem == f"{message} — asking again in 5 min"
    fatal = started().after(PollFailed("connect", "auth", "credentials rejected", fatal=True), 100.0)
    parts = describe(fatal, 100.0, 1, 1)
    assert parts.problem == "credentials rejected — restart queuewatch once fixed"
    assert parts.problem_fatal


def test_partial_snapshots_say_which_part_failed() -> None:
    failure = PartFailure("aggregates", "unavailable", "HTTP 502", ("q1", "q2"))
    status = PollStatus(label="x", interval=5.0).after(ready(errors=(failure,)), 100.0)
    assert describe(status, 100.0, 1, 1).problem == "partial data — aggregates failed for 2 queues: HTTP 502"


def test_the_allowance_says_where_it_comes_from() -> None:
    lowered = SnapshotReceived(
        Snapshot(taken_at=TAKEN, queues=()), RateStatus(31), 105.0, Allowance(31, "lowered")
    )
    status = started().after(lowered, 101.0)
    assert describe(status, 101.0, 1, 1).rate == "req 31/31 per min (lowered after a 429)"
    configured = SnapshotReceived(Snapshot(taken_at=TAKEN, queues=()), RateStatus(7), 110.0, Allowance(500))
    assert describe(status.after(configured, 106.0), 106.0, 1, 1).rate == "req 7/500 per min (assumed)"


def test_the_stale_banner_says_since_when_and_why() -> None:
    assert stale_banner(started(), 110.0, UTC) == "", "fresh: no banner"
    backoff = BackingOff("observations", "unavailable", "HTTP 503", 4.0, 2, retry_at=114.0)
    assert stale_banner(started().after(backoff, 110.0), 165.0, UTC) == (
        "STALE since 14:05:00 (1 min) — Genesys unavailable; the figures are from then"
    )
    failed = started().after(
        PollFailed("observations", "auth", "credentials rejected", retry_at=400.0), 101.0
    )
    assert stale_since(failed, 111.0, UTC) == "14:05:00"
    assert stale_reason(failed) == "credentials rejected"
    assert stale_reason(started().after(PollStarted(), 106.0)) == "waiting for Genesys to reply"
    assert stale_reason(started().with_paused(True, 101.0)) == "paused (p resumes)"
    never = PollStatus(label="x", interval=5.0).after(backoff, 1.0)
    assert never.stale(2.0) and stale_banner(never, 2.0) == "", "no data on screen: nothing to mark"


def test_overdue_is_stale_with_polling_on_for_two_intervals() -> None:
    assert started().overdue(110.5) and not started().overdue(110.0)
    paused = started().with_paused(True, 101.0)
    assert paused.stale(120.0) and not paused.overdue(120.0), "a pause is not an outage"
    resumed = paused.with_paused(False, 120.0)
    assert resumed.resumed_at == 120.0
    assert resumed.stale(125.0) and not resumed.overdue(125.0), "the first poll after resuming is on its way"
    assert resumed.overdue(130.5)


# --- fitting the first line ---------------------------------------------------------------------------


def line_width(line: dict[str, str]) -> int:
    shown = [len(text) + (2 if key == "stale" else 0) for key, text in line.items() if text]
    return sum(shown) + 2 * (len(shown) - 1)


def busy(stale: bool = False, hidden: int = 0) -> StatusParts:
    """A first line far too long for 80 columns: a stretched cadence, a lowered allowance."""
    status = PollStatus(label="eu-west-1", interval=5.0).after(Connected("x"), 99.0).after(ready(), 100.0)
    status = status.after(Scheduled(105.0, paused=False, interval=5.0, effective_interval=13.0), 100.0)
    parts = describe(status, 130.0 if stale else 101.0, 4980, 5000, UTC, "voice", hidden_breaching=hidden)
    assert parts.stale is stale
    return parts


def test_a_wide_terminal_shows_every_part_whole() -> None:
    parts = busy()
    line = fit_line(parts, 200)
    assert line["next"] == "next in 4 s (every 13 s to stay within the request budget)"
    assert line["rate"] == parts.rate and line["label"] == "eu-west-1"
    assert line["count"] == "voice · 4980 of 5000 queues"


def test_at_120_columns_the_count_is_whole_and_nothing_is_cut() -> None:
    parts = busy(hidden=3)
    line = fit_line(parts, 118)
    assert line_width(line) <= 118
    assert line["count"] == "voice · 4980 of 5000 queues"
    assert line["hidden"] == "3 breaching hidden"
    for key, text in line.items():
        assert text in ("", getattr(parts, key) if key != "stale" else "STALE", *parts.shorter.get(key, ()))


def test_at_80_columns_the_least_important_parts_give_way_first() -> None:
    parts = busy(stale=True, hidden=3)
    line = fit_line(parts, 78)
    assert line_width(line) <= 78
    assert line["stale"] == "STALE", "staleness never gives way"
    assert line["count"] == "voice · 4980 of 5000 queues", "nor the queue count"
    assert line["rate"] == "" and line["label"] == "", "the request count and the region went first"
    assert line["hidden"] == "3 breaching hidden"
    assert line["updated"].endswith("ago")


def test_a_very_narrow_bar_keeps_staleness_and_count_even_alone() -> None:
    line = fit_line(busy(stale=True, hidden=3), 30)
    assert {key for key, text in line.items() if text} == {"stale", "count"}


def live(state: LiveState) -> SnapshotReceived:
    return SnapshotReceived(Snapshot(taken_at=TAKEN, queues=()), RateStatus(3), 105.0, Allowance(), state)


def test_push_says_how_long_ago_the_last_event_came() -> None:
    status = started().after(live(LiveState("push", last_event_at=98.0)), 100.0)
    assert describe(status, 100.0, 1, 1).next == "push · last event 2 s ago"
    assert describe(status, 190.0, 1, 1).next == "push · last event 1 min ago"
    assert describe(status.after(PollStarted(), 101.0), 101.0, 1, 1).next == "push · last event 3 s ago"
    quiet = started().after(live(LiveState("push")), 100.0)
    assert describe(quiet, 100.0, 1, 1).next == "push · no event yet"
    assert describe(quiet, 100.0, 1, 1).problem == ""


def test_polling_in_place_of_push_says_so_and_when_push_is_tried_again() -> None:
    state = LiveState("poll", note="push unavailable: channels refused (HTTP 400)", push_again_at=340.0)
    parts = describe(started().after(live(state), 100.0), 101.0, 1, 1)
    assert parts.next == "polling every 5 s · next in 4 s"
    assert parts.problem == (
        "push unavailable: channels refused (HTTP 400) — polling instead; trying push again in 3 min"
    )


def test_a_push_backoff_is_shown_over_the_event_age() -> None:
    status = started().after(live(LiveState("push", last_event_at=99.0)), 100.0)
    lost = BackingOff("observations", "push_lost", "notification channel lost", 2.0, 1, retry_at=103.0)
    parts = describe(status.after(lost, 101.0), 101.0, 1, 1)
    assert parts.next == ""
    assert parts.problem == "notification channel lost — retrying in 2 s (attempt 1)"
