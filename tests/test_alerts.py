"""Alerts: a queue that becomes critical is said once, with why; hysteresis and mute; live figures
and today's watched apart, so neither mutes the other."""

from __future__ import annotations

from typing import Any

from queuewatch.alerts import LIVE_FIGURES, Alerter, critical_reasons
from queuewatch.model import QueueStats
from queuewatch.thresholds import Override, Rule, Thresholds
from tests.fakes import queue

CALM = {"waiting": 1, "longest": 10.0}
WARN = {"waiting": 6, "longest": 70.0}
CRITICAL = {"waiting": 16, "longest": 70.0}


def support(**figures: Any) -> QueueStats:
    return queue("q-support", "Support EMEA", **figures)


def alerted(alerter: Alerter, *queues: QueueStats) -> list[str]:
    return [alert.queue_id for alert in alerter.update(queues)]


def test_a_queue_that_becomes_critical_alerts_once_with_why() -> None:
    alerter = Alerter(Thresholds())
    assert alerted(alerter, support(**CALM)) == []
    raised = alerter.update([support(**CRITICAL)])
    assert len(raised) == 1
    assert raised[0].message == "Support EMEA critical: 16 waiting (≥ 15)"
    assert alerted(alerter, support(**CRITICAL)) == [], "still critical: no second alert"


def test_queues_already_critical_at_the_first_snapshot_do_not_alert() -> None:
    alerter = Alerter(Thresholds())
    assert alerted(alerter, support(**CRITICAL), queue("q-calm", "Calm")) == []
    assert alerted(alerter, support(**CRITICAL)) == []


def test_a_queue_arriving_critical_after_the_first_snapshot_alerts() -> None:
    alerter = Alerter(Thresholds())
    alerted(alerter, queue("q-calm", "Calm"))
    assert alerted(alerter, queue("q-calm", "Calm"), support(**CRITICAL)) == ["q-support"]


def test_hovering_on_the_line_does_not_alert_again_and_again() -> None:
    alerter = Alerter(Thresholds(), rearm_after=2)
    alerted(alerter, support(**CALM))
    assert alerted(alerter, support(**CRITICAL)) == ["q-support"]
    assert alerted(alerter, support(**WARN)) == []
    assert alerted(alerter, support(**CRITICAL)) == [], "only a warning in between"
    assert alerted(alerter, support(**CALM)) == []
    assert alerted(alerter, support(**CRITICAL)) == [], "one OK snapshot is not enough"
    assert alerted(alerter, support(**CALM)) == []
    assert alerted(alerter, support(**CALM)) == []
    assert alerted(alerter, support(**CRITICAL)) == ["q-support"], "two OK snapshots re-arm it"


def test_unknown_figures_do_not_count_as_back_to_ok() -> None:
    alerter = Alerter(Thresholds(), rearm_after=2)
    alerted(alerter, support(**CALM))
    alerted(alerter, support(**CRITICAL))
    unknown = support(waiting=None, longest=None)
    for _ in range(3):
        assert alerted(alerter, unknown) == []
    assert alerted(alerter, support(**CRITICAL)) == []


def test_a_muted_queue_never_alerts_and_unmuting_does_not_replay_the_episode() -> None:
    alerter = Alerter(Thresholds(), rearm_after=1)
    alerted(alerter, support(**CALM))
    assert alerter.toggle_mute("q-support") is True
    assert alerted(alerter, support(**CRITICAL)) == []
    assert alerter.toggle_mute("q-support") is False
    assert alerted(alerter, support(**CRITICAL)) == [], "the episode began while muted"
    alerted(alerter, support(**CALM))
    assert alerted(alerter, support(**CRITICAL)) == ["q-support"]


def test_a_queue_that_leaves_is_forgotten() -> None:
    alerter = Alerter(Thresholds())
    alerted(alerter, support(**CALM))
    alerted(alerter, support(**CRITICAL))
    alerted(alerter, queue("q-other", "Other"))
    assert alerted(alerter, support(**CRITICAL)) == ["q-support"], "back as a new queue"


# --- live and today's figures, each on its own (issue 9, section 1) -----------------------------------

BAD_DAY = {"abandon_rate": 0.12, "abandoned": 12, "offered": 100}
"""Today's abandon rate at 12 %: past the critical line (10 %) since the morning."""
SWAMPED = {"waiting": 30, "longest": 720.0, "idle": 0}
"""30 waiting, the oldest for 12 minutes, nobody idle."""


def raised(alerter: Alerter, *queues: QueueStats) -> list[tuple[str, str]]:
    return [(alert.figures, alert.message) for alert in alerter.update(queues)]


def test_a_bad_day_does_not_mute_a_live_crisis() -> None:
    alerter = Alerter(Thresholds())
    assert raised(alerter, support(**CALM, **BAD_DAY)) == [], "critical today at start: on screen already"
    assert raised(alerter, support(**CALM, **BAD_DAY)) == []
    assert raised(alerter, support(**SWAMPED, **BAD_DAY)) == [
        ("live", "Support EMEA critical: longest wait 12:00 (≥ 3:00); 30 waiting (≥ 15); no agent idle")
    ]


def test_live_figures_re_arm_on_their_own_whatever_today_s_figures_say() -> None:
    alerter = Alerter(Thresholds(), rearm_after=2)
    raised(alerter, support(**CALM, **BAD_DAY))
    assert [f for f, _ in raised(alerter, support(**CRITICAL, **BAD_DAY))] == ["live"]
    assert raised(alerter, support(**CALM, **BAD_DAY)) == []
    assert raised(alerter, support(**CALM, **BAD_DAY)) == [], "recovered live: two OK snapshots"
    assert raised(alerter, support(waiting=40, longest=70.0, **BAD_DAY)) == [
        ("live", "Support EMEA critical: 40 waiting (≥ 15)")
    ]


def test_today_s_figures_alert_on_their_own_crossing_and_say_so() -> None:
    alerter = Alerter(Thresholds())
    raised(alerter, support(**CALM, abandon_rate=0.08))
    assert raised(alerter, support(**CALM, abandon_rate=0.11)) == [
        ("today", "Support EMEA critical today: abandon rate 11.0 % (≥ 10.0 %)")
    ]
    assert raised(alerter, support(**CALM, abandon_rate=0.12)) == [], "still past the line: said once"


def test_both_groups_crossing_at_once_make_two_alerts_live_first() -> None:
    alerter = Alerter(Thresholds())
    raised(alerter, support(**CALM))
    both = raised(alerter, support(**CRITICAL, service_level=0.5, sl_target=0.8))
    assert both == [
        ("live", "Support EMEA critical: 16 waiting (≥ 15)"),
        ("today", "Support EMEA critical today: service level 50 % (target 80%)"),
    ]


def test_a_live_crisis_does_not_mute_today_s_crossing() -> None:
    alerter = Alerter(Thresholds())
    raised(alerter, support(**CALM))
    assert [f for f, _ in raised(alerter, support(**CRITICAL))] == ["live"]
    assert [f for f, _ in raised(alerter, support(**CRITICAL, **BAD_DAY))] == ["today"]


def test_today_s_figures_re_arm_only_once_back_to_ok() -> None:
    alerter = Alerter(Thresholds(), rearm_after=2)
    raised(alerter, support(**CALM))
    assert len(raised(alerter, support(**CALM, **BAD_DAY))) == 1
    assert raised(alerter, support(**CALM, abandon_rate=0.06)) == [], "a warning does not re-arm"
    assert raised(alerter, support(**CALM, **BAD_DAY)) == []
    unknown_today = support(**CALM, offered=None, abandon_rate=None, service_level=None)
    for _ in range(3):
        assert raised(alerter, unknown_today) == [], "unknown is not OK"
    assert raised(alerter, support(**CALM, **BAD_DAY)) == []
    raised(alerter, support(**CALM))
    raised(alerter, support(**CALM))
    assert [f for f, _ in raised(alerter, support(**CALM, **BAD_DAY))] == ["today"]


def test_each_of_today_s_figures_crosses_on_its_own() -> None:
    alerter = Alerter(Thresholds())
    poor_service = {"service_level": 0.5, "sl_target": 0.8}
    raised(alerter, support(**CALM, **poor_service))
    assert raised(alerter, support(**CALM, **poor_service, abandon_rate=0.11)) == [
        ("today", "Support EMEA critical today: abandon rate 11.0 % (≥ 10.0 %)")
    ], "the service level past its line since the morning does not hide the abandon rate crossing"


def test_agents_not_responding_are_a_live_figure() -> None:
    alerter = Alerter(Thresholds(), rearm_after=1)
    raised(alerter, support(**CALM, **BAD_DAY))
    assert raised(alerter, support(**CALM, not_responding=1, **BAD_DAY)) == [], "one is a warning"
    assert raised(alerter, support(**CALM, not_responding=3, **BAD_DAY)) == [
        ("live", "Support EMEA critical: 3 agents not responding (≥ 3)")
    ]


def test_reasons_name_each_critical_figure_and_its_threshold() -> None:
    stats = queue(
        "q",
        "Support",
        waiting=16,
        longest=200.0,
        idle=0,
        abandon_rate=0.12,
        service_level=0.55,
        sl_target=0.8,
    )
    assert critical_reasons(stats, Rule()) == (
        "longest wait 3:20 (≥ 3:00)",
        "16 waiting (≥ 15)",
        "no agent idle",
        "abandon rate 12.0 % (≥ 10.0 %)",
        "service level 55 % (target 80%)",
    )
    assert critical_reasons(queue("q", "Calm", waiting=6, longest=70.0), Rule()) == ()
    assert critical_reasons(stats, Rule(), LIVE_FIGURES) == critical_reasons(stats, Rule())[:3]
    assert critical_reasons(stats, Rule(), {"service_level"}) == ("service level 55 % (target 80%)",)


def test_the_queue_s_own_rule_decides() -> None:
    thresholds = Thresholds(overrides=(Override("*vip*", {"waiting_critical": 3.0, "waiting_warn": 2.0}),))
    alerter = Alerter(thresholds)
    vip, other = queue("a", "VIP line", waiting=1), queue("b", "Other", waiting=1)
    alerted(alerter, vip, other)
    assert alerted(alerter, queue("a", "VIP line", waiting=4), queue("b", "Other", waiting=4)) == ["a"]


def test_desktop_notification_escape_cannot_be_broken_out_of() -> None:
    from queuewatch.alerts import desktop_notification

    sequence = desktop_notification("[VIP] Sales\x07\x1b]0;pwned\x07 critical")
    assert sequence == "\x1b]9;[VIP] Sales]0;pwned critical\x07"
    assert sequence.count("\x07") == 1 and sequence.count("\x1b") == 1
    wrapped = desktop_notification("Billing", tmux=True)
    assert wrapped == "\x1bPtmux;\x1b\x1b]9;Billing\x07\x1b\\"
    assert len(desktop_notification("x" * 500)) == len("\x1b]9;\x07") + 200
