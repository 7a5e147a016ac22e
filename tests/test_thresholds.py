"""Threshold rules: classify, per-queue overrides, and the [thresholds] config table."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from queuewatch.errors import ConfigError
from queuewatch.model import Agents, QueueStats, Today
from queuewatch.thresholds import Level, Override, Rule, Thresholds, classify, thresholds_from_config, worst


def stats(**fields: Any) -> QueueStats:
    today = Today(**fields.pop("today", {}))
    agents = Agents(**fields.pop("agents", {}))
    return QueueStats(id="q1", name=fields.pop("name", "Sales"), today=today, agents=agents, **fields)


RULE = Rule()


@pytest.mark.parametrize(
    ("longest", "expected"),
    [(None, None), (59.9, None), (60, Level.WARN), (179.9, Level.WARN), (180, Level.CRITICAL)],
)
def test_longest_wait_levels(longest: float | None, expected: Level | None) -> None:
    assert classify(stats(longest_wait_s=longest), RULE).get("longest_wait_s") == expected


@pytest.mark.parametrize(("waiting", "expected"), [(4, None), (5, Level.WARN), (15, Level.CRITICAL)])
def test_waiting_levels(waiting: int, expected: Level | None) -> None:
    assert classify(stats(waiting=waiting, agents={"idle": 3}), RULE).get("waiting") == expected


def test_waiting_with_nobody_available_is_critical() -> None:
    assert classify(stats(waiting=1, agents={"idle": 0}), RULE) == {"idle": Level.CRITICAL}
    assert classify(stats(waiting=0, agents={"idle": 0}), RULE) == {}
    assert classify(stats(waiting=1, agents={"idle": None}), RULE) == {}
    assert classify(stats(waiting=1, agents={"idle": 0}), Rule(no_agents_critical=False)) == {}


def test_a_queue_closed_for_the_night_is_not_critical() -> None:
    """Nobody on queue and nothing waiting, in any media type: nobody available is no breach."""
    from queuewatch.model import Live, MediaStats

    closed = {media: MediaStats(live=Live(waiting=0, longest_wait_s=0.0)) for media in ("voice", "email")}
    night = stats(waiting=0, agents={"idle": 0, "on_queue": 0, "off_queue": 12}, by_media=closed)
    assert classify(night, RULE) == {}
    calling = {**closed, "voice": MediaStats(live=Live(waiting=3, longest_wait_s=20.0))}
    morning = stats(waiting=3, agents={"idle": 0, "on_queue": 0}, by_media=calling)
    assert classify(morning, RULE)["idle"] is Level.CRITICAL, "something waits: nobody to take it"


@pytest.mark.parametrize(
    ("level", "target", "expected"),
    [
        (0.80, None, None),  # the default target is 80 %
        (0.79, None, Level.WARN),
        (0.59, None, Level.CRITICAL),
        (0.85, 0.90, Level.WARN),  # the queue's own target wins
        (0.69, 0.90, Level.CRITICAL),
        (0.95, 0.90, None),
    ],
)
def test_service_level_against_target(level: float, target: float | None, expected: Level | None) -> None:
    queue = stats(today={"service_level": level, "sl_target": target})
    assert classify(queue, RULE).get("service_level") == expected


@pytest.mark.parametrize(("rate", "expected"), [(0.049, None), (0.05, Level.WARN), (0.10, Level.CRITICAL)])
def test_abandon_rate_levels(rate: float, expected: Level | None) -> None:
    assert classify(stats(today={"abandon_rate": rate}), RULE).get("abandon_rate") == expected


@pytest.mark.parametrize(
    ("count", "expected"), [(None, None), (0, None), (1, Level.WARN), (2, Level.WARN), (3, Level.CRITICAL)]
)
def test_agents_not_responding_levels(count: int | None, expected: Level | None) -> None:
    assert classify(stats(agents={"not_responding": count}), RULE).get("not_responding") == expected


def test_unknown_values_never_breach() -> None:
    assert classify(stats(), RULE) == {}


def test_worst_of_levels() -> None:
    assert worst({}) is Level.OK
    assert worst({"waiting": Level.WARN, "idle": Level.CRITICAL}) is Level.CRITICAL
    assert worst([Level.WARN, Level.OK]) is Level.WARN


def test_overrides_first_match_wins_per_field_and_defaults_fill_the_rest() -> None:
    thresholds = Thresholds(
        overrides=(
            Override("*vip*", {"longest_wait_warn": 20.0}),
            Override("sales*", {"longest_wait_warn": 30.0, "longest_wait_critical": 90.0}),
        )
    )
    rule = thresholds.for_queue("Sales VIP")
    assert rule.longest_wait_warn == 20.0  # the first matching override
    assert rule.longest_wait_critical == 90.0  # the second one, for a field the first left alone
    assert rule.waiting_warn == Rule().waiting_warn  # the default
    assert thresholds.for_queue("Support") == Rule()
    assert classify(stats(name="[VIP] x", longest_wait_s=25), thresholds.for_queue("[VIP] x")) == {
        "longest_wait_s": Level.WARN
    }


def test_override_pattern_is_case_insensitive() -> None:
    assert Override("SALES*").matches("sales emea")
    assert not Override("Sales").matches("Sales EMEA")


def test_config_parses_defaults_and_overrides() -> None:
    data = {
        "thresholds": {
            "longest_wait_warn": 45,
            "abandon_rate_critical": 0.2,
            "no_agents_critical": False,
            "queue": [{"match": "Sales*", "longest_wait_warn": 30}],
        }
    }
    thresholds = thresholds_from_config(data)
    expected = Rule(longest_wait_warn=45, abandon_rate_critical=0.2, no_agents_critical=False)
    assert thresholds.default == expected
    assert thresholds.for_queue("sales emea").longest_wait_warn == 30
    assert thresholds.for_queue("sales emea").abandon_rate_critical == 0.2
    # The [thresholds] table on its own reads the same.
    assert thresholds_from_config(data["thresholds"]) == thresholds


def test_config_without_thresholds_is_the_defaults() -> None:
    assert thresholds_from_config({}) == Thresholds()
    assert thresholds_from_config({"thresholds": {}}) == Thresholds()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"longest_wait_warn": "1m"}, "thresholds.longest_wait_warn must be a number of seconds"),
        ({"waiting_warn": -1}, "thresholds.waiting_warn must be a number of conversations"),
        ({"abandon_rate_warn": 5}, "thresholds.abandon_rate_warn must be a fraction between 0 and 1"),
        ({"no_agents_critical": 1}, "thresholds.no_agents_critical must be true or false"),
        ({"longest_wait": 60}, "thresholds.longest_wait is not a threshold"),
        ({"waiting_warn": 20}, "thresholds.waiting_warn must not be above thresholds.waiting_critical"),
        ({"not_responding_warn": -1}, "thresholds.not_responding_warn must be a number of agents"),
        (
            {"not_responding_warn": 5},
            "thresholds.not_responding_warn must not be above thresholds.not_responding_critical",
        ),
        ({"queue": {"match": "x"}}, "thresholds.queue must be a list of tables"),
        ({"queue": [{"match": "a"}, {"longest_wait_warn": 5}]}, "thresholds.queue[2].match must be"),
        (
            {"queue": [{"match": "a"}, {"match": "b", "longest_wait_warn": True}]},
            "thresholds.queue[2].longest_wait_warn must be a number of seconds",
        ),
    ],
)
def test_config_errors_name_the_key(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        thresholds_from_config({"thresholds": table})
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_every_rule_field_is_a_config_key() -> None:
    keys = [f for f in fields(Rule) if f.name != "by_media"]
    table: dict[str, Any] = {f.name: (True if f.type == "bool" else 0.5) for f in keys}
    table["waiting_critical"] = table["longest_wait_critical"] = table["not_responding_critical"] = 1
    assert thresholds_from_config(table).default == Rule(**table)
