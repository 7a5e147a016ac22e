"""Each media type judged by its own thresholds: rules, breaches, the config tables, and what the
table, the totals and the status bar make of them. Pure: no network, no widgets."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from queuewatch.columns import choose_columns
from queuewatch.errors import ConfigError
from queuewatch.model import Agents, Live, MediaStats, QueueStats, Today
from queuewatch.present import Sort, build_view, make_row, totals
from queuewatch.thresholds import (
    Breach,
    Level,
    Override,
    Rule,
    Thresholds,
    classify,
    judge,
    most_urgent_wait,
    thresholds_from_config,
)
from queuewatch.tui.status import PollStatus, describe
from queuewatch.wire import parse_routing_activity
from tests.fakes import queue

HOUR = 3600.0


def live(waiting: int, longest: float) -> MediaStats:
    return MediaStats(live=Live(waiting=waiting, longest_wait_s=longest, interacting=0, alerting=0))


def sl(offered: int, level: float, target: float) -> MediaStats:
    return MediaStats(
        live=Live(waiting=0, longest_wait_s=0.0, interacting=0, alerting=0),
        today=Today(
            offered=offered,
            answered=offered,
            abandoned=0,
            abandon_rate=0.0,
            service_level=level,
            sl_target=target,
        ),
    )


def mixed(id: str, name: str, **by_media: MediaStats) -> QueueStats:
    waiting = sum(m.live.waiting or 0 for m in by_media.values())
    waits = [m.live.longest_wait_s or 0.0 for m in by_media.values()]
    return queue(id, name, waiting=waiting, longest=max(waits), idle=2, by_media=by_media)


# --- rules ------------------------------------------------------------------------------------------


def test_each_media_type_has_defaults_that_fit_it() -> None:
    rule = Rule()
    assert (rule.for_media("voice").longest_wait_warn, rule.for_media("voice").longest_wait_critical) == (
        60,
        180,
    )
    assert rule.for_media("callback") == rule.for_media("voice")
    assert (rule.for_media("chat").longest_wait_warn, rule.for_media("chat").longest_wait_critical) == (
        120,
        300,
    )
    assert rule.for_media("message").longest_wait_critical == 300
    email = rule.for_media("email")
    assert (email.longest_wait_warn, email.longest_wait_critical) == (4 * HOUR, 8 * HOUR)
    assert (email.waiting_warn, email.waiting_critical, email.no_agents_critical) == (25, 100, False)
    assert rule.for_media(None) is rule


def test_an_email_at_an_hour_and_a_half_is_on_time_and_a_caller_at_8_43_is_not() -> None:
    inbox = mixed("in", "Inbox", email=live(1, 5567.0))
    phones = mixed("ph", "Phones", voice=live(1, 523.0))
    assert classify(inbox, Rule()) == {}
    assert judge(phones, Rule())["longest_wait_s"] == Breach(Level.CRITICAL, "voice")
    view = build_view([inbox, phones], Thresholds(), "", Sort())
    assert [row.key for row in view.rows] == ["ph", "in"], "the caller first"
    assert view.rows[1].cells["longest_wait_s"].shown == "1:32:47"


def test_a_queue_s_level_is_the_worst_of_its_media_levels_each_against_its_own() -> None:
    both = mixed("q", "Both", email=live(30, 5 * HOUR), voice=live(1, 30.0))
    breaches = judge(both, Rule())
    assert breaches["longest_wait_s"] == Breach(Level.WARN, "email")
    assert breaches["waiting"] == Breach(Level.WARN, "email"), "30 emails: a warning (25), not critical (15)"
    row = make_row(both, Thresholds())
    assert row.cells["longest_wait_s"].shown == "! 5:00:00 email", "the most urgent wait, and whose"
    assert row.cells["waiting"].shown == "! 31 email"


def test_the_longest_cell_sorts_by_how_far_each_wait_is_towards_its_own_critical() -> None:
    email_late = mixed("e", "E", email=live(1, 9 * HOUR))  # critical, 1.1x
    voice_late = mixed("v", "V", voice=live(1, 540.0))  # critical, 3x
    chat_warn = mixed("c", "C", chat=live(1, 150.0))  # warning
    calm = mixed("k", "K", voice=live(1, 50.0))
    view = build_view([calm, chat_warn, email_late, voice_late], Thresholds(), "", Sort())
    assert [row.key for row in view.rows] == ["v", "e", "c", "k"]
    assert [
        row.key
        for row in build_view(
            [calm, chat_warn, email_late, voice_late], Thresholds(), "", Sort().reversed()
        ).rows
    ] == ["k", "c", "e", "v"]
    assert most_urgent_wait(voice_late, Rule()).pressure == pytest.approx(3.0)


def test_a_blended_service_level_is_never_compared_with_one_media_type_s_target() -> None:
    returns = mixed("r", "Device Returns", email=sl(100, 0.97, 0.9), message=sl(12, 0.08, 0.8))
    # As Genesys gives it: a blend of both, with no target of its own.
    returns = replace(returns, today=Today(offered=112, answered=112, service_level=98 / 112, sl_target=None))
    breaches = judge(returns, Rule())
    assert breaches["service_level"] == Breach(Level.CRITICAL, "message")
    row = make_row(returns, Thresholds())
    assert row.cells["service_level"].shown == "‼ 87 msg", "the blend, and the media type that breaches"
    only_email = mixed("e", "Inbox", email=sl(100, 0.85, 0.9))
    assert judge(only_email, Rule())["service_level"] == Breach(Level.WARN, "email")
    assert make_row(only_email, Thresholds()).cells["service_level"].note == "", (
        "one media type: nothing to name"
    )


def test_not_responding_has_thresholds_of_its_own() -> None:
    def level(count: int) -> Level | None:
        stats = QueueStats(id="q", name="Q", agents=Agents(not_responding=count))
        return classify(stats, Rule()).get("not_responding")

    assert [level(n) for n in (0, 1, 2, 3)] == [None, Level.WARN, Level.WARN, Level.CRITICAL]
    assert (
        classify(QueueStats(id="q", name="Q", agents=Agents(not_responding=1)), Rule(not_responding_warn=2))
        == {}
    )


# --- config -----------------------------------------------------------------------------------------


def test_media_tables_and_media_overrides() -> None:
    thresholds = thresholds_from_config(
        {
            "thresholds": {
                "longest_wait_warn": 30,
                "media": {"email": {"longest_wait_warn": 3600, "longest_wait_critical": 7200}},
                "queue": [
                    {"match": "VIP*", "media": "voice", "longest_wait_warn": 10},
                    {"match": "Billing", "longest_wait_critical": 90000},
                ],
            }
        }
    )
    rule = thresholds.for_queue("Support")
    assert rule.for_media("voice").longest_wait_warn == 30, "the top-level figures are voice's"
    assert rule.for_media("chat").longest_wait_warn == 120, "chat keeps its own default"
    assert rule.for_media("email").longest_wait_warn == 3600
    vip = thresholds.for_queue("VIP line")
    assert vip.for_media("voice").longest_wait_warn == 10
    assert vip.for_media("email").longest_wait_warn == 3600, "an override for voice leaves email alone"
    billing = thresholds.for_queue("billing")
    assert billing.for_media("email").longest_wait_critical == 90000, "an override for all media: every one"
    assert billing.for_media("chat").longest_wait_critical == 90000


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"media": {"fax": {"waiting_warn": 1}}}, "thresholds.media.fax is not a media type"),
        ({"media": {"email": 5}}, "thresholds.media.email must be a table"),
        (
            {"media": {"email": {"longest_wait_warn": 9e4}}},
            "thresholds.media.email.longest_wait_warn must not be above",
        ),
        (
            {"media": {"chat": {"not_responding_warn": 2}}},
            "thresholds.media.chat.not_responding_warn is the queue's",
        ),
        ({"queue": [{"match": "a", "media": "fax"}]}, "thresholds.queue[1].media: unknown media type 'fax'"),
        ({"queue": [{"match": "a", "media": []}]}, "thresholds.queue[1].media must be a media type"),
        ({"not_responding_warn": 5}, "thresholds.not_responding_warn must not be above"),
    ],
)
def test_media_config_errors_name_the_key(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        thresholds_from_config({"thresholds": table})
    assert str(caught.value).startswith(message)


def test_the_available_column_key_still_loads_as_idle() -> None:
    assert [c.key for c in choose_columns(["name", "available"])] == ["name", "idle"]
    assert [c.header for c in choose_columns(["idle"])] == ["Queue", "Idle"]


# --- what the screen says ---------------------------------------------------------------------------


def test_hidden_breaches_are_counted_by_name_filter_and_by_media_type() -> None:
    phones = mixed("ph", "Phones", voice=live(1, 523.0))
    returns = mixed("r", "Device Returns", email=sl(100, 0.97, 0.9), message=sl(12, 0.08, 0.8))
    inbox = mixed("in", "Inbox", email=live(1, 60.0))
    queues = [phones, returns, inbox]
    assert build_view(queues, Thresholds(), "", Sort()).hidden_breaching == 0
    assert build_view(queues, Thresholds(), "inbox", Sort()).hidden_breaching == 2
    email = build_view(queues, Thresholds(), "", Sort(), media="email")
    assert sorted(row.key for row in email.rows) == ["in", "r"]
    assert email.hidden_breaching == 2, "Phones is not shown; Device Returns' breach is its message"


def test_totals_say_when_today_began_and_what_the_agents_sum_counts() -> None:
    both = mixed("q", "Both", email=live(30, 5 * HOUR), voice=live(1, 30.0))
    phones = mixed("ph", "Phones", voice=live(1, 523.0))
    view = build_view([both, phones], Thresholds(), "", Sort())
    parts = totals(view.queues, view.rows, "today since 00:00 America/Chicago")
    labels = [label for label, _ in parts]
    assert labels.index("today since 00:00 America/Chicago:") < labels.index("Offer")
    assert labels.index("agents counted once per queue:") == labels.index("Idle") - 1
    assert dict(parts)["Longest"] == "8:43", "the most urgent wait, not the longest email"
    assert (
        dict(totals([both], build_view([both], Thresholds(), "", Sort()).rows))["Longest"] == "5:00:00 email"
    )


def test_the_status_bar_counts_hidden_breaches() -> None:
    ready = PollStatus(
        label="demo",
        interval=5.0,
        connected=True,
        updated_at=10.0,
        updated_wall=datetime(2026, 3, 2, tzinfo=UTC),
    )
    assert describe(ready, 11.0, 3, 5, hidden_breaching=2).hidden == "2 breaching hidden"
    assert describe(ready, 11.0, 5, 5).hidden == ""


def test_routing_activity_without_entities_still_lists_members() -> None:
    now = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
    reply = {
        "results": [
            {
                "group": {"queueId": "q"},
                "data": [
                    {"metric": "oUserRoutingStatuses", "qualifier": "IDLE", "count": 1, "entityIds": ["a"]},
                    {
                        "metric": "oUserRoutingStatuses",
                        "qualifier": "NOT_RESPONDING",
                        "count": 1,
                        "entityIds": ["b"],
                    },
                ],
                "entities": [
                    {
                        "userId": "b",
                        "routingStatus": "NOT_RESPONDING",
                        "routingStatusDate": "2026-03-02T16:58:00.000Z",
                    }
                ],
            }
        ]
    }
    agents = parse_routing_activity(reply, now)["q"]
    assert [(a.user_id, a.status, a.seconds) for a in agents] == [
        ("a", "idle", None),
        ("b", "not_responding", 120.0),
    ]


def test_overrides_for_some_media_leave_the_queue_s_own_figures_alone() -> None:
    thresholds = Thresholds(overrides=(Override("*", {"waiting_warn": 1.0}, media=("email",)),))
    assert thresholds.for_queue("Any").waiting_warn == Rule().waiting_warn
    assert thresholds.for_queue("Any").for_media("email").waiting_warn == 1.0
