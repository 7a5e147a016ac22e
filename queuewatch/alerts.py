"""When to alert: a queue whose figures become critical, said once, with why.

Pure: no textual, no rich. ``Alerter.update(queues)`` is given every snapshot's queues and returns
the alerts to raise now. The first snapshot sets the baseline (what is already critical is on
screen, marked ``‼``); after that, a queue alerts when its worst level becomes critical.

Hysteresis: once a queue has alerted it cannot alert again until it has been back to OK (no
warning either) for ``rearm_after`` consecutive snapshots, so a value hovering on the line does not
alert at every poll; a queue whose live figures are unknown (its part failed) is not counted as
OK. A muted queue never alerts, and an episode that began while muted stays
silent after unmuting. A queue that disappears is forgotten.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from queuewatch.formatting import fmt_duration, fmt_percent, fmt_wait
from queuewatch.model import QueueStats
from queuewatch.thresholds import Level, Rule, Thresholds, classify, worst

#: Consecutive OK snapshots a queue needs before it can alert again.
REARM_AFTER = 2


@dataclass(frozen=True, slots=True)
class Alert:
    """A queue has become critical: its id and name, and the figures that are critical."""

    queue_id: str
    name: str
    reasons: tuple[str, ...]

    @property
    def message(self) -> str:
        """One line for a notification: ``Support EMEA critical: 16 waiting (≥ 15)``."""
        return f"{self.name} critical: {'; '.join(self.reasons)}"


def critical_reasons(stats: QueueStats, rule: Rule) -> tuple[str, ...]:
    """The critical figures of one queue in words, each with the threshold it crossed."""
    levels = classify(stats, rule)
    critical = {key for key, level in levels.items() if level is Level.CRITICAL}
    reasons = []
    if "longest_wait_s" in critical:
        limit = fmt_duration(rule.longest_wait_critical)
        reasons.append(f"longest wait {fmt_wait(stats.longest_wait_s, stats.longest_wait_exact)} (≥ {limit})")
    if "waiting" in critical:
        reasons.append(f"{stats.waiting} waiting (≥ {rule.waiting_critical:g})")
    if "available" in critical:
        reasons.append("nobody available")
    if "abandon_rate" in critical:
        rate = fmt_percent(stats.today.abandon_rate, 1)
        reasons.append(f"abandon rate {rate} % (≥ {fmt_percent(rule.abandon_rate_critical, 1)} %)")
    if "service_level" in critical:
        target = stats.today.sl_target if stats.today.sl_target is not None else rule.service_level_target
        reasons.append(f"service level {fmt_percent(stats.today.service_level)} % (target {target:.0%})")
    return tuple(reasons)


@dataclass(slots=True)
class _QueueState:
    armed: bool
    ok_streak: int = 0
    stats: QueueStats | None = None
    """The figures last classified, and their level: unchanged figures are not classified again."""
    level: Level = Level.OK


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
        """Take a snapshot's queues; the alerts to raise now, in the order the queues came."""
        alerts = []
        states: dict[str, _QueueState] = {}
        for stats in queues:
            state = self._states.get(stats.id) or _QueueState(armed=self._baseline_taken)
            if state.stats is None or state.stats != stats:
                state.stats = stats
                state.level = worst(classify(stats, self.thresholds.for_queue(stats.name)))
            level = state.level
            if not self._baseline_taken and level is not Level.CRITICAL:
                state.armed = True
            if level is Level.CRITICAL:
                if state.armed and stats.id not in self.muted:
                    reasons = critical_reasons(stats, self.thresholds.for_queue(stats.name))
                    alerts.append(Alert(stats.id, stats.name, reasons))
                state.armed = False
                state.ok_streak = 0
            elif level is Level.OK and stats.waiting is None:
                pass  # its live figures are unknown (a failed part): no evidence it is back to OK
            elif level is Level.OK:
                state.ok_streak += 1
                if state.ok_streak >= self.rearm_after:
                    state.armed = True
            else:
                state.ok_streak = 0
            states[stats.id] = state
        self._states = states
        self._baseline_taken = True
        return alerts


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
