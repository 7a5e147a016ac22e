"""What the queue detail screen says: one queue's figures as plain lines of text.

Pure: no widgets. ``detail_sections(stats, thresholds)`` gives (title, lines) sections, the summary
first (its first ``SUMMARY_SECTIONS``): the conversations now; the agents by routing status; today's
figures with the service level target. Then the conversations waiting, oldest first; (when they were
fetched) the agents in Not Responding, Off Queue and Idle one by one with how long; and the same
figures per media type, each judged by its own thresholds. Breaching figures carry the table's
marks. ``side_by_side`` lays the summary out in columns when they fit, so that at 80x24 it is all on
screen; ``trend_label`` says what a sparkline covers.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len, set_cell_size

from queuewatch.columns import (
    ABANDON_RATE,
    ABANDONED,
    AHT,
    ANSWERED,
    ASA,
    IDLE,
    INTERACTING,
    LONGEST_WAIT,
    NOT_RESPONDING,
    OFFERED,
    SERVICE_LEVEL,
    WAITING,
)
from queuewatch.formatting import fmt_count, fmt_duration, fmt_percent, fmt_wait
from queuewatch.model import AgentActivity, QueueStats
from queuewatch.present import MARKS, make_row
from queuewatch.thresholds import Level, Rule, Thresholds, judge, wait_level

Section = tuple[str, list[str]]

#: The first sections sum the queue up (now, agents, today): shown first, side by side when they fit.
SUMMARY_SECTIONS = 3
#: Spaces between the summary's columns.
COLUMN_GAP = 3


def _aligned(pairs: Sequence[tuple[str, str]]) -> list[str]:
    """``label  value`` lines, the labels left and the values right, as narrow as they can be."""
    label_width = max(cell_len(label) for label, _ in pairs) + 2
    value_width = max(cell_len(value) for _, value in pairs)
    return [f"{label:<{label_width}}{value:>{value_width}}" for label, value in pairs]


#: At most this many waiting conversations are listed; the rest are counted.
MAX_WAITING_LISTED = 50
#: At most this many agents are listed; the rest are counted.
MAX_AGENTS_LISTED = 50
#: The routing statuses whose agents are listed one by one, in this order, and their words.
AGENT_STATUSES_LISTED = {"not_responding": "not responding", "off_queue": "off queue", "idle": "idle"}


def _marked(text: str, level: Level) -> str:
    mark = MARKS[level]
    return f"{mark} {text}" if mark else text


def _waiting_lines(stats: QueueStats, rule: Rule) -> list[str]:
    if not stats.waiting_detail:
        if stats.waiting is None:
            return ["unknown"]
        if stats.waiting:
            return [f"{stats.waiting} waiting (no detail)"]
        return ["nobody waiting"]
    oldest_first = sorted(stats.waiting_detail, key=lambda w: -w[2])
    lines = [f"{'#':>3}  {'waited':>10}  media"]
    for n, (_, media, seconds) in enumerate(oldest_first[:MAX_WAITING_LISTED], start=1):
        waited = _marked(fmt_duration(seconds), wait_level(seconds, rule.for_media(media)))
        lines.append(f"{n:>3}  {waited:>10}  {media}")
    if len(oldest_first) > MAX_WAITING_LISTED:
        lines.append(f"     … and {len(oldest_first) - MAX_WAITING_LISTED} more")
    unlisted = (stats.waiting or 0) - len(oldest_first)
    if not stats.longest_wait_exact and unlisted > 0:
        lines.append(f"     … and {unlisted} more Genesys left out of its list (it was truncated)")
    return lines


def _agent_lines(stats: QueueStats, idle: str, not_responding: str) -> list[str]:
    agents = stats.agents
    pairs = [
        ("idle", idle),
        ("interacting", fmt_count(agents.interacting)),
        ("communicating", fmt_count(agents.communicating)),
        ("not responding", not_responding),
        ("off queue", fmt_count(agents.off_queue)),
        ("on queue", fmt_count(agents.on_queue)),
        ("members", fmt_count(stats.members)),
    ]
    return _aligned(pairs)


def _agents_one_by_one(agents: Sequence[AgentActivity] | None) -> list[str]:
    if agents is None:
        return ["asked for with the next update"]
    listed = [a for status in AGENT_STATUSES_LISTED for a in agents if a.status == status]
    if not listed:
        return ["nobody in these statuses"]
    listed.sort(key=lambda a: (list(AGENT_STATUSES_LISTED).index(a.status), -(a.seconds or 0.0)))
    lines = [f"{'status':<16}{'for':>8}  agent"]
    for agent in listed[:MAX_AGENTS_LISTED]:
        who = agent.name or agent.user_id
        since = fmt_duration(agent.seconds)
        lines.append(f"{AGENT_STATUSES_LISTED[agent.status]:<16}{since:>8}  {who}")
    if len(listed) > MAX_AGENTS_LISTED:
        lines.append(f"… and {len(listed) - MAX_AGENTS_LISTED} more")
    return lines


def _target(stats: QueueStats, rule: Rule) -> tuple[str, str]:
    if stats.today.sl_target is not None:
        return ("SL target", f"{stats.today.sl_target:.0%}")
    with_levels = [m for m, figures in stats.by_media.items() if figures.today.service_level is not None]
    if len(with_levels) > 1:
        return ("SL target", "per media type")  # each against its own, listed by media type below
    return ("default target", f"{rule.service_level_target:.0%}")


def _today_lines(stats: QueueStats, thresholds: Thresholds) -> list[str]:
    cells = make_row(stats, thresholds).cells
    pairs = [
        ("offered", cells[OFFERED].shown),
        ("answered", cells[ANSWERED].shown),
        ("abandoned", cells[ABANDONED].shown),
        ("abandon rate %", cells[ABANDON_RATE].shown),
        ("service level %", cells[SERVICE_LEVEL].shown),
        _target(stats, thresholds.for_queue(stats.name)),
        ("ASA", cells[ASA].shown),
        ("AHT", cells[AHT].shown),
    ]
    return _aligned(pairs)


_MEDIA_HEADER = (
    f"{'media':<9}{'Wait':>6}{'Longest':>11}{'Intr':>6}{'Offer':>7}{'Ans':>6}{'Abn':>6}"
    f"{'Ab%':>8}{'SL%':>6}{'target':>8}{'ASA':>9}{'AHT':>9}"
)


def _media_lines(stats: QueueStats, rule: Rule) -> list[str]:
    if not stats.by_media:
        return ["no figures per media type"]
    lines = [_MEDIA_HEADER]
    for media, figures in stats.by_media.items():
        live, today = figures.live, figures.today
        levels = {
            key: breach.level
            for key, breach in judge(
                QueueStats(id=stats.id, name=stats.name, by_media={media: figures}), rule
            ).items()
        }
        target = f"{today.sl_target:.0%}" if today.sl_target is not None else "–"
        longest = fmt_wait(live.longest_wait_s, live.longest_wait_exact)

        def marked(key: str, text: str, levels: dict[str, Level] = levels) -> str:
            return _marked(text, levels.get(key, Level.OK))

        lines.append(
            f"{media:<9}{marked(WAITING, fmt_count(live.waiting)):>6}"
            f"{marked(LONGEST_WAIT, longest):>11}"
            f"{fmt_count(live.interacting):>6}{fmt_count(today.offered):>7}{fmt_count(today.answered):>6}"
            f"{fmt_count(today.abandoned):>6}{marked(ABANDON_RATE, fmt_percent(today.abandon_rate, 1)):>8}"
            f"{marked(SERVICE_LEVEL, fmt_percent(today.service_level)):>6}{target:>8}"
            f"{fmt_duration(today.asa_s):>9}{fmt_duration(today.aht_s):>9}"
        )
    return lines


def detail_title(stats: QueueStats) -> str:
    """The screen's title: the queue's name, and its division when known."""
    return f"{stats.name} ({stats.division})" if stats.division else stats.name


def detail_sections(
    stats: QueueStats, thresholds: Thresholds, agents: Sequence[AgentActivity] | None = None
) -> list[Section]:
    """The detail screen's sections for one queue: (title, lines), plain text; the summary first.

    ``agents`` are the queue's agents one by one (None: not fetched yet).
    """
    rule = thresholds.for_queue(stats.name)
    cells = make_row(stats, thresholds).cells
    now = _aligned(
        [
            ("waiting", cells[WAITING].shown),
            ("longest wait", cells[LONGEST_WAIT].shown),
            ("interacting", cells[INTERACTING].shown),
            ("alerting", fmt_count(stats.alerting)),
        ]
    )
    return [
        ("Now", now),
        ("Agents", _agent_lines(stats, cells[IDLE].shown, cells[NOT_RESPONDING].shown)),
        ("Today", _today_lines(stats, thresholds)),
        ("Waiting, oldest first", _waiting_lines(stats, rule)),
        ("Not responding, off queue, idle: who, and for how long", _agents_one_by_one(agents)),
        ("By media type", _media_lines(stats, rule)),
    ]


#: A line of laid-out text: its pieces, each with whether it is a section title.
Line = list[tuple[str, bool]]


def side_by_side(sections: Sequence[Section], width: int, gap: int = COLUMN_GAP) -> list[Line]:
    """Sections as columns next to one another, as many as fit in ``width`` cells; those that do
    not fit go in a band below, after a blank line. Lines are indented by two under their title."""
    indented = [(title, [f"  {line}" for line in lines]) for title, lines in sections]
    widths = [max(cell_len(title), *(cell_len(line) for line in lines)) for title, lines in indented]
    bands: list[list[int]] = []
    used = 0
    for index, column_width in enumerate(widths):
        if bands and used + gap + column_width <= width:
            bands[-1].append(index)
            used += gap + column_width
        else:
            bands.append([index])
            used = column_width
    out: list[Line] = []
    for band in bands:
        if out:
            out.append([])
        height = max(len(indented[index][1]) for index in band)
        for y in range(height + 1):
            row: Line = []
            for index in band:
                title, lines = indented[index]
                text = title if y == 0 else (lines[y - 1] if y - 1 < len(lines) else "")
                if row:
                    row.append((" " * gap, False))
                row.append((text, y == 0))
                row.append((set_cell_size("", widths[index] - cell_len(text)), False))
            while row and not row[-1][0].strip():
                row.pop()
            out.append(row)
    return out


def fmt_span(seconds: float) -> str:
    """How long a trend covers: ``40 s``, ``12 min``."""
    if seconds < 60:
        return f"{round(seconds)} s"
    return f"{round(seconds / 60)} min"


def trend_label(what: str, points: Sequence[tuple[float, float]], duration: bool = False) -> str:
    """What a sparkline shows: the span its samples (``(at, value)``, oldest first) actually cover,
    the range and the latest value; fewer than two samples are not a trend yet."""
    if len(points) < 2:
        return f"{what}: not enough data yet"
    values = [value for _, value in points]
    fmt = fmt_duration if duration else (lambda v: f"{v:g}")
    span = fmt_span(points[-1][0] - points[0][0])
    return f"{what}, last {span}: {fmt(min(values))} to {fmt(max(values))}, now {fmt(values[-1])}"
