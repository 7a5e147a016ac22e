"""The simulator's Notifications API: channels, subscriptions, and WebSockets that publish queue events.

:class:`NotificationHub` is served by :class:`~queuewatch.simulator.server.SimulatorServer`: the
REST part on its HTTP port (through the same auth, faults and rate limit as every ``/api`` call),
the WebSockets on a second listener (``websockets``' threaded server) whose address the channel
reply gives as ``connectUri``.

Endpoints
    ``POST /api/v2/notifications/channels``                a channel: ``{id, connectUri, expires}``
    ``GET  /api/v2/notifications/channels``                the channels
    ``GET|PUT|POST|DELETE …/channels/{id}/subscriptions``  its topics (read, replace, add, clear)
    ``GET  /api/v2/notifications/availabletopics``         the topics offered, with schemas and permissions

As Genesys documents them: at most :attr:`NotificationSettings.max_topics` (1,000) topics per channel
(more: 400), :attr:`~NotificationSettings.max_channels` (20) channels (a 21st removes the oldest
without a connection, else the oldest used), one WebSocket per channel (a second connection drops
the first), a channel lives 24 hours, a heartbeat on ``channel.metadata`` every 30 s and a pong for
a ``{"message": "ping"}``, ``v2.system.socket_closing`` a minute before a maintenance close.

Events. Each queue topic gets an event when that queue's conversations change, at most one per
:attr:`~NotificationSettings.publish_every_s` (1 s), shaped as the SDK's
``V2QueueObservationObservationCountNotification`` (see ``queuewatch.events``)::

    {"topicName": "v2.analytics.queues.<id>.observations", "version": "2",
     "eventBody": {"results": [{"mediaType": "voice", "data": [
         {"metric": "oWaiting", "count": 2}, {"metric": "oInteracting", "count": 5},
         {"metric": "oAlerting", "count": 0},
         {"metric": "oLongestWaiting", "count": 2, "calculatedMetricValue": 1764412345678}]}]},
     "metadata": {"CorrelationId": "…"}}

Time. ``clock`` (monotonic seconds: heartbeats, the publishing rate, the closing grace) and
``wall_clock`` (Unix seconds: channel expiry) are injected; :meth:`NotificationHub.tick` does all
the timed work and runs every ``tick_s`` on a thread of its own, or only when a test calls it.

Faults (``POST /admin/notifications``, or :meth:`NotificationHub.set_faults`): ``silence_heartbeat``
(no heartbeat nor pong), ``mute_queues`` (stop publishing for these queue ids),
``refuse_channels`` (an HTTP status for every channel creation), ``longest_waiting_form``
(``"timestamp"`` or ``"duration"``). Actions: ``POST /admin/notifications/drop-sockets`` (close every
WebSocket's TCP connection, no close frame), ``/socket-closing`` (send ``v2.system.socket_closing``,
close after the grace), ``/expire-channels``, ``/heartbeat`` (one now), ``/send`` (a raw text
message to every socket: bad events on demand). ``GET /admin/notifications``: channels and faults.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from queuewatch.events import (
    METADATA_TOPIC,
    QUEUE_TOPIC,
    QUEUE_TOPIC_PERMISSION,
    SOCKET_CLOSING_TOPIC,
    queue_topic,
    topic_queue_id,
)
from queuewatch.simulator.engine import ContactCentre

#: websockets' own log of every connection opened and closed, kept out of the demo's log file.
_WS_LOG = logging.getLogger("queuewatch.simulator.websockets")
_WS_LOG.setLevel(logging.WARNING)

CHANNELS_PATH = "/api/v2/notifications/channels"
TOPICS_PATH = "/api/v2/notifications/availabletopics"
_SUBSCRIPTIONS_RE = re.compile(r"^/api/v2/notifications/channels/([0-9a-zA-Z-]+)/subscriptions$")
_CHANNEL_RE = re.compile(r"^/channels/([0-9a-zA-Z-]+)$")

#: The topics ``availabletopics`` lists besides the queue observation topic (never published here).
_OTHER_TOPICS: tuple[tuple[str, str, list[str]], ...] = (
    ("v2.routing.queues.{id}.conversations", "Conversations in a queue", ["routing:queue:view"]),
    ("v2.users.{id}.presence", "A user's presence", []),
)


@dataclass(frozen=True, slots=True)
class NotificationSettings:
    """Limits and timings; the defaults are Genesys's."""

    heartbeat_s: float = 30.0
    channel_ttl_s: float = 86_400.0
    max_channels: int = 20
    max_topics: int = 1000
    publish_every_s: float = 1.0
    """At most one event per topic per this many seconds."""
    closing_grace_s: float = 60.0
    """Seconds between ``v2.system.socket_closing`` and the close."""
    tick_s: float | None = 0.1
    """Seconds between ticks on the hub's own thread; None: only when ``NotificationHub.tick`` is called."""
    host: str = "127.0.0.1"
    port: int = 0


@dataclass
class NotificationFaults:
    """Faults of the notification service; all off by default."""

    silence_heartbeat: bool = False
    mute_queues: set[str] = field(default_factory=set)
    refuse_channels: int | None = None
    longest_waiting_form: str = "timestamp"

    def to_json(self) -> dict[str, Any]:
        return {
            "silence_heartbeat": self.silence_heartbeat,
            "mute_queues": sorted(self.mute_queues),
            "refuse_channels": self.refuse_channels,
            "longest_waiting_form": self.longest_waiting_form,
        }


@dataclass(frozen=True, slots=True)
class Answer:
    """A REST reply of the hub: ``status`` and a JSON body, or for an error its ``code`` and ``message``."""

    status: int
    body: Any = None
    code: str | None = None
    message: str = ""


@dataclass
class _Channel:
    id: str
    expires: float
    """Wall-clock seconds."""
    last_used: float
    topics: dict[str, None] = field(default_factory=dict)
    socket: ServerConnection | None = None
    last_heartbeat: float = 0.0
    closing_at: float | None = None


class NotificationHub:
    """Channels, subscriptions, WebSockets and the publisher (see the module docstring)."""

    def __init__(
        self,
        centre: ContactCentre,
        settings: NotificationSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        denied: Callable[[str], bool] = lambda permission: False,
        on_publish: Callable[[str, float, float], None] | None = None,
    ) -> None:
        self.centre = centre
        self.settings = settings or NotificationSettings()
        self.faults = NotificationFaults()
        self._clock = clock
        self._wall = wall_clock
        self._denied = denied
        self._on_publish = on_publish
        self._lock = threading.RLock()
        self._channels: dict[str, _Channel] = {}
        self._feed: dict[str, float] | None = None
        self._pending: dict[str, float] = {}
        self._last_published: dict[str, float] = {}
        self._last_body: dict[str, Any] = {}
        self._published = 0
        self._server: Server | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._tick_lock = threading.Lock()
        self._ws_port = 0

    # ----------------------------------------------------------------- lifecycle

    @property
    def ws_base(self) -> str:
        """``ws://host:port`` of the WebSocket listener (once started)."""
        return f"ws://{self.settings.host}:{self._ws_port}"

    def start(self) -> None:
        if self._server is not None:
            return
        self._feed = self.centre.open_change_feed()
        self._server = serve(
            self._handle,
            self.settings.host,
            self.settings.port,
            process_request=self._check_request,
            compression=None,
            ping_interval=None,
            max_size=64 * 1024,
            server_header=None,
            logger=_WS_LOG,
        )
        self._ws_port = int(self._server.socket.getsockname()[1])
        serving = threading.Thread(target=self._server.serve_forever, name="queuewatch-sim-ws", daemon=True)
        self._threads = [serving]
        if self.settings.tick_s is not None:
            self._threads.append(
                threading.Thread(target=self._tick_loop, name="queuewatch-sim-ticks", daemon=True)
            )
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stopping.set()
        server, self._server = self._server, None
        with self._lock:
            sockets = [c.socket for c in self._channels.values() if c.socket is not None]
            self._channels.clear()
        for socket in sockets:
            with contextlib.suppress(Exception):
                socket.close_socket()
        if server is not None:
            server.shutdown()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []
        if self._feed is not None:
            self.centre.close_change_feed(self._feed)
            self._feed = None

    def _tick_loop(self) -> None:
        assert self.settings.tick_s is not None
        while not self._stopping.wait(self.settings.tick_s):
            with contextlib.suppress(Exception):
                self.tick()

    # ----------------------------------------------------------------- REST

    def route(self, method: str, path: str, body: bytes) -> Answer | None:
        """Answer a ``/api/v2/notifications`` request; None if the path is not one of ours."""
        if path == TOPICS_PATH and method == "GET":
            return Answer(200, {"entities": self._available_topics()})
        if path == CHANNELS_PATH:
            if method == "POST":
                return self._create_channel()
            if method == "GET":
                with self._lock:
                    entities = [self._channel_json(c) for c in self._channels.values()]
                return Answer(200, {"entities": entities})
        match = _SUBSCRIPTIONS_RE.match(path)
        if match is None:
            return None
        existing = set(self.centre.queue_ids())
        with self._lock:
            channel = self._live_channel(match.group(1))
            if channel is None:
                return Answer(404, code="not.found", message=f"Channel {match.group(1)} was not found")
            channel.last_used = self._clock()
            if method == "GET":
                return Answer(200, {"entities": [self._topic_json(t, existing) for t in channel.topics]})
            if method == "DELETE":
                channel.topics.clear()
                return Answer(204)
            if method not in ("PUT", "POST"):
                return None
            try:
                wanted = _topic_list(body)
            except ValueError as error:
                return Answer(400, code="bad.request", message=str(error))
            topics = dict.fromkeys(wanted) if method == "PUT" else {**channel.topics, **dict.fromkeys(wanted)}
            entities = [self._topic_json(t, existing) for t in topics]
            permitted = [e["id"] for e in entities if e["state"] == "Permitted"]
            if len(permitted) > self.settings.max_topics:
                return Answer(
                    400,
                    code="bad.request",
                    message=f"A channel holds at most {self.settings.max_topics} topics; this request "
                    f"would give channel {channel.id} {len(permitted)}",
                )
            channel.topics = dict.fromkeys(permitted)
            return Answer(200, {"entities": entities})

    def _create_channel(self) -> Answer:
        refused = self.faults.refuse_channels
        if refused is not None:
            return Answer(refused, code="channel.refused", message="Channels cannot be created right now")
        now, wall = self._clock(), self._wall()
        evicted: ServerConnection | None = None
        with self._lock:
            self._expire(wall)
            if len(self._channels) >= self.settings.max_channels:
                idle = [c for c in self._channels.values() if c.socket is None]
                victim = min(idle or self._channels.values(), key=lambda c: c.last_used)
                del self._channels[victim.id]
                evicted = victim.socket
            channel = _Channel(
                id=str(uuid.uuid4()), expires=wall + self.settings.channel_ttl_s, last_used=now
            )
            self._channels[channel.id] = channel
            reply = self._channel_json(channel)
        if evicted is not None:
            _close(evicted, 1000, "channel removed: too many channels")
        return Answer(200, reply)

    def _channel_json(self, channel: _Channel) -> dict[str, Any]:
        expires = datetime.fromtimestamp(channel.expires, UTC).isoformat(timespec="milliseconds")
        return {
            "connectUri": f"{self.ws_base}/channels/{channel.id}",
            "id": channel.id,
            "expires": expires.replace("+00:00", "Z"),
        }

    def _topic_json(self, topic: str, existing: set[str]) -> dict[str, Any]:
        entity: dict[str, Any] = {"id": topic, "state": "Permitted"}
        queue_id = topic_queue_id(topic)
        if queue_id is None:
            entity.update(state="Rejected", rejectionReason="The topic is not offered")
        elif self._denied(QUEUE_TOPIC_PERMISSION):
            entity.update(
                state="Rejected",
                rejectionReason="Missing permissions",
                missingPermissions=[QUEUE_TOPIC_PERMISSION],
            )
        elif queue_id not in existing:
            entity.update(state="Rejected", rejectionReason="The queue was not found")
        return entity

    def _available_topics(self) -> list[dict[str, Any]]:
        topics = [
            {
                "id": QUEUE_TOPIC,
                "description": "Queue observations: conversations waiting, alerting and interacting "
                "per media type, and the longest wait",
                "requiresPermissions": [QUEUE_TOPIC_PERMISSION],
                "requiresDivisionPermissions": True,
                "visibility": "Public",
                "transports": ["Websocket"],
                "topicParameters": ["id"],
                "publicApiTemplateUriPaths": ["/api/v2/routing/queues/{id}"],
                "schema": _V2_SCHEMA,
            }
        ]
        for topic, description, permissions in _OTHER_TOPICS:
            topics.append(
                {
                    "id": topic,
                    "description": description,
                    "requiresPermissions": permissions,
                    "visibility": "Public",
                    "transports": ["Websocket"],
                    "topicParameters": ["id"],
                }
            )
        return topics

    def _live_channel(self, channel_id: str) -> _Channel | None:
        channel = self._channels.get(channel_id)
        if channel is not None and self._wall() >= channel.expires:
            return None
        return channel

    # ----------------------------------------------------------------- WebSockets

    def _check_request(self, connection: ServerConnection, request: Request) -> Response | None:
        match = _CHANNEL_RE.match(request.path)
        with self._lock:
            known = match is not None and self._live_channel(match.group(1)) is not None
        if not known:
            return connection.respond(404, "No such channel\n")
        return None

    def _handle(self, connection: ServerConnection) -> None:
        match = _CHANNEL_RE.match(connection.request.path if connection.request else "")
        if match is None:
            return
        with self._lock:
            channel = self._live_channel(match.group(1))
            if channel is None:
                return
            dropped, channel.socket = channel.socket, connection
            channel.last_used = channel.last_heartbeat = self._clock()
            channel.closing_at = None
        if dropped is not None:
            _close(dropped, 1000, "another connection to this channel")
        try:
            for message in connection:
                if _is_ping(message):
                    with self._lock:
                        silent = self.faults.silence_heartbeat
                    if not silent:
                        connection.send(_metadata("pong"))
        except (ConnectionClosed, WebSocketException, OSError):
            pass
        finally:
            with self._lock:
                if channel.socket is connection:
                    channel.socket = None
                    channel.last_used = self._clock()

    # ----------------------------------------------------------------- timed work

    def tick(self) -> None:
        """Expire channels, end closing grace periods, send heartbeats due, publish changes."""
        with self._tick_lock:
            now, wall = self._clock(), self._wall()
            to_close: list[tuple[ServerConnection, str]] = []
            heartbeats: list[ServerConnection] = []
            with self._lock:
                for channel in self._expire(wall):
                    if channel.socket is not None:
                        to_close.append((channel.socket, "channel expired"))
                for channel in self._channels.values():
                    if channel.closing_at is not None and now >= channel.closing_at and channel.socket:
                        to_close.append((channel.socket, "closing for maintenance"))
                        channel.closing_at = None
                    elif (
                        channel.socket is not None
                        and not self.faults.silence_heartbeat
                        and now - channel.last_heartbeat >= self.settings.heartbeat_s
                    ):
                        heartbeats.append(channel.socket)
                        channel.last_heartbeat = now
            for socket, reason in to_close:
                _close(socket, 1001, reason)
            beat = _metadata("WebSocket Heartbeat")
            for socket in heartbeats:
                _send(socket, beat)
            self._publish(now)

    def _expire(self, wall: float) -> list[_Channel]:
        expired = [c for c in self._channels.values() if wall >= c.expires]
        for channel in expired:
            del self._channels[channel.id]
        return expired

    def _publish(self, now: float) -> None:
        if self._feed is None:
            return
        for queue_id, at in self.centre.take_changes(self._feed).items():
            self._pending.setdefault(queue_id, at)
        with self._lock:
            listeners: dict[str, list[ServerConnection]] = {}
            for channel in self._channels.values():
                if channel.socket is None:
                    continue
                for topic in channel.topics:
                    listeners.setdefault(topic, []).append(channel.socket)
            muted = set(self.faults.mute_queues)
            form = self.faults.longest_waiting_form
        every = self.settings.publish_every_s
        due: list[str] = []
        for queue_id in list(self._pending):
            if queue_topic(queue_id) not in listeners or queue_id in muted:
                del self._pending[queue_id]
            elif now - self._last_published.get(queue_id, -1e18) >= every:
                due.append(queue_id)
        if not due:
            return
        activity = self.centre.activity(due)
        for queue_id in due:
            changed_at = self._pending.pop(queue_id)
            media = activity.get(queue_id)
            if media is None:
                continue
            body = event_body(media, form, self.centre.sim_time())
            if body == self._last_body.get(queue_id):
                continue
            topic = queue_topic(queue_id)
            text = json.dumps(
                {
                    "topicName": topic,
                    "version": "2",
                    "eventBody": body,
                    "metadata": {"CorrelationId": str(uuid.uuid4())},
                },
                separators=(",", ":"),
            )
            for socket in listeners[topic]:
                _send(socket, text)
            self._last_body[queue_id] = body
            self._last_published[queue_id] = now
            self._published += 1
            if self._on_publish is not None:
                self._on_publish(queue_id, changed_at, time.time())

    # ----------------------------------------------------------------- admin

    def set_faults(self, changes: Mapping[str, Any]) -> None:
        """Merge fault settings (keys of :class:`NotificationFaults`); ValueError for a bad one."""
        parsed: dict[str, Any] = {}
        for key, value in changes.items():
            if key == "silence_heartbeat":
                if not isinstance(value, bool):
                    raise ValueError("silence_heartbeat must be true or false")
            elif key == "mute_queues":
                if not isinstance(value, list | set | tuple) or not all(isinstance(v, str) for v in value):
                    raise ValueError("mute_queues must be a list of queue ids")
                value = set(value)
            elif key == "refuse_channels":
                if value is not None and (
                    isinstance(value, bool) or not isinstance(value, int) or not 400 <= value <= 599
                ):
                    raise ValueError("refuse_channels must be an HTTP error status (400-599) or null")
            elif key == "longest_waiting_form":
                if value not in ("timestamp", "duration"):
                    raise ValueError('longest_waiting_form must be "timestamp" or "duration"')
            else:
                raise ValueError(f"unknown notification fault {key!r}")
            parsed[key] = value
        with self._lock:
            for key, value in parsed.items():
                setattr(self.faults, key, value)

    def reset(self) -> None:
        with self._lock:
            self.faults = NotificationFaults()

    def drop_sockets(self) -> int:
        """Close every WebSocket's TCP connection at once (no close frame); how many there were."""
        sockets = self._sockets()
        for socket in sockets:
            with contextlib.suppress(Exception):
                socket.close_socket()
        return len(sockets)

    def socket_closing(self, grace_s: float | None = None) -> int:
        """Warn every WebSocket with ``v2.system.socket_closing``; close each after the grace."""
        grace = self.settings.closing_grace_s if grace_s is None else grace_s
        now = self._clock()
        with self._lock:
            sockets = []
            for channel in self._channels.values():
                if channel.socket is not None:
                    channel.closing_at = now + grace
                    sockets.append(channel.socket)
        text = json.dumps({"topicName": SOCKET_CLOSING_TOPIC, "eventBody": {"message": "Socket closing"}})
        for socket in sockets:
            _send(socket, text)
        return len(sockets)

    def expire_channels(self) -> int:
        """Every channel reaches its end now."""
        with self._lock:
            for channel in self._channels.values():
                channel.expires = self._wall()
            count = len(self._channels)
        self.tick()
        return count

    def heartbeat(self) -> int:
        """Send a heartbeat on every WebSocket now (unless heartbeats are silenced)."""
        with self._lock:
            if self.faults.silence_heartbeat:
                return 0
        sockets = self._sockets()
        for socket in sockets:
            _send(socket, _metadata("WebSocket Heartbeat"))
        return len(sockets)

    def send_raw(self, text: str) -> int:
        """Send ``text`` as it is on every WebSocket (bad events on demand)."""
        sockets = self._sockets()
        for socket in sockets:
            _send(socket, text)
        return len(sockets)

    def state(self) -> dict[str, Any]:
        """The channels (id, topics, connected, expires) and the faults, for tests and admin."""
        with self._lock:
            channels = [
                {
                    "id": c.id,
                    "topics": len(c.topics),
                    "connected": c.socket is not None,
                    "expires": c.expires,
                }
                for c in self._channels.values()
            ]
            return {"channels": channels, "faults": self.faults.to_json(), "published": self._published}

    def admin(self, method: str, path: str, payload: Mapping[str, Any]) -> Answer:
        """``/admin/notifications[/action]`` (see the module docstring)."""
        if path == "/admin/notifications":
            if method == "POST":
                try:
                    self.set_faults(payload)
                except ValueError as error:
                    return Answer(400, {"message": str(error)})
            return Answer(200, self.state())
        if method != "POST":
            return Answer(404, {"message": f"no admin endpoint {method} {path}"})
        action = path.removeprefix("/admin/notifications/")
        if action == "drop-sockets":
            return Answer(200, {"dropped": self.drop_sockets()})
        if action == "socket-closing":
            grace = payload.get("grace_s")
            if grace is not None and (
                isinstance(grace, bool) or not isinstance(grace, int | float) or grace < 0
            ):
                return Answer(400, {"message": "grace_s must be a number >= 0"})
            return Answer(200, {"warned": self.socket_closing(grace)})
        if action == "expire-channels":
            return Answer(200, {"expired": self.expire_channels()})
        if action == "heartbeat":
            return Answer(200, {"sent": self.heartbeat()})
        if action == "send":
            text = payload.get("text")
            if not isinstance(text, str):
                return Answer(400, {"message": 'send needs {"text": "..."}'})
            return Answer(200, {"sent": self.send_raw(text)})
        return Answer(404, {"message": f"no admin endpoint {method} {path}"})

    def _sockets(self) -> list[ServerConnection]:
        with self._lock:
            return [c.socket for c in self._channels.values() if c.socket is not None]


def event_body(media: Mapping[str, Mapping[str, Any]], longest_form: str, now: float) -> dict[str, Any]:
    """A queue's ``ContactCentre.activity`` as a ``V2QueueObservationObservationCountNotification``."""
    results = []
    for name, figures in media.items():
        data: list[dict[str, Any]] = [
            {"metric": metric, "count": figures[metric]}
            for metric in ("oWaiting", "oInteracting", "oAlerting")
        ]
        for metric, count_of, since in (
            ("oLongestWaiting", "oWaiting", figures["oldestWaiting"]),
            ("oLongestInteracting", "oInteracting", figures["oldestInteracting"]),
        ):
            if since is None:
                continue
            value = max(0, round((now - since) * 1000)) if longest_form == "duration" else round(since * 1000)
            data.append({"metric": metric, "count": figures[count_of], "calculatedMetricValue": value})
        results.append({"mediaType": name, "data": data})
    return {"results": results}


def _topic_list(body: bytes) -> list[str]:
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ValueError("The request body is not valid JSON") from None
    if not isinstance(data, list):
        raise ValueError('The request body must be a list of topics: [{"id": "..."}]')
    topics = []
    for item in data:
        topic = item.get("id") if isinstance(item, dict) else None
        if not isinstance(topic, str) or not topic:
            raise ValueError('Each topic must be an object with an "id"')
        topics.append(topic)
    return topics


def _is_ping(message: str | bytes) -> bool:
    try:
        data = json.loads(message)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(data, dict) and str(data.get("message", "")).lower() == "ping"


def _metadata(message: str) -> str:
    return json.dumps({"topicName": METADATA_TOPIC, "eventBody": {"message": message}})


def _send(socket: ServerConnection, text: str) -> None:
    with contextlib.suppress(ConnectionClosed, WebSocketException, OSError, RuntimeError):
        socket.send(text)


def _close(socket: ServerConnection, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        socket.close(code, reason)


#: The event schema ``availabletopics`` gives for the queue topic (the SDK model, as JSON Schema).
_V2_SCHEMA: dict[str, Any] = {
    "id": "urn:jsonschema:com:inin:analytics:V2QueueObservationObservationCountNotification",
    "type": "object",
    "title": "V2QueueObservationObservationCountNotification",
    "properties": {
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "title": "V2QueueObservationMetricCountGroup",
                "properties": {
                    "mediaType": {"type": "string"},
                    "data": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "title": "V2QueueObservationMetricCountData",
                            "properties": {
                                "metric": {
                                    "type": "string",
                                    "enum": [
                                        "oAlerting",
                                        "oInteracting",
                                        "oWaiting",
                                        "oFlow",
                                        "oLongestWaiting",
                                        "oLongestInteracting",
                                    ],
                                },
                                "count": {"type": "integer"},
                                "calculatedMetricValue": {"type": "integer"},
                            },
                        },
                    },
                },
            },
        }
    },
}
