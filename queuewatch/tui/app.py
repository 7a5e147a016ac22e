"""The queuewatch app: wiring of the poller, the keys that work on every screen, and the palette.

The dashboard screen (``dashboard.py``) holds the table and its keys; the detail screen its own.

The poller runs in a thread worker and reaches the app only through ``post_message``; the
source it builds (and the SDK that source imports) is created in that thread, after the first
paint. What the table shows comes from ``present.LiveView`` (kept up to date, not rebuilt, by each
snapshot, filter keystroke and sort); what the status bar says from
``status.describe``; which queues alert from ``alerts.Alerter``; the detail screen's trend from
``trends.Trends``.

An unexpected exception anywhere in the app (a handler, a widget, the poller's worker) would make
Textual print a traceback with every frame's local variables, the client secret among them. The
app hands it to ``on_crash`` instead (by default ``queuewatch.crash.report``: a redacted report
in a file, no locals) and exits with code 1 and ``crash_line``, the one line naming that file.
"""

from __future__ import annotations

import functools
import gc
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, tzinfo
from importlib.resources import files
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.console import Console, ConsoleOptions, RenderResult
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.theme import BUILTIN_THEMES
from textual.widgets import Input, Label
from textual.worker import WorkerFailed

import queuewatch
from queuewatch import crash
from queuewatch.alerts import Alert, Alerter, burst, desktop_notification, worst_first
from queuewatch.columns import TREND, choose_columns
from queuewatch.cpuwatch import CpuWatch
from queuewatch.export import ExportFormat, save_view
from queuewatch.feed import AlertsReplayed, Feed, FeedEvent, ReplayMoved
from queuewatch.model import Snapshot
from queuewatch.poller import Connected, Poller, PollerEvent, PollerSettings, SnapshotReceived
from queuewatch.present import DEFAULT_SORT, LiveView, Sort, View, next_media, step_breaching
from queuewatch.redact import unexpected
from queuewatch.source import QueueSource
from queuewatch.thresholds import Thresholds
from queuewatch.trends import Trends
from queuewatch.tui.dashboard import DashboardScreen
from queuewatch.tui.messages import PollerReported, to_message
from queuewatch.tui.screens import HelpScreen, QueueDetailScreen, help_sections
from queuewatch.tui.status import PollStatus, StatusParts, describe, stale_banner, stale_reason, stale_since
from queuewatch.tui.widgets import FilterInput, QueueTable, StatusBar, TotalsBar


def stylesheet_path() -> Path:
    """The app stylesheet: shipped inside the installed package, or at the top of a checkout."""
    shipped = files("queuewatch") / "queuewatch.tcss"
    if shipped.is_file():
        return Path(str(shipped))
    return Path(queuewatch.__file__).parent.parent / "queuewatch.tcss"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def theme_names() -> frozenset[str]:
    """The themes the dashboard can use (Textual's own)."""
    return frozenset(BUILTIN_THEMES)


class _Nothing:
    """A renderable that prints nothing."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from ()


class Crashed(Exception):
    """What the app exits with after an unexpected error: no traceback, no locals.

    Textual renders an exception that has ``__rich__`` through it instead of its traceback; this
    one renders as nothing, because Textual would crop the line at the terminal's width (and the
    path of the report with it). Whoever runs the app prints ``crash_line`` whole once it has
    exited (``queuewatch.cli.run_dashboard``).
    """

    def __init__(self, line: str, error: BaseException) -> None:
        super().__init__(line)
        self.line = line
        self.error = error

    def __rich__(self) -> _Nothing:
        return _Nothing()


class QueuewatchApp(App[None]):
    """Every queue, live: a table with thresholds, totals, and the poller's status.

    ``connect`` builds the source and runs in the poller's thread, never on the UI thread. Instead
    of it, ``feed(emit)`` may build another feed of the same events (``queuewatch.feed.Feed``: a
    collector's stream, a replay); the app runs either in its worker thread.
    ``clock``, ``wall_clock`` and ``wait`` are the poller's too (tests freeze them, or pass a fake
    clock's ``wait`` so that polls and backoffs follow it); ``tz`` is the zone times
    are shown in (None: the source's, whose midnight starts "today", once connected).
    ``on_event`` sees every poller event, in the poller's thread (for logging). ``theme`` is a
    Textual theme name. ``export_dir`` is where ``e`` and ``E`` write (default: the current
    directory); ``bell`` rings the terminal bell on alerts. ``on_crash(error, where)`` records an
    unexpected error and returns the line to exit with.
    """

    CSS_PATH = stylesheet_path()
    TITLE = "queuewatch"

    #: The keys that work on every screen; each screen has its own too (``DashboardScreen`` the
    #: table's, ``QueueDetailScreen`` its queue's). A binding with a tooltip is a palette command.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "pause", "Pause", tooltip="Stop polling"),
        Binding("p", "resume", "Resume", tooltip="Start polling again"),
        Binding("r", "refresh", "Refresh", tooltip="Poll Genesys Cloud right away"),
        Binding("plus", "slower", "Slower", key_display="+", tooltip="Poll one second less often"),
        Binding("minus", "faster", "Faster", key_display="-", tooltip="Poll one second more often"),
        Binding("e", "export('csv')", "Export", tooltip="The queues shown, in order, to a CSV file"),
        Binding(
            "E",
            "export('json')",
            "Export JSON",
            key_display="E",
            show=False,
            tooltip="The queues shown, in order, to a JSON file",
        ),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        *,
        connect: Callable[[], QueueSource] | None = None,
        feed: Callable[[Callable[[FeedEvent], None]], Feed] | None = None,
        label: str,
        poller_settings: PollerSettings,
        thresholds: Thresholds,
        initial_filter: str = "",
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = _utc_now,
        wait: Callable[[threading.Event, float], bool] = threading.Event.wait,
        tz: tzinfo | None = None,
        on_event: Callable[[PollerEvent], None] | None = None,
        theme: str | None = None,
        export_dir: Path | None = None,
        bell: bool = False,
        desktop_notify: bool = False,
        in_tmux: bool = False,
        pinned: Sequence[str] = (),
        columns: Sequence[str] = (),
        cpu_watch: bool = False,
        on_crash: Callable[[BaseException, str], str] = crash.report,
    ) -> None:
        super().__init__()
        self._on_crash = on_crash
        self.crash_line: str | None = None
        """The line the app exited with after an unexpected error (None if it did not)."""
        if theme:
            self.theme = theme
        self._on_event = on_event
        self.thresholds = thresholds
        self.snapshot: Snapshot | None = None
        """The latest snapshot applied to the table (None until the first arrives)."""
        self.filter = initial_filter
        self.pinned = tuple(pinned)
        """Queue name globs always shown at the top of the table."""
        self.columns = choose_columns(columns)
        """The table's columns, in order; all of them unless the config file chose."""
        chosen = [column.key for column in self.columns]
        self.sort = (
            DEFAULT_SORT if DEFAULT_SORT.column in chosen else Sort.by(chosen[min(1, len(chosen) - 1)])
        )
        self.media: str | None = None
        """The media type filter (None: every queue, all media)."""
        self.live_view = LiveView(thresholds, sort=self.sort, pattern=initial_filter, pinned=self.pinned)
        """What the table shows, kept up to date by each snapshot, keystroke and sort."""
        self.alerter = Alerter(thresholds)
        self.trends = Trends()
        self.export_dir = export_dir if export_dir is not None else Path.cwd()
        self.bell_on_alert = bell
        self.desktop_notify = desktop_notify
        """Also ask the terminal for a desktop notification on alerts (OSC 9)."""
        self._in_tmux = in_tmux
        self._clock = clock
        self._wall_clock = wall_clock
        self._tz = tz
        self._tz_from_source = tz is None
        self.today_zone: str | None = None
        """The zone whose midnight starts "today", as the source said when it connected."""
        self._status = PollStatus(label=label, interval=poller_settings.interval)
        self._gc_frozen = False
        self._totals_shown: tuple[int, str] | None = None
        self._view = View(rows=(), queues=(), total=0)
        self._stale_said = False
        """Going stale has been announced, and coming back has not yet."""
        self.poller: Feed
        """Where the snapshots come from: the ``Poller``, or another feed."""
        if feed is not None:
            self.poller = feed(self._emit)
        else:
            assert connect is not None, "the app needs connect or feed"
            self.poller = Poller(
                connect, self._emit, poller_settings, clock=clock, wall_clock=wall_clock, wait=wait
            )
        self.cpu_watch = CpuWatch(self.poller.state_line) if cpu_watch else None
        """Logs every thread's stack when the process spins (``QUEUEWATCH_CPU_WATCH``)."""

    @property
    def status(self) -> PollStatus:
        """The poller's state as the status bar shows it."""
        return self._status

    # --- layout and lifecycle ------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        return DashboardScreen(self.sort, self.columns, self.filter)

    def on_dashboard_screen_ready(self) -> None:
        """The table and the status bar are there: fill them, and start the poller."""
        self._show_status()
        self.set_interval(1.0, self._show_status)
        self._run_poller()
        if self.cpu_watch is not None:
            self.cpu_watch.start()

    def on_unmount(self) -> None:
        self.poller.stop()
        if self.cpu_watch is not None:
            self.cpu_watch.stop()
        gc.unfreeze()

    def _handle_exception(self, error: Exception) -> None:
        """An unhandled exception: a redacted report and one line, never Textual's traceback.

        Textual calls this for every unhandled exception (handlers, widgets, workers) and would
        render a traceback with local variables; an exception with ``__rich__`` is shown through
        it instead, so the app still exits the way Textual means it to, with code 1.
        """
        cause: BaseException = error.error if isinstance(error, WorkerFailed) else error
        if isinstance(cause, Crashed):
            super()._handle_exception(cause)
            return
        if self.crash_line is None:
            try:
                self.crash_line = self._on_crash(cause, "the dashboard")
            except Exception:  # noqa: BLE001 - the app must still exit with one line
                self.crash_line = f"queuewatch: {unexpected(cause)} (a bug in queuewatch)"
        super()._handle_exception(Crashed(self.crash_line, cause))

    @work(thread=True, exclusive=True, group="poller")
    def _run_poller(self) -> None:
        self.poller.run()

    def _emit(self, event: FeedEvent) -> None:
        """Called in the poller's thread: hand the event over, touch nothing."""
        if self._on_event is not None and not isinstance(event, AlertsReplayed | ReplayMoved):
            self._on_event(event)
        self.post_message(to_message(event))

    # --- poller events -------------------------------------------------------------------------------

    def _received(self, event: SnapshotReceived) -> None:
        snapshot = event.snapshot
        self.snapshot = snapshot
        now = self._clock()
        if self.poller.kind == "collector":  # its age is the collector's data's, not this screen's
            now -= max(0.0, (self._wall_clock() - snapshot.taken_at).total_seconds())
        self._status = self._status.after(event, now)
        self.trends.add(snapshot.taken_at, snapshot.queues)
        self._show_queues()
        self._show_detail()
        self._raise(self.alerter.update(snapshot.queues))
        if not self._gc_frozen:
            # Everything alive once the first data is on screen (the SDK, Textual, the first rows)
            # stays: left out of the cycle collector's full passes, which otherwise walk it all
            # every few refreshes (a pause of a tenth of a second at 5,000 queues).
            gc.freeze()
            self._gc_frozen = True

    def _raise(self, alerts: list[Alert]) -> None:
        """Notify the alerts of one snapshot: one alone as it is, a burst as one notification
        that says how many queues and names the worst; ring the bell once if asked."""
        if not alerts:
            return
        if len({alert.queue_id for alert in alerts}) == 1:
            for alert in alerts:
                self.notify(alert.message, title="alert", severity="error", timeout=15, markup=False)
            self._ring(alerts[0].message)
            return
        queues = {q.id: q for q in self.snapshot.queues} if self.snapshot is not None else {}
        rules = self.thresholds

        def key(alert: Alert) -> tuple[float, int, int, str]:
            return worst_first(alert, queues.get(alert.queue_id), rules.for_queue(alert.name))

        title, text = burst(alerts, key)
        self.notify(text, title=title, severity="error", timeout=15, markup=False)
        self._ring(title)

    def _ring(self, text: str, *, bell: bool = True) -> None:
        """The bell (if asked for, and ``bell``) and the desktop notification (if asked for)."""
        if bell and self.bell_on_alert:
            self.bell()
        if self.desktop_notify:
            self.notify_desktop(f"queuewatch: {text}")

    def notify_desktop(self, message: str) -> None:
        """Ask the terminal for a desktop notification (written the way ``App.bell`` writes BEL)."""
        if not self.is_headless and self._driver is not None:
            self._driver.write(desktop_notification(message, tmux=self._in_tmux))

    def on_poller_reported(self, message: PollerReported) -> None:
        event = message.event
        if isinstance(event, SnapshotReceived):
            self._received(event)
            return
        if isinstance(event, Connected) and event.timezone:
            self._use_zone(event.timezone)
        self._status = self._status.after(event, self._clock())
        self._show_status()

    def _use_zone(self, name: str) -> None:
        """The source's "today" zone: said in the totals, and the zone the clocks are shown in."""
        self.today_zone = name
        if self._tz_from_source:
            try:
                self._tz = ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                self._tz = None
        self._show_queues()

    @property
    def today_since(self) -> str:
        """``today since 00:00 Europe/London`` (empty until the source has said its zone)."""
        return f"today since 00:00 {self.today_zone}" if self.today_zone else ""

    # --- drawing -------------------------------------------------------------------------------------

    def _show_queues(self) -> None:
        """The latest snapshot (or mute) into the view: only the queues that changed cost anything."""
        if not self.is_running:
            return  # shutting down: a snapshot can still arrive while the widgets are being removed
        queues = self.snapshot.queues if self.snapshot is not None else ()
        trends = self.trends.waiting if any(c.key == TREND for c in self.columns) else None
        self.live_view.update(queues, self.alerter.muted, trends)
        self._show_view()

    def _show_view(self) -> None:
        """The view, as it stands, onto the table, the totals and the status bar."""
        self._view = self.live_view.view
        if not self.is_running:
            return  # shutting down: a snapshot can still arrive while the widgets are being removed
        live = self.live_view
        self.query_one(QueueTable).sync(self._view.rows, self.sort, live.widths, live.bare_widths, live.names)
        shown = (live.contents, self.today_since)
        if shown != self._totals_shown:  # the totals do not depend on the order of the rows
            self._totals_shown = shown
            self.query_one(TotalsBar).show(self._view, self.today_since)
        self._show_status()

    def _show_status(self) -> None:
        if not self.is_running:
            return  # shutting down: the 1 s timer can still fire while the widgets are being removed
        now = self._clock()
        self.query_one(StatusBar).show(self._status_parts(now))
        self._show_stale(now)

    def _status_parts(self, now: float) -> StatusParts:
        """What the status bar says at ``now``."""
        return describe(
            self._status,
            now,
            self._view.visible,
            self._view.total,
            self._tz,
            self._view.media,
            hidden_breaching=self._view.hidden_breaching,
        )

    def _show_stale(self, now: float) -> None:
        """Stale data looks stale (the table and totals dimmed, a banner saying since when and
        why), and going stale is said like an alert; coming back is said once."""
        since = stale_since(self._status, now, self._tz)
        stale = since is not None
        label = self.query_one("#stale-banner", Label)
        if stale:
            label.update(Content(stale_banner(self._status, now, self._tz)), layout=False)
        if label.display != stale:
            label.display = stale
            self.query_one(QueueTable).set_class(stale, "-stale")
            self.query_one(TotalsBar).set_class(stale, "-stale")
        if stale and not self._stale_said and self._status.overdue(now):
            self._stale_said = True
            text = f"data stale since {since}: {stale_reason(self._status)}"
            self.notify(text, title="stale", severity="error", timeout=15, markup=False)
            self._ring(text)
        elif not stale and self._stale_said and self._status.updated_wall is not None:
            self._stale_said = False
            when = self._status.updated_wall.astimezone(self._tz).strftime("%H:%M:%S")
            text = f"data fresh again: updated {when}"
            self.notify(text, timeout=8, markup=False)
            self._ring(text, bell=False)

    # --- filter and sort -----------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.filter = event.value
            self.live_view.set_pattern(event.value)
            self._show_view()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            event.input.display = bool(event.value)
            self.query_one(QueueTable).focus()

    def on_filter_input_cleared(self, event: FilterInput.Cleared) -> None:
        self.query_one(FilterInput).display = False
        self.query_one(QueueTable).focus()

    def on_queue_table_header_selected(self, event: QueueTable.HeaderSelected) -> None:
        column = event.column_key
        self._sort_by(self.sort.reversed() if column == self.sort.column else Sort.by(column))

    def _sort_by(self, sort: Sort) -> None:
        self.sort = sort
        self.live_view.set_sort(sort)
        self._show_view()

    # --- actions -------------------------------------------------------------------------------------

    def action_pause(self) -> None:
        self.poller.pause()
        self._paused(True)

    def action_resume(self) -> None:
        self.poller.resume()
        self._paused(False)

    def action_toggle_pause(self) -> None:
        if self.poller.paused:
            self.action_resume()
        else:
            self.action_pause()

    def _paused(self, paused: bool) -> None:
        self._status = self._status.with_paused(paused, self._clock())
        self.refresh_bindings()  # p says Pause, or Resume
        self._show_status()

    def action_refresh(self) -> None:
        """Poll now; while Genesys has asked to wait (429 Retry-After), say when instead."""
        at = self.poller.refresh_now()
        self._paused(False)
        if at is not None:
            wait = max(0.0, at - self._clock())
            when = (self._wall_clock() + timedelta(seconds=wait)).astimezone(self._tz).strftime("%H:%M:%S")
            text = f"Genesys asked to wait: refreshing at {when} (in {math.ceil(wait)} s)"
            self.notify(text, timeout=5, markup=False)

    def action_slower(self) -> None:
        self._set_interval(self.poller.interval + 1)

    def action_faster(self) -> None:
        self._set_interval(self.poller.interval - 1)

    def _set_interval(self, seconds: float) -> None:
        interval = self.poller.set_interval(seconds)
        self._status = replace(self._status, interval=interval)
        if self.poller.kind != "genesys":
            self.notify(f"the {self.poller.kind} sets the interval: every {interval:g} s", timeout=3)
        else:
            self.notify(f"polling every {interval:g} s", timeout=2)
        self._show_status()

    def sort_next(self) -> None:
        """Sort by the next column shown."""
        self._sort_by(self.sort.next([column.key for column in self.columns]))

    def sort_reverse(self) -> None:
        self._sort_by(self.sort.reversed())

    def step_breach(self, forward: bool) -> None:
        """The cursor to the next (or previous) queue in breach, in table order, wrapping round."""
        table = self.query_one(QueueTable)
        key = step_breaching(self._view.rows, table.cursor_key, forward)
        if key is None:
            self.notify("no queue shown is breaching", timeout=2)
            return
        table.go_to(key)

    def cycle_media(self) -> None:
        """The next media type filter: all, voice, chat, email, message, callback, all."""
        self.media = next_media(self.media)
        self.live_view.set_media(self.media)
        self._show_view()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pause":
            return not self.poller.paused
        if action == "resume":
            return self.poller.paused
        return True

    def toggle_mute(self, key: str) -> None:
        """Mute or unmute the alerts of one queue (``x``, on the table or the detail screen)."""
        muted = self.alerter.toggle_mute(key)
        queues = self.snapshot.queues if self.snapshot is not None else ()
        name = next((q.name for q in queues if q.id == key), key)
        self.notify(f"{name}: alerts {'muted' if muted else 'on'}", timeout=3, markup=False)
        self._show_queues()

    def action_export(self, fmt: ExportFormat = "csv") -> None:
        if self.snapshot is None:
            self.notify("nothing to export yet", severity="warning", timeout=3)
            return
        when = self._wall_clock().astimezone(self._tz)
        try:
            path = save_view(self.export_dir, self._view.ordered(), self.snapshot, fmt, when)
        except OSError as error:
            reason = error.strerror or str(error)
            where = error.filename or self.export_dir
            self.notify(f"export failed: {reason}: {where}", severity="error", timeout=10, markup=False)
            return
        self.notify(f"exported {self._view.visible} queues to {path}", timeout=6, markup=False)

    # --- the detail screen ---------------------------------------------------------------------------

    def on_queue_table_row_selected(self, event: QueueTable.RowSelected) -> None:
        self.open_detail(event.key)

    def open_detail(self, queue_id: str) -> None:
        """Show the detail screen of one queue (Enter on its row); while it is open, every poll
        also fetches that queue's agents one by one (one request more per poll)."""
        screen = QueueDetailScreen(queue_id)
        self.poller.watch_agents([queue_id])
        self.push_screen(screen, callback=lambda _: self.poller.watch_agents([]))
        self._show_detail(screen)

    def _show_detail(self, screen: QueueDetailScreen | None = None) -> None:
        if screen is None:
            screen = next((s for s in self.screen_stack if isinstance(s, QueueDetailScreen)), None)
        if screen is None:
            return
        queues = self.snapshot.queues if self.snapshot is not None else ()
        stats = next((q for q in queues if q.id == screen.queue_id), None)
        agents = self.snapshot.agent_activity.get(screen.queue_id) if self.snapshot is not None else None
        samples = self.trends.samples(screen.queue_id)
        screen.show(stats, self.thresholds, samples, agents=agents, today_since=self.today_since)

    def action_help(self) -> None:
        keys: list[tuple[str, str]] = []
        for binding in self._help_bindings():
            key = binding.key_display or binding.key
            if keys and keys[-1][0] == key == binding.key:  # p: Pause / Resume
                keys[-1] = (key, f"{keys[-1][1]} / {binding.description}")
            else:
                keys.append((key, binding.description))
        table_keys = [b for b in QueueTable.BINDINGS if isinstance(b, Binding) and b.description]
        moves = [(b.key_display or b.key, b.description) for b in table_keys]
        moves.append(("Enter", "the queue under the cursor in detail (Esc back)"))
        self.push_screen(HelpScreen(help_sections(keys, self.thresholds, self.sort, moves)))

    def _help_bindings(self) -> Iterable[Binding]:
        """The dashboard's keys and then the app's, quitting last, and what the palette and the
        filter add."""
        bindings = [
            binding
            for binding in (*DashboardScreen.BINDINGS, *type(self).BINDINGS)
            if isinstance(binding, Binding)
        ]
        yield from (binding for binding in bindings if not binding.action.endswith("quit"))
        yield from (binding for binding in bindings if binding.action.endswith("quit"))
        yield Binding("ctrl+p", "command_palette", "Command palette", key_display="ctrl+p")
        yield Binding("enter", "", "(in the filter) keep the filter, back to the table", key_display="Enter")
        yield Binding("escape", "", "(in the filter) clear the filter", key_display="Esc")

    async def action_quit(self) -> None:
        self.poller.stop()
        self.exit()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's own commands, and every key of the screen (and the app) that has a tooltip: the
        palette offers what the keys do, as the keys do it (pause or resume, whichever applies)."""
        yield from super().get_system_commands(screen)
        for namespace, binding, enabled, tooltip in screen.active_bindings.values():
            if enabled and tooltip:
                run = functools.partial(self.run_action, binding.action, namespace)
                yield SystemCommand(binding.description, tooltip, run)
