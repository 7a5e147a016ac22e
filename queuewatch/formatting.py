"""How figures read: counts, durations, percentages. Unknown (None) reads as "–", never 0.

Pure; shared by the dashboard and ``queuewatch snapshot``'s table, so both say the same thing.
"""

from __future__ import annotations

import math

UNKNOWN = "–"
#: In front of a figure that is only a lower bound.
AT_LEAST = "≥"


def fmt_count(value: int | None) -> str:
    return UNKNOWN if value is None else str(value)


def fmt_duration(seconds: float | None) -> str:
    """``m:ss``, or ``h:mm:ss`` from an hour on; whole seconds, rounded down."""
    if seconds is None:
        return UNKNOWN
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def fmt_wait(seconds: float | None, exact: bool = True) -> str:
    """A longest wait: ``fmt_duration``, with ``≥`` in front when it is only a lower bound."""
    text = fmt_duration(seconds)
    return text if exact or seconds is None else f"{AT_LEAST}{text}"


def fmt_percent(rate: float | None, decimals: int = 0) -> str:
    """A 0-1 rate as a percentage, rounded down so a figure just under a threshold never looks on it."""
    if rate is None:
        return UNKNOWN
    scale = 10**decimals
    value = math.floor(rate * 100 * scale + 1e-9) / scale
    return f"{value:.{decimals}f}"
