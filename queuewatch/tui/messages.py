"""The Textual message carrying the poller's events from its thread to the app.

The poller knows nothing of Textual; ``to_message`` wraps each of its events so the worker can
``post_message`` it (thread-safe, returns at once). A newer snapshot replaces an older one still
waiting in the queue, so the UI never falls behind.
"""

from __future__ import annotations

from textual.message import Message

from queuewatch.feed import AlertsReplayed, FeedEvent, ReplayMoved
from queuewatch.poller import PollerEvent, SnapshotReceived


class PollerReported(Message):
    """The poller connected, started a poll, received a snapshot, backed off, failed or rescheduled."""

    def __init__(self, event: PollerEvent) -> None:
        super().__init__()
        self.event = event

    def can_replace(self, message: Message) -> bool:
        """A snapshot replaces an older one still waiting; nothing else is ever dropped."""
        return (
            isinstance(self.event, SnapshotReceived)
            and isinstance(message, PollerReported)
            and isinstance(message.event, SnapshotReceived)
        )


class ReplayReported(Message):
    """A replay moved, or reached alerts recorded on the way (``queuewatch replay``)."""

    def __init__(self, event: AlertsReplayed | ReplayMoved) -> None:
        super().__init__()
        self.event = event


def to_message(event: FeedEvent) -> Message:
    if isinstance(event, AlertsReplayed | ReplayMoved):
        return ReplayReported(event)
    return PollerReported(event)
