"""When a queue's figures deserve attention: threshold rules and ``classify``.

Pure: no textual, no rich. A value the API did not return (``None``) never breaches.

Each media type is judged by its own thresholds: an email that has waited an hour is on time, a
caller who has waited three minutes is not. A queue's level for a figure is the worst of its media
types' levels, each judged by that media type's rule; the breach says which media type it was
(``Breach.media``). A blend (the service level of voice and email together) is never compared with
one media type's target.

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
    no_agents_critical = true       # waiting > 0 with no idle agent is critical
    not_responding_warn = 1         # agents not responding (missed an offered conversation)
    not_responding_critical = 3

    [thresholds.media.email]        # one media type's own values (voice, chat, email, message,
    longest_wait_warn = 14400       # callback); the built-in ones are in MEDIA_DEFAULTS
    longest_wait_critical = 28800

    [[thresholds.queue]]            # per-queue overrides, tried in order
    match = "Sales*"                # glob on the queue name, case-insensitive
    media = ["voice"]               # optional: only these media types (default: all of them)
    longest_wait_warn = 30          # any key above; the first matching entry wins per key

For one queue and one media type, each value comes from the first of: a matching
``[[thresholds.queue]]`` entry (for that media type, or for all), ``[thresholds.media.<type>]``,
the built-in ``MEDIA_DEFAULTS`` of that type, the top of ``[thresholds]``, the ``Rule`` defaults.
So the top-level ``longest_wait_*`` are voice's and callback's: chat, message and email have
defaults of their own, changed in their own table.

Service level below the target is a warning; more than ``service_level_margin`` below it is critical.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any

from queuewatch.columns import (
    ABANDON_RATE,
    COLUMNS,
    IDLE,
    LONGEST_WAIT,
    NOT_RESPONDING,
    SERVICE_LEVEL,
    WAITING,
)
from queuewatch.errors import ConfigError
from queuewatch.model import MEDIA_TYPES, Live, QueueStats, Today

HOUR = 3600.0

#: Each media type's own defaults, where they differ from ``Rule``'s (which are voice's).
#:
#: - voice, callback: a person on the line (or promised a call back soon): seconds matter, 60/180.
#: - chat, message: a person typing in a window, who expects an answer within a few minutes;
#:   messaging is a little more patient than chat, but both abandon in minutes: 120/300.
#: - email: answered within hours by design, worked as a backlog: warn at 4 h, critical at 8 h (a
#:   working day). Tens of emails waiting is an ordinary morning (warn 25, critical 100), and an
#:   email waiting while every agent is busy is normal, not an emergency.
MEDIA_DEFAULTS: Mapping[str, Mapping[str, float | bool]] = {
    "voice": {},
    "callback": {},
    "chat": {"longest_wait_warn": 120.0, "longest_wait_critical": 300.0},
    "message": {"longest_wait_warn": 120.0, "longest_wait_critical": 300.0},
    "email": {
        "longest_wait_warn": 4 * HOUR,
        "longest_wait_critical": 8 * HOUR,
        "waiting_warn": 25.0,
        "waiting_critical": 100.0,
        "no_agents_critical": False,
    },
}


class Level(IntEnum):
    """How much a figure deserves attention; levels compare (``OK < WARN < CRITICAL``)."""

    OK = 0
    WARN = 1
    CRITICAL = 2


@dataclass(frozen=True, slots=True)
class Rule:
    """The thresholds in force for one queue. Rates are fractions (0-1), times seconds.

    The fields are the queue's own (and voice's); ``for_media`` gives one media type's rule.
    """

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
    """Agents in NOT_RESPONDING: they let an offered conversation ring out, and get no more until
    reset. Judged for the queue, not by media type (an agent serves all the queue's media)."""
    not_responding_critical: float = 3
    by_media: Mapping[str, Rule] = field(default_factory=dict)
    """Media types whose rule was set in the config (or by an override); others use MEDIA_DEFAULTS."""

    def for_media(self, media: str | None) -> Rule:
        """The rule for one media type (None: the queue's own, this one)."""
        if media is None:
            return self
        rule = self.by_media.get(media)
        if rule is not None:
            return rule
        defaults = MEDIA_DEFAULTS.get(media)
        return replace(self, **defaults) if defaults else self  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Override:
    """Some fields of a ``Rule`` for the queues whose name matches ``pattern`` (a glob), for the
    media types in ``media`` (empty: all of them)."""

    pattern: str
    values: Mapping[str, float | bool] = field(default_factory=dict)
    media: tuple[str, ...] = ()

    def matches(self, queue_name: str) -> bool:
        return fnmatch.fnmatchcase(queue_name.casefold(), self.pattern.casefold())

    def applies_to(self, media: str | None) -> bool:
        """Whether its values hold for ``media`` (None: the queue's own figures)."""
        return not self.media or (media is not None and media in self.media)


def _first_values(overrides: Iterable[Override], media: str | None) -> dict[str, float | bool]:
    values: dict[str, float | bool] = {}
    for override in overrides:
        if override.applies_to(media):
            for key, value in override.values.items():
                values.setdefault(key, value)
    return values


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The default rule (with its media types' rules) and the per-queue overrides, in order."""

    default: Rule = Rule()
    overrides: tuple[Override, ...] = ()

    def for_queue(self, name: str) -> Rule:
        """The rule for a queue: per field, the first matching override, else the default; and
        per media type the same, over that media type's own rule."""
        matching = [override for override in self.overrides if override.matches(name)]
        if not matching:
            return self.default
        general = _first_values(matching, None)
        by_media: dict[str, Rule] = {}
        for media in MEDIA_TYPES:
            values = _first_values(matching, media)
            base = self.default.for_media(media)
            by_media[media] = replace(base, **values) if values else base  # type: ignore[arg-type]
        return replace(self.default, **general, by_media=by_media)  # type: ignore[arg-type]


# --- judging ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Breach:
    """A figure past a threshold: how far (``level``) and which media type's figure it was (None:
    the queue's own figure, such as its agents, or a queue with no figures per media type)."""

    level: Level
    media: str | None = None


def _at_least(value: float | None, warn: float, critical: float) -> Level:
    if value is None:
        return Level.OK
    if value >= critical:
        return Level.CRITICAL
    if value >= warn:
        return Level.WARN
    return Level.OK


def _service_level(today: Today, rule: Rule) -> Level:
    value = today.service_level
    if value is None:
        return Level.OK
    target = today.sl_target if today.sl_target is not None else rule.service_level_target
    if value < target - rule.service_level_margin:
        return Level.CRITICAL
    if value < target:
        return Level.WARN
    return Level.OK


def _live_levels(live: Live, idle: int | None, rule: Rule) -> dict[str, Level]:
    levels = {
        WAITING: _at_least(live.waiting, rule.waiting_warn, rule.waiting_critical),
        LONGEST_WAIT: _at_least(live.longest_wait_s, rule.longest_wait_warn, rule.longest_wait_critical),
    }
    if rule.no_agents_critical and (live.waiting or 0) > 0 and idle == 0:
        levels[IDLE] = Level.CRITICAL
    return levels


def wait_level(seconds: float | None, rule: Rule) -> Level:
    """How long one conversation has waited, against ``rule`` (its media type's)."""
    return _at_least(seconds, rule.longest_wait_warn, rule.longest_wait_critical)


def _today_levels(today: Today, rule: Rule) -> dict[str, Level]:
    return {
        ABANDON_RATE: _at_least(today.abandon_rate, rule.abandon_rate_warn, rule.abandon_rate_critical),
        SERVICE_LEVEL: _service_level(today, rule),
    }


def _queue_live(stats: QueueStats) -> Live:
    return Live(waiting=stats.waiting, longest_wait_s=stats.longest_wait_s)


def live_media(stats: QueueStats) -> list[str]:
    """The media types whose live figures the queue's are made of (empty: judge the queue's own)."""
    return [media for media, figures in stats.by_media.items() if figures.live.waiting is not None]


def today_media(stats: QueueStats) -> list[str]:
    """The media types whose figures today's are made of (empty: judge the queue's own)."""
    return [media for media, figures in stats.by_media.items() if figures.today.offered is not None]


def mixed_media(stats: QueueStats) -> tuple[list[str], list[str]]:
    """The media types with conversations waiting now, and those offered any today: a figure made
    of two or more of them is a blend, and its breach must say which one breaches."""
    waiting = [m for m in live_media(stats) if (stats.by_media[m].live.waiting or 0) > 0]
    offered = [m for m in today_media(stats) if (stats.by_media[m].today.offered or 0) > 0]
    return waiting, offered


def _keep_worst(into: dict[str, Breach], levels: Mapping[str, Level], media: str | None) -> None:
    for key, level in levels.items():
        if level > Level.OK and (key not in into or level > into[key].level):
            into[key] = Breach(level, media)


def judge(stats: QueueStats, rule: Rule) -> dict[str, Breach]:
    """The breaching columns of one queue (keyed by column key): each one's level, and the media
    type whose figure breaches. Each media type is judged by its own rule (``rule.for_media``);
    a queue with no figures per media type is judged on its own figures by ``rule``."""
    breaches: dict[str, Breach] = {}
    idle = stats.agents.idle
    live = live_media(stats)
    if live:
        for media in live:
            levels = _live_levels(stats.by_media[media].live, idle, rule.for_media(media))
            _keep_worst(breaches, levels, media)
    else:
        _keep_worst(breaches, _live_levels(_queue_live(stats), idle, rule), None)
    today = today_media(stats)
    if today:
        for media in today:
            _keep_worst(breaches, _today_levels(stats.by_media[media].today, rule.for_media(media)), media)
    else:
        _keep_worst(breaches, _today_levels(stats.today, rule), None)
    not_responding = stats.agents.not_responding
    _keep_worst(
        breaches,
        {NOT_RESPONDING: _at_least(not_responding, rule.not_responding_warn, rule.not_responding_critical)},
        None,
    )
    return breaches


def classify(stats: QueueStats, rule: Rule) -> dict[str, Level]:
    """The breaching columns of one queue (keyed by column key), each with its level."""
    return {key: breach.level for key, breach in judge(stats, rule).items()}


def worst(levels: Mapping[str, Level] | Iterable[Level]) -> Level:
    """The highest level among ``levels`` (a ``classify`` result or plain levels); OK if none."""
    values = levels.values() if isinstance(levels, Mapping) else levels
    return max(values, default=Level.OK)


@dataclass(frozen=True, slots=True)
class Urgency:
    """The wait that matters most in a queue: its media type, how long, and how far it is towards
    its own media type's critical threshold (``pressure``: 1.0 is at it, 2.0 twice past it)."""

    media: str | None
    wait_s: float | None
    pressure: float | None
    level: Level = Level.OK
    exact: bool = True
    """False when ``wait_s`` is only a lower bound (Genesys truncated its list of waiting ones)."""

    @property
    def rank(self) -> float | None:
        """A number that sorts waits by urgency: the level first, then the pressure."""
        if self.pressure is None:
            return None
        return float(self.level) + self.pressure / (1.0 + self.pressure)


def _pressure(wait: float | None, critical: float) -> float | None:
    if wait is None:
        return None
    if critical <= 0:
        return math.inf if wait > 0 else 0.0
    return wait / critical


def most_urgent_wait(stats: QueueStats, rule: Rule) -> Urgency:
    """The longest wait of the media type whose wait is furthest towards (or past) its own critical
    threshold; the queue's own longest wait when it has no figures per media type."""
    live = live_media(stats)
    if not live:
        wait = stats.longest_wait_s
        level = _at_least(wait, rule.longest_wait_warn, rule.longest_wait_critical)
        pressure = _pressure(wait, rule.longest_wait_critical)
        return Urgency(None, wait, pressure, level, stats.longest_wait_exact)
    best: Urgency | None = None
    for media in live:
        media_rule = rule.for_media(media)
        figures = stats.by_media[media].live
        wait = figures.longest_wait_s
        level = _at_least(wait, media_rule.longest_wait_warn, media_rule.longest_wait_critical)
        pressure = _pressure(wait, media_rule.longest_wait_critical)
        urgency = Urgency(media, wait, pressure, level, figures.longest_wait_exact)
        if best is None or (urgency.rank or -1.0) > (best.rank or -1.0):
            best = urgency
    assert best is not None
    return best


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
#: Keys about the queue's agents, not about one media type's conversations.
QUEUE_ONLY_KEYS = frozenset({"not_responding_warn", "not_responding_critical"})


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
    where: str, table: Mapping[str, Any], allowed_extra: frozenset[str], *, media_only: bool = False
) -> dict[str, float | bool]:
    values: dict[str, float | bool] = {}
    for key, value in table.items():
        if key in allowed_extra:
            continue
        if key not in _NUMBER_KEYS and key not in _BOOL_KEYS:
            known = ", ".join(sorted([*_NUMBER_KEYS, *_BOOL_KEYS]))
            raise ConfigError(f"{where}.{key} is not a threshold (known: {known})")
        if media_only and key in QUEUE_ONLY_KEYS:
            raise ConfigError(f"{where}.{key} is the queue's, not a media type's: set it in [thresholds]")
        values[key] = _parse_value(where, key, value)
    return values


def _parse_media_names(where: str, value: Any) -> tuple[str, ...]:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ConfigError(f'{where}.media must be a media type or a list of them, such as ["voice"]')
    unknown = [name for name in names if name not in MEDIA_TYPES]
    if unknown:
        raise ConfigError(f"{where}.media: unknown media type {unknown[0]!r} (use {', '.join(MEDIA_TYPES)})")
    return tuple(dict.fromkeys(names))


def _parse_override(where: str, entry: Any) -> Override:
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where} must be a table ([[thresholds.queue]])")
    pattern = entry.get("match")
    if not isinstance(pattern, str) or not pattern.strip():
        raise ConfigError(f'{where}.match must be a queue name pattern such as "Sales*"')
    media = _parse_media_names(where, entry["media"]) if "media" in entry else ()
    values = _parse_values(where, entry, frozenset({"match", "media"}), media_only=bool(media))
    return Override(pattern=pattern, values=values, media=media)


def _check_order(where: str, rule: Rule) -> None:
    # Every column judged by a warn and a critical threshold.
    for column in COLUMNS:
        name = column.threshold
        if name is None or not hasattr(rule, f"{name}_warn"):
            continue
        if getattr(rule, f"{name}_warn") > getattr(rule, f"{name}_critical"):
            raise ConfigError(f"{where}.{name}_warn must not be above {where}.{name}_critical")


def _parse_media_tables(table: Any, default: Rule) -> dict[str, Rule]:
    if not isinstance(table, Mapping):
        raise ConfigError("thresholds.media must be a table of media types ([thresholds.media.email])")
    rules: dict[str, Rule] = {}
    for media, entry in table.items():
        where = f"thresholds.media.{media}"
        if media not in MEDIA_TYPES:
            raise ConfigError(f"{where} is not a media type (use {', '.join(MEDIA_TYPES)})")
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where} must be a table ([{where}])")
        values = _parse_values(where, entry, frozenset(), media_only=True)
        rule = replace(default.for_media(media), **values)  # type: ignore[arg-type]
        _check_order(where, rule)
        rules[media] = rule
    return rules


def thresholds_from_config(data: Mapping[str, Any]) -> Thresholds:
    """Thresholds from a parsed TOML config: its ``[thresholds]`` table, or the whole document
    (a mapping with a ``thresholds`` key).

    Overrides are numbered from 1 in messages: ``thresholds.queue[1]`` is the first entry.
    Raises ``ConfigError`` with a one-line message naming the offending key.
    """
    table = data.get("thresholds", data)
    if not isinstance(table, Mapping):
        raise ConfigError("thresholds must be a table ([thresholds])")
    top = _parse_values("thresholds", table, frozenset({"queue", "media"}))
    default = replace(Rule(), **top)  # type: ignore[arg-type]
    _check_order("thresholds", default)
    if "media" in table:
        default = replace(default, by_media=_parse_media_tables(table["media"], default))
    entries = table.get("queue", [])
    if not isinstance(entries, list):
        raise ConfigError("thresholds.queue must be a list of tables ([[thresholds.queue]])")
    overrides = tuple(
        _parse_override(f"thresholds.queue[{n}]", entry) for n, entry in enumerate(entries, start=1)
    )
    return Thresholds(default=default, overrides=overrides)
