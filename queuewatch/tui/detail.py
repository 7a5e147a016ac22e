"""What the queue detail screen says: one queue's figures as plain lines of text.

Pure: no widgets. ``detail_sections(stats, thresholds)`` gives (title, lines) sections: the
conversations waiting, oldest first; the agents by routing status; today's figures with the service
level target; and the same figures per media type. Breaching figures carry the table's marks.
"""

from __future__ import annotations

from queuewatch.formatting import fmt_count, fmt_duration, fmt_percent, fmt_wait
from queuewatch.model import QueueStats
from queuewatch.present import make_row
from queuewatch.thresholds import Thresholds

Section = tuple[str, list[str]]

#: At most this many waiting conversations are listed; the rest are counted.
MAX_WAITING_LISTED = 50


def _waiting_lines(stats: QueueStats) -> list[str]:
    if not stats.waiting_detail:
        if stats.waiting is None:
            return ["unknown"]
        if stats.waiting:
            return [f"{stats.waiting} waiting (no detail)"]
        return ["nobody waiting"]
    oldest_first = sorted(stats.waiting_detail, key=lambda w: -w[2])
    lines = [f"{'#':>3}  {'waited':>8}  media"]
    for n, (_, media, seconds) in enumerate(oldest_first[:MAX_WAITING_LISTED], start=1):
        lines.append(f"{n:>3}  {fmt_duration(seconds):>8}  {media}")
    if len(oldest_first) > MAX_WAITING_LISTED:
        lines.append(f"     … and {len(oldest_first) - MAX_WAITING_LISTED} more")
    unlisted = (stats.waiting or 0) - len(oldest_first)
    if not stats.longest_wait_exact and unlisted > 0:
        lines.append(f"     … and {unlisted} more Genesys left out of its list (it was truncated)")
    return lines


def _agent_lines(stats: QueueStats, available: str) -> list[str]:
    agents = stats.agents
    pairs = [
        ("available", available),
        ("interacting", fmt_count(agents.interacting)),
        ("communicating", fmt_count(agents.communicating)),
        ("not responding", fmt_count(agents.not_responding)),
        ("off queue", fmt_count(agents.off_queue)),
        ("on queue", fmt_count(agents.on_queue)),
        ("members", fmt_count(stats.members)),
    ]
    return [f"{label:<16}{value:>8}" for label, value in pairs]


def _target(stats: QueueStats, thresholds: Thresholds) -> str:
    if stats.today.sl_target is not None:
        return f"target {stats.today.sl_target:.0%}"
    return f"target {thresholds.for_queue(stats.name).service_level_target:.0%} (default)"


def _today_lines(stats: QueueStats, thresholds: Thresholds) -> list[str]:
    cells = make_row(stats, thresholds).cells
    pairs = [
        ("offered", cells["offered"].shown),
        ("answered", cells["answered"].shown),
        ("abandoned", cells["abandoned"].shown),
        ("abandon rate %", cells["abandon_rate"].shown),
        ("service level %", cells["service_level"].shown),
        ("ASA", cells["asa_s"].shown),
        ("AHT", cells["aht_s"].shown),
    ]
    lines = [f"{label:<16}{value:>8}" for label, value in pairs]
    lines[4] += f"   {_target(stats, thresholds)}"
    return lines


_MEDIA_HEADER = (
    f"{'media':<9}{'Wait':>6}{'Longest':>9}{'Intr':>6}{'Offer':>7}{'Ans':>6}{'Abn':>6}"
    f"{'Ab%':>7}{'SL%':>6}{'target':>8}{'ASA':>7}{'AHT':>7}"
)


def _media_lines(stats: QueueStats) -> list[str]:
    if not stats.by_media:
        return ["no figures per media type"]
    lines = [_MEDIA_HEADER]
    for media, figures in stats.by_media.items():
        live, today = figures.live, figures.today
        target = f"{today.sl_target:.0%}" if today.sl_target is not None else "–"
        longest = fmt_wait(live.longest_wait_s, live.longest_wait_exact)
        lines.append(
            f"{media:<9}{fmt_count(live.waiting):>6}{longest:>9}"
            f"{fmt_count(live.interacting):>6}{fmt_count(today.offered):>7}{fmt_count(today.answered):>6}"
            f"{fmt_count(today.abandoned):>6}{fmt_percent(today.abandon_rate, 1):>7}"
            f"{fmt_percent(today.service_level):>6}{target:>8}"
            f"{fmt_duration(today.asa_s):>7}{fmt_duration(today.aht_s):>7}"
        )
    return lines


def detail_title(stats: QueueStats) -> str:
    """The screen's title: the queue's name, and its division when known."""
    return f"{stats.name} ({stats.division})" if stats.division else stats.name


def detail_sections(stats: QueueStats, thresholds: Thresholds) -> list[Section]:
    """The detail screen's sections for one queue: (title, lines), plain text."""
    cells = make_row(stats, thresholds).cells
    now = [
        f"{'waiting':<16}{cells['waiting'].shown:>8}",
        f"{'longest wait':<16}{cells['longest_wait_s'].shown:>8}",
        f"{'interacting':<16}{cells['interacting'].shown:>8}",
        f"{'alerting':<16}{fmt_count(stats.alerting):>8}",
    ]
    return [
        ("Now", now),
        ("Waiting, oldest first", _waiting_lines(stats)),
        ("Agents", _agent_lines(stats, cells["available"].shown)),
        ("Today", _today_lines(stats, thresholds)),
        ("By media type", _media_lines(stats)),
    ]
