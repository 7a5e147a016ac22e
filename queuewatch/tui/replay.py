"""``queuewatch replay``: the same dashboard over a recording.

Every key of the dashboard works on the picture shown; and Space plays or pauses, ``.`` steps one
snapshot on, ``[``/``]`` jump a minute back or on, ``{``/``}`` ten minutes, ``t`` goes to a time.
The status bar says REPLAY, the recorded time and whether it plays. Alerts are those recorded,
shown as they were raised (``AlertsReplayed``) and never rung: no bell, no desktop notification.
Recorded data is old by nature, so it is never marked stale.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from queuewatch.alerts import Alert
from queuewatch.feed import AlertsReplayed, ReplayMoved, resolve_at
from queuewatch.feeds import ReplayFeed
from queuewatch.tui.app import QueuewatchApp
from queuewatch.tui.messages import ReplayReported
from queuewatch.tui.status import StatusParts


class GoToScreen(ModalScreen[str | None]):
    """Asks for a time to go to (``10:42``); Esc cancels."""

    DEFAULT_CSS = """
    GoToScreen { align: center middle; }
    GoToScreen > Label { width: 60; }
    GoToScreen > Input { width: 60; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        yield Label("go to (10:42, 10:42:30 or 2026-11-29 10:42), Enter to go, Esc to cancel")
        yield Input(placeholder="10:42", id="go-to")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReplayApp(QueuewatchApp):
    """The dashboard on a ``ReplayFeed``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *QueuewatchApp.BINDINGS,
        Binding("space", "play_pause", "Play/Pause", key_display="Space"),
        Binding("full_stop", "step", "Step", key_display="."),
        Binding("left_square_bracket", "jump(-60)", "-1 min", key_display="["),
        Binding("right_square_bracket", "jump(60)", "+1 min", key_display="]"),
        Binding("left_curly_bracket", "jump(-600)", "-10 min", key_display="{", show=False),
        Binding("right_curly_bracket", "jump(600)", "+10 min", key_display="}", show=False),
        Binding("t", "go_to", "Go to"),
    ]

    moved: ReplayMoved | None = None
    """Where the replay stands (None until it has shown a picture)."""

    @property
    def replay(self) -> ReplayFeed:
        feed = self.poller
        assert isinstance(feed, ReplayFeed), "the replay app runs on a ReplayFeed"
        return feed

    # --- events ----------------------------------------------------------------------------------

    def on_replay_reported(self, message: ReplayReported) -> None:
        event = message.event
        if isinstance(event, ReplayMoved):
            self.moved = event
            if event.note:
                self.notify(event.note, timeout=4, markup=False)
            self._status = self._status.with_paused(not event.playing, self._clock())
            self.refresh_bindings()
            self._show_status()
        else:
            self._show_recorded(event)

    def _show_recorded(self, event: AlertsReplayed) -> None:
        """Alerts as they were raised: shown, never rung."""
        when = event.at.astimezone(self._tz).strftime("%H:%M:%S")
        for alert in event.alerts[:3]:
            self.notify(
                alert.message, title=f"alert at {when} (recorded)", severity="error", timeout=10, markup=False
            )
        more = len(event.alerts) - 3
        if more > 0:
            self.notify(f"and {more} more alerts at {when}", severity="error", timeout=10, markup=False)

    def _raise(self, alerts: list[Alert]) -> None:
        """A replay does not judge again: the alerts are those recorded (``_show_recorded``)."""

    def _show_stale(self, now: float) -> None:
        """Recorded data is old by nature: never marked stale."""

    def _status_parts(self, now: float) -> StatusParts:
        parts = super()._status_parts(now)
        moved = self.moved
        if moved is None or moved.at is None:
            return replace(parts, label="REPLAY", stale=False, next="")
        at = moved.at.astimezone(self._tz)
        state = "▶ playing" if moved.playing else "⏸ paused"
        if moved.speed != 1:
            state += f" ×{moved.speed:g}"
        end = f" of {moved.end.astimezone(self._tz):%H:%M:%S}" if moved.end is not None else ""
        return replace(
            parts,
            label="REPLAY",
            updated=f"recorded {at:%a %d %b %H:%M:%S}{end}",
            stale=False,
            next=state,
        )

    # --- keys ------------------------------------------------------------------------------------

    def action_play_pause(self) -> None:
        if self.replay.paused:
            self.action_resume()
        else:
            self.action_pause()

    def action_step(self) -> None:
        self.replay.step()

    def action_jump(self, seconds: float) -> None:
        self.replay.jump(float(seconds))

    def action_go_to(self) -> None:
        self.push_screen(GoToScreen(), callback=self._go_to)

    def _go_to(self, text: str | None) -> None:
        if not text:
            return
        moved = self.moved
        if moved is None or moved.end is None or moved.start is None:
            self.notify("nothing recorded yet", severity="warning", timeout=3)
            return
        span = (int(moved.start.timestamp() * 1000), int(moved.end.timestamp() * 1000))
        try:
            when: datetime = resolve_at(text, span, self._tz)
        except ValueError as error:
            self.notify(str(error), severity="warning", timeout=5, markup=False)
            return
        self.replay.go_to(when)
