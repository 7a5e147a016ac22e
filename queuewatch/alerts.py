"""When to alert: a queue whose figures become critical, said once, with why.

Pure: no textual, no rich. ``Alerter.update(queues)`` is given every snapshot's queues and returns
the alerts to raise now. The first snapshot sets the baseline (what is already critical is on
screen, marked ``‼``); after that, a queue alerts when its figures become critical.

Each queue's figures are watched apart:

- the live figures (``LIVE_FIGURES``: waiting, longest wait, no agent idle while something
  waits, agents not responding) say what is happening now, and go up and down all day; they are
  watched together, as one (a crisis is one alert, however many of them it pushes over the line);
- each of today's figures (every other one: abandon rate, service level) is cumulative since
  midnight, and once past its line often stays there for the rest of the day; each is watched on
  its own, so one that has been bad since nine does not hide another crossing at noon.

A watch alerts when its level becomes critical, and then cannot alert again until it has been back
to OK (no warning either) for ``rearm_after`` consecutive snapshots, so a value hovering on the line
does not alert at every poll. No watch mutes another: a queue whose abandon rate has been critical
since nine still alerts when its live figures become critical, and again after they have recovered.
Figures that are unknown (their part failed) are not counted as OK. A muted queue never alerts, and
an episode that began while muted stays silent after unmuting. A queue that disappears is forgotten.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from queuewatch.columns import (
    ABANDON_RATE,
    COLUMNS,
    IDLE,
    LONGEST_WAIT,
    NOT_RESPONDING,
    SERVICE_LEVEL,
    WAITING,
)
from queuewatch.formatting import fmt_duration, fmt_percent, fmt_wait
from queuewatch.model import QueueStats
from queuewatch.thresholds import (
    Level,
    Rule,
    Thresholds,
    classify,
    judge,
    mixed_media,
    most_urgent_wait,
)

#: Consecutive OK snapshots a watch needs before it can alert again.
REARM_AFTER = 2

#: The figures (``classify`` keys) that say what is happening now; every other one is today's.
LIVE_FIGURES = frozenset(
    c.key for c in COLUMNS if c.threshold is not None and c.figures in ("live", "agents")
)

Figures = Literal["live", "today"]


def figures_of(key: str) -> Figures:
    """Which group a ``classify`` key belongs to: live, or today's (cumulative since midnight)."""
    return "live" if key in LIVE_FIGURES else "today"


@dataclass(frozen=True, slots=True)
class Alert:
    """A queue's live figures, or today's, have become critical: which, and why."""

    queue_id: str
    name: str
    reasons: tuple[str, ...]
    figures: Figures = "live"

    @property
    def message(self) -> str:
        """One line for a notification: ``Support EMEA critical: 16 waiting (≥ 15)``, or for
        today's figures ``Support EMEA critical today: abandon rate 12.0 % (≥ 10.0 %)``."""
        when = " today" if self.figures == "today" else ""
        return f"{self.name} critical{when}: {'; '.join(self.reasons)}"


def critical_reasons(stats: QueueStats, rule: Rule, keys: Collection[str] | None = None) -> tuple[str, ...]:
    """The critical figures of one queue in words, each with the threshold it crossed (its media
    type's, named when the queue's figure mixes several); only those among ``keys`` (``classify``
    keys) if given."""
    critical = {
        key: b
        for key, b in judge(stats, rule).items()
        if b.level is Level.CRITICAL and (keys is None or key in keys)
    }
    waiting_media, offered_media = mixed_media(stats)

    def named(media: str | None, mixed: list[str], words: str) -> str:
        return words.format(media) if media is not None and len(mixed) > 1 else ""

    reasons = []
    if LONGEST_WAIT in critical:
        urgent = most_urgent_wait(stats, rule)
        limit = fmt_duration(rule.for_media(urgent.media).longest_wait_critical)
        which = named(urgent.media, waiting_media, "{}, ")
        reasons.append(f"longest wait {fmt_wait(urgent.wait_s, urgent.exact)} ({which}≥ {limit})")
    if WAITING in critical:
        media = critical[WAITING].media
        count = stats.by_media[media].live.waiting if media is not None else stats.waiting
        which = named(media, waiting_media, "{} ")
        reasons.append(f"{count} {which}waiting (≥ {rule.for_media(media).waiting_critical:g})")
    if IDLE in critical:
        reasons.append("no agent idle")
    if NOT_RESPONDING in critical:
        count = stats.agents.not_responding
        reasons.append(f"{count} agents not responding (≥ {rule.not_responding_critical:g})")
    if ABANDON_RATE in critical:
        media = critical[ABANDON_RATE].media
        today = stats.by_media[media].today if media is not None else stats.today
        limit = fmt_percent(rule.for_media(media).abandon_rate_critical, 1)
        which = named(media, offered_media, " for {}")
        reasons.append(f"abandon rate{which} {fmt_percent(today.abandon_rate, 1)} % (≥ {limit} %)")
    if SERVICE_LEVEL in critical:
        media = critical[SERVICE_LEVEL].media
        today = stats.by_media[media].today if media is not None else stats.today
        default = rule.for_media(media).service_level_target
        target = today.sl_target if today.sl_target is not None else default
        which = named(media, offered_media, " for {}")
        reasons.append(f"service level{which} {fmt_percent(today.service_level)} % (target {target:.0%})")
    return tuple(reasons)


#: The watch of the live figures; each of today's figures is watched under its own ``classify`` key.
LIVE = "live"


def _known(stats: QueueStats, watch: str) -> bool:
    """Whether the watched figures came at all (a failed part leaves them unknown)."""
    if watch == LIVE:
        return stats.waiting is not None
    return stats.today.offered is not None or stats.today.service_level is not None


@dataclass(slots=True)
class _Watch:
    """One queue's live figures, or one of its today's: whether it may alert, how long it has been OK."""

    armed: bool
    ok_streak: int = 0


@dataclass(slots=True)
class _QueueState:
    watches: dict[str, _Watch]
    """``LIVE``, and each of today's figures that has ever breached (until then, it was OK)."""
    stats: QueueStats | None = None
    """The figures last classified: unchanged figures are not classified again."""
    levels: Mapping[str, Level] = field(default_factory=dict)
    settled: bool = False
    """Another snapshot with the same figures would change none of its watches (see ``_fixed``)."""


class Alerter:
    """Decides, snapshot by snapshot, which queues alert (see the module's docstring)."""

    def __init__(self, thresholds: Thresholds, rearm_after: int = REARM_AFTER) -> None:
        self.thresholds = thresholds
        self.rearm_after = rearm_after
        self.muted: set[str] = set()
        self._states: dict[str, _QueueState] = {}
        self._baseline_taken = False

    def toggle_mute(self, queue_id: str) -> bool:
        """Mute the queue, or unmute it if it was muted; True when it is now muted."""
        if queue_id in self.muted:
            self.muted.discard(queue_id)
            return False
        self.muted.add(queue_id)
        return True

    def update(self, queues: Iterable[QueueStats]) -> list[Alert]:
        """Take a snapshot's queues; the alerts to raise now, in the order the queues came (a
        queue's live figures before its today's)."""
        alerts = []
        states: dict[str, _QueueState] = {}
        for stats in queues:
            state = self._states.get(stats.id) or _QueueState(watches={LIVE: _Watch(self._baseline_taken)})
            if state.settled and state.stats is stats:
                # The same figures (the very object: the poller hands those over unchanged), and
                # no watch would move: at 5,000 queues most of them, every poll.
                states[stats.id] = state
                continue
            if state.stats is None or (state.stats is not stats and state.stats != stats):
                state.stats = stats
                state.levels = self._levels(stats)
            for key in state.levels:
                state.watches.setdefault(key, _Watch(self._baseline_taken))
            crossed = [
                key
                for key, watch in state.watches.items()
                if self._step(stats, key, watch, state.levels.get(key, Level.OK))
            ]
            state.settled = self._baseline_taken and all(
                self._fixed(stats, key, watch, state.levels.get(key, Level.OK))
                for key, watch in state.watches.items()
            )
            rule = self.thresholds.for_queue(stats.name) if crossed else None
            if rule is not None and LIVE in crossed:
                alerts.append(Alert(stats.id, stats.name, critical_reasons(stats, rule, LIVE_FIGURES)))
            if rule is not None and (today := [key for key in crossed if key != LIVE]):
                alerts.append(Alert(stats.id, stats.name, critical_reasons(stats, rule, today), "today"))
            states[stats.id] = state
        self._states = states
        self._baseline_taken = True
        return alerts

    def _levels(self, stats: QueueStats) -> dict[str, Level]:
        """The level of each watch that is not OK: the live figures' worst, and today's each."""
        levels: dict[str, Level] = {}
        for key, level in classify(stats, self.thresholds.for_queue(stats.name)).items():
            watch = LIVE if figures_of(key) == "live" else key
            levels[watch] = max(levels.get(watch, Level.OK), level)
        return levels

    def _fixed(self, stats: QueueStats, key: str, watch: _Watch, level: Level) -> bool:
        """True when ``_step`` at ``level`` again would change nothing that matters: critical and
        disarmed; a warning with its OK streak broken; OK and armed (its streak no longer counts),
        or OK but unknown."""
        if level is Level.CRITICAL:
            return not watch.armed and watch.ok_streak == 0
        if level is Level.OK:
            return watch.armed or not _known(stats, key)
        return watch.ok_streak == 0

    def _step(self, stats: QueueStats, key: str, watch: _Watch, level: Level) -> bool:
        """Move one watch on by a snapshot; True when it alerts now."""
        if not self._baseline_taken and level is not Level.CRITICAL:
            watch.armed = True
        if level is Level.CRITICAL:
            alert = watch.armed and stats.id not in self.muted
            watch.armed = False
            watch.ok_streak = 0
            return alert
        if level is Level.OK and not _known(stats, key):
            return False  # unknown (a failed part): no evidence it is back to OK
        if level is Level.OK:
            watch.ok_streak += 1
            if watch.ok_streak >= self.rearm_after:
                watch.armed = True
        else:
            watch.ok_streak = 0
        return False


def desktop_notification(message: str, *, tmux: bool = False) -> str:
    """The escape sequence that asks the terminal for a desktop notification (OSC 9).

    It travels with the screen, so it reaches the supervisor's own desktop over SSH too (iTerm2,
    kitty, WezTerm, foot, Windows Terminal show it; others ignore it). Control characters are
    dropped so the message cannot end the sequence early; inside tmux it is wrapped to pass through.
    """
    text = "".join(ch for ch in message if ch.isprintable())[:200]
    sequence = f"\x1b]9;{text}\x07"
    if tmux:
        return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    return sequence


#: How many of the worst queues a burst of alerts names.
BURST_NAMES = 3


def worst_first(alert: Alert, stats: QueueStats | None, rule: Rule) -> tuple[float, int, int, str]:
    """Sort key putting the worst of a burst first: the most urgent wait (past its critical
    threshold the furthest), then the most critical figures, then the most waiting."""
    if stats is None:
        return (0.0, -len(alert.reasons), 0, alert.name)
    rank = most_urgent_wait(stats, rule).rank
    return (-(rank or 0.0), -len(alert.reasons), -(stats.waiting or 0), alert.name)


def burst(alerts: Sequence[Alert], key: Callable[[Alert], Any]) -> tuple[str, str]:
    """One notification for alerts raised together: a title saying how many queues, and the
    worst few (by ``key``, smallest first) with why, one a line."""
    queues = list(dict.fromkeys(alert.queue_id for alert in alerts))
    named: dict[str, Alert] = {}
    for alert in sorted(alerts, key=key):
        if alert.queue_id not in named:
            named[alert.queue_id] = alert
        if len(named) == BURST_NAMES:
            break
    noun = "queue" if len(queues) == 1 else "queues"
    title = f"{len(queues)} {noun} became critical"
    lines = [_worst_reason(alert) for alert in named.values()]
    if len(queues) > len(named):
        lines.append(f"and {len(queues) - len(named)} more (n steps through them)")
    return title, "\n".join(lines)


def _worst_reason(alert: Alert) -> str:
    """``Support EMEA: 16 waiting …``: a queue of a burst in one short line (its first reason,
    without the threshold; ``…`` when there are more)."""
    when = " today" if alert.figures == "today" else ""
    reason = alert.reasons[0].split(" (")[0] if alert.reasons else "critical"
    more = " …" if len(alert.reasons) > 1 else ""
    return f"{alert.name}{when}: {reason}{more}"
