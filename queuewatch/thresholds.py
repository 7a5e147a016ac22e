"""When a queue's figures deserve attention: threshold rules and ``classify``.

Pure: no textual, no rich. A value the API did not return (``None``) never breaches.

Defaults, all overridable in the ``[thresholds]`` table of the config file::

    [thresholds]
    longest_wait_warn = 60          # seconds the oldest waiting conversation has waited
    longest_wait_critical = 180
    waiting_warn = 5                # conversations waiting
    waiting_critical = 15
    abandon_rate_warn = 0.05        # share (0-1) of today's offered conversations abandoned
    abandon_rate_critical = 0.10
    service_level_target = 0.8      # 0-1; used when the queue has no target of its own
    service_level_margin = 0.2      # how far below the target (0-1) is critical
    no_agents_critical = true       # waiting > 0 with no available (idle) agent is critical
    not_responding_warn = 1         # agents not responding (missed an offered conversation)
    not_responding_critical = 3

    [[thresholds.queue]]            # per-queue overrides, tried in order
    match = "Sales*"                # glob on the queue name, case-insensitive
    longest_wait_warn = 30          # any key above; the first matching entry wins per key

Service level below the target is a warning; more than ``service_level_margin`` below it is critical.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any

from queuewatch.errors import ConfigError
from queuewatch.model import QueueStats


class Level(IntEnum):
    """How much a figure deserves attention; levels compare (``OK < WARN < CRITICAL``)."""

    OK = 0
    WARN = 1
    CRITICAL = 2


@dataclass(frozen=True, slots=True)
class Rule:
    """The thresholds in force for one queue. Rates are fractions (0-1), times seconds."""

    longest_wait_warn: float = 60.0
    longest_wait_critical: float = 180.0
    waiting_warn: float = 5
    waiting_critical: float = 15
    abandon_rate_warn: float = 0.05
    abandon_rate_critical: float = 0.10
    service_level_target: float = 0.80
    """Used when the queue has no service level target of its own."""
    service_level_margin: float = 0.20
    no_agents_critical: bool = True
    not_responding_warn: float = 1
    """Agents in NOT_RESPONDING: they let an offered conversation ring out, and get no more until reset."""
    not_responding_critical: float = 3


@dataclass(frozen=True, slots=True)
class Override:
    """Some fields of a ``Rule`` for the queues whose name matches ``pattern`` (a glob)."""

    pattern: str
    values: Mapping[str, float | bool] = field(default_factory=dict)

    def matches(self, queue_name: str) -> bool:
        return fnmatch.fnmatchcase(queue_name.casefold(), self.pattern.casefold())


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The default rule and the per-queue overrides, in the order they were given."""

    default: Rule = Rule()
    overrides: tuple[Override, ...] = ()

    def for_queue(self, name: str) -> Rule:
        """The rule for a queue: per field, the first matching override, else the default."""
        values: dict[str, float | bool] = {}
        for override in self.overrides:
            if override.matches(name):
                for key, value in override.values.items():
                    values.setdefault(key, value)
        return replace(self.default, **values) if values else self.default  # type: ignore[arg-type]


def _at_least(value: float | None, warn: float, critical: float) -> Level:
    if value is None:
        return Level.OK
    if value >= critical:
        return Level.CRITICAL
    if value >= warn:
        return Level.WARN
    return Level.OK


def _service_level(stats: QueueStats, rule: Rule) -> Level:
    value = stats.today.service_level
    if value is None:
        return Level.OK
    target = stats.today.sl_target if stats.today.sl_target is not None else rule.service_level_target
    if value < target - rule.service_level_margin:
        return Level.CRITICAL
    if value < target:
        return Level.WARN
    return Level.OK


def classify(stats: QueueStats, rule: Rule) -> dict[str, Level]:
    """The breaching columns of one queue (keyed by column key), each with its level."""
    levels = {
        "waiting": _at_least(stats.waiting, rule.waiting_warn, rule.waiting_critical),
        "longest_wait_s": _at_least(stats.longest_wait_s, rule.longest_wait_warn, rule.longest_wait_critical),
        "abandon_rate": _at_least(
            stats.today.abandon_rate, rule.abandon_rate_warn, rule.abandon_rate_critical
        ),
        "service_level": _service_level(stats, rule),
        "not_responding": _at_least(
            stats.agents.not_responding, rule.not_responding_warn, rule.not_responding_critical
        ),
    }
    if rule.no_agents_critical and (stats.waiting or 0) > 0 and stats.available == 0:
        levels["available"] = Level.CRITICAL
    return {key: level for key, level in levels.items() if level > Level.OK}


def worst(levels: Mapping[str, Level] | Iterable[Level]) -> Level:
    """The highest level among ``levels`` (a ``classify`` result or plain levels); OK if none."""
    values = levels.values() if isinstance(levels, Mapping) else levels
    return max(values, default=Level.OK)


# --- config -----------------------------------------------------------------------------------------

_SECONDS = "a number of seconds"
_COUNT = "a number of conversations"
_AGENTS = "a number of agents"
_FRACTION = "a fraction between 0 and 1 (0.05 is 5 %)"

#: Config key -> what its value must be.
_NUMBER_KEYS: Mapping[str, str] = {
    "longest_wait_warn": _SECONDS,
    "longest_wait_critical": _SECONDS,
    "waiting_warn": _COUNT,
    "waiting_critical": _COUNT,
    "abandon_rate_warn": _FRACTION,
    "abandon_rate_critical": _FRACTION,
    "service_level_target": _FRACTION,
    "service_level_margin": _FRACTION,
    "not_responding_warn": _AGENTS,
    "not_responding_critical": _AGENTS,
}
_BOOL_KEYS = frozenset({"no_agents_critical"})


def _parse_value(where: str, key: str, value: Any) -> float | bool:
    if key in _BOOL_KEYS:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}.{key} must be true or false")
        return value
    what = _NUMBER_KEYS[key]
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (what == _FRACTION and value > 1):
        raise ConfigError(f"{where}.{key} must be {what}")
    return float(value)


def _parse_values(
    where: str, table: Mapping[str, Any], allowed_extra: frozenset[str]
) -> dict[str, float | bool]:
    values: dict[str, float | bool] = {}
    for key, value in table.items():
        if key in allowed_extra:
            continue
        if key not in _NUMBER_KEYS and key not in _BOOL_KEYS:
            known = ", ".join(sorted([*_NUMBER_KEYS, *_BOOL_KEYS]))
            raise ConfigError(f"{where}.{key} is not a threshold (known: {known})")
        values[key] = _parse_value(where, key, value)
    return values


def _parse_override(where: str, entry: Any) -> Override:
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where} must be a table ([[thresholds.queue]])")
    pattern = entry.get("match")
    if not isinstance(pattern, str) or not pattern.strip():
        raise ConfigError(f'{where}.match must be a queue name pattern such as "Sales*"')
    return Override(pattern=pattern, values=_parse_values(where, entry, frozenset({"match"})))


def _check_order(where: str, rule: Rule) -> None:
    pairs = [("longest_wait", rule.longest_wait_warn, rule.longest_wait_critical)]
    pairs += [("waiting", rule.waiting_warn, rule.waiting_critical)]
    pairs += [("abandon_rate", rule.abandon_rate_warn, rule.abandon_rate_critical)]
    pairs += [("not_responding", rule.not_responding_warn, rule.not_responding_critical)]
    for name, warn, critical in pairs:
        if warn > critical:
            raise ConfigError(f"{where}.{name}_warn must not be above {where}.{name}_critical")


def thresholds_from_config(data: Mapping[str, Any]) -> Thresholds:
    """Thresholds from a parsed TOML config: its ``[thresholds]`` table, or the whole document
    (a mapping with a ``thresholds`` key).

    Overrides are numbered from 1 in messages: ``thresholds.queue[1]`` is the first entry.
    Raises ``ConfigError`` with a one-line message naming the offending key.
    """
    table = data.get("thresholds", data)
    if not isinstance(table, Mapping):
        raise ConfigError("thresholds must be a table ([thresholds])")
    default = replace(Rule(), **_parse_values("thresholds", table, frozenset({"queue"})))  # type: ignore[arg-type]
    _check_order("thresholds", default)
    entries = table.get("queue", [])
    if not isinstance(entries, list):
        raise ConfigError("thresholds.queue must be a list of tables ([[thresholds.queue]])")
    overrides = tuple(
        _parse_override(f"thresholds.queue[{n}]", entry) for n, entry in enumerate(entries, start=1)
    )
    return Thresholds(default=default, overrides=overrides)
