"""Alerts: a queue that becomes critical is said once, with why; hysteresis and mute."""

from __future__ import annotations

from typing import Any

from queuewatch.alerts import Alerter, critical_reasons
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
        "nobody available",
        "abandon rate 12.0 % (≥ 10.0 %)",
        "service level 55 % (target 80%)",
    )
    assert critical_reasons(queue("q", "Calm", waiting=6, longest=70.0), Rule()) == ()


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
