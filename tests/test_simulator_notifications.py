"""The simulator's Notifications API over real HTTP (through the SDK) and real WebSockets.

Time that matters (heartbeats, the publishing rate, channel expiry, the closing grace) is on
clocks the tests move; the hub ticks only when a test calls ``tick()``.
"""

from __future__ import annotations

import json
import urllib.error
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import PureCloudPlatformClientV2 as pc
import pytest
from websockets.exceptions import ConnectionClosed, ConnectionClosedError, InvalidStatus

from queuewatch.errors import BadResponse, Unavailable
from queuewatch.events import QUEUE_TOPIC, QUEUE_TOPIC_PERMISSION, queue_topic
from queuewatch.genesys import GenesysSource
from queuewatch.simulator import ContactCentre, SimulatorServer
from queuewatch.simulator.notifications import NotificationSettings, event_body
from tests.conftest import call_admin
from tests.push_support import FakeClock, JsonReply, RawSocket, to_wire, wait_for

UNKNOWN_QUEUE = "00000000-0000-4000-8000-000000000000"
SourceFor = Callable[..., GenesysSource]


@dataclass
class Hub:
    server: SimulatorServer
    clock: FakeClock
    wall: FakeClock
    published: list[tuple[str, float, float]] = field(default_factory=list)
    sockets: list[RawSocket] = field(default_factory=list)

    def socket(self, uri: str) -> RawSocket:
        socket = RawSocket(uri)
        self.sockets.append(socket)
        return socket

    def tick(self, seconds: float = 0.0) -> None:
        self.clock.advance(seconds)
        self.server.notifications.tick()


def make_hub(centre: ContactCentre, **settings: Any) -> Iterator[Hub]:
    clock, wall = FakeClock(1_000.0), FakeClock(1_800_000_000.0)
    published: list[tuple[str, float, float]] = []
    with SimulatorServer(
        centre,
        notifications=NotificationSettings(tick_s=None, **settings),
        notification_clocks=(clock, wall),
        on_publish=lambda q, changed, at: published.append((q, changed, at)),
    ) as server:
        hub = Hub(server, clock, wall, published)
        yield hub
        for socket in hub.sockets:
            socket.close()


@pytest.fixture
def hub(centre: ContactCentre) -> Iterator[Hub]:
    yield from make_hub(centre)


def event_for(hub: Hub, socket: RawSocket, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """Tick (a second of the hub's clock at a time) until ``socket`` gets an event that matches."""
    found: list[dict[str, Any]] = []

    def arrived() -> bool:
        hub.tick(1.0)
        while not found:
            try:
                message = socket.next(timeout=0.05)
            except TimeoutError:
                return False
            if message.get("topicName", "").endswith(".observations") and predicate(message):
                found.append(message)
        return True

    wait_for(arrived, "an event", timeout=60)
    return found[0]


# --- REST ---------------------------------------------------------------------------------------------


def test_a_channel_has_a_websocket_address_and_lives_a_day(hub: Hub, source_for: SourceFor) -> None:
    channel = source_for(hub.server).create_channel()
    assert channel.connect_uri == f"{hub.server.notifications.ws_base}/channels/{channel.id}"
    assert channel.connect_uri.startswith("ws://127.0.0.1:")
    assert channel.expires_at == pytest.approx(hub.wall() + 86_400, abs=0.01)


def test_subscriptions_say_what_became_of_each_topic(hub: Hub, source_for: SourceFor) -> None:
    source = source_for(hub.server)
    queue = hub.server.centre.queue_ids()[0]
    channel = source.create_channel()
    topics = [queue_topic(queue), queue_topic(UNKNOWN_QUEUE), "v2.users.someone.presence"]
    states = source.subscribe(channel.id, topics)
    assert [(s.topic, s.permitted) for s in states] == [
        (topics[0], True),
        (topics[1], False),
        (topics[2], False),
    ]
    assert states[1].reason == "The queue was not found"
    hub.server.faults.update({"deny": [QUEUE_TOPIC_PERMISSION]})
    denied = source.subscribe(channel.id, topics[:1])
    assert not denied[0].permitted and denied[0].missing_permissions == (QUEUE_TOPIC_PERMISSION,)
    assert hub.server.notifications.state()["channels"][0]["topics"] == 0


def test_more_topics_than_a_channel_holds_is_a_400_in_genesys_shape(centre: ContactCentre) -> None:
    for hub in make_hub(centre, max_topics=10):
        client = pc.ApiClient(host=hub.server.base_url).get_client_credentials_token("id", "secret")
        api = pc.NotificationsApi(client)
        channel = api.post_notifications_channels()
        topics = []
        for queue in centre.queue_ids()[:11]:
            topic = pc.ChannelTopic()
            topic.id = queue_topic(queue)
            topics.append(topic)
        with pytest.raises(pc.rest.ApiException) as refused:
            api.put_notifications_channel_subscriptions(channel.id, topics)
        body = json.loads(refused.value.body)
        assert refused.value.status == 400
        assert set(body) >= {"message", "code", "status", "contextId"} and body["status"] == 400
        assert "at most 10 topics" in body["message"]
        assert api.put_notifications_channel_subscriptions(channel.id, topics[:10]).entities


def test_a_21st_channel_removes_the_oldest_one_without_a_connection(hub: Hub, source_for: SourceFor) -> None:
    source = source_for(hub.server)
    first = source.create_channel()
    hub.socket(first.connect_uri)
    wait_for(lambda: hub.server.notifications.state()["channels"][0]["connected"], "the first socket")
    made = [first]
    for _ in range(19):
        hub.clock.advance(1)
        made.append(source.create_channel())
    hub.clock.advance(1)
    made.append(source.create_channel())
    left = {c["id"] for c in hub.server.notifications.state()["channels"]}
    assert len(left) == 20
    assert first.id in left, "the connected channel stays"
    assert made[1].id not in left, "the oldest channel without a connection went"
    assert made[20].id in left


def test_available_topics_name_the_topic_its_schema_and_permission(hub: Hub, source_for: SourceFor) -> None:
    topics = {t.id: t for t in source_for(hub.server).available_topics()}
    assert topics[QUEUE_TOPIC].permissions == (QUEUE_TOPIC_PERMISSION,)
    assert topics[QUEUE_TOPIC].schema_title == "V2QueueObservationObservationCountNotification"


def test_refused_channels_and_admin_faults(hub: Hub, source_for: SourceFor) -> None:
    source = source_for(hub.server)
    state = call_admin(hub.server, "/admin/notifications", {"refuse_channels": 503})
    assert state["faults"]["refuse_channels"] == 503
    with pytest.raises(Unavailable):
        source.create_channel()
    call_admin(hub.server, "/admin/notifications", {"refuse_channels": 400})
    with pytest.raises(BadResponse) as refused:
        source.create_channel()
    assert refused.value.status == 400
    with pytest.raises(urllib.error.HTTPError) as bad:
        call_admin(hub.server, "/admin/notifications", {"refuse_channels": 200})
    assert bad.value.code == 400
    call_admin(hub.server, "/admin/reset")
    assert source.create_channel().id


# --- WebSockets -----------------------------------------------------------------------------------------


def test_events_deserialize_with_the_sdk_model_with_nothing_dropped(hub: Hub, source_for: SourceFor) -> None:
    source = source_for(hub.server)
    channel = source.create_channel()
    source.subscribe(channel.id, [queue_topic(q) for q in hub.server.centre.queue_ids()])
    socket = hub.socket(channel.connect_uri)

    def has_longest_wait(message: dict[str, Any]) -> bool:
        return any(
            d["metric"] == "oLongestWaiting" for r in message["eventBody"]["results"] for d in r["data"]
        )

    event = event_for(hub, socket, has_longest_wait)
    assert event["version"] == "2" and event["metadata"]["CorrelationId"]
    body = event["eventBody"]
    model = pc.ApiClient().deserialize(JsonReply(body), "V2QueueObservationObservationCountNotification")
    assert isinstance(model, pc.V2QueueObservationObservationCountNotification)
    assert to_wire(model) == body
    metrics = {d.metric for r in model.results for d in r.data}
    assert "outdated_sdk_version" not in metrics and {"oWaiting", "oLongestWaiting"} <= metrics
    queue_id = event["topicName"].split(".")[3]
    assert queue_id in hub.server.centre.queue_ids()


def test_at_most_one_event_per_queue_per_second(hub: Hub, source_for: SourceFor) -> None:
    source = source_for(hub.server)
    centre = hub.server.centre
    channel = source.create_channel()
    source.subscribe(channel.id, [queue_topic(q) for q in centre.queue_ids()])
    socket = hub.socket(channel.connect_uri)
    one = event_for(hub, socket, lambda m: True)
    sent: dict[str, Any] = {one["topicName"].split(".")[3]: one["eventBody"]}
    while True:
        try:
            message = socket.next(timeout=0.2)
        except TimeoutError:
            break
        sent[message["topicName"].split(".")[3]] = message["eventBody"]
    first = [p[0] for p in hub.published]
    bodies = {q: sent.get(q) for q in first}
    again: list[str] = []

    def changed() -> bool:
        hub.tick(0.0)  # the hub's clock stands still: a change must wait
        now = centre.activity(first)
        again.extend(q for q in first if event_body(now[q], "timestamp", centre.sim_time()) != bodies[q])
        return bool(again)

    wait_for(changed, "a published queue to change again", timeout=120)
    assert [p[0] for p in hub.published].count(again[0]) == 1, "not again within the second"
    hub.tick(1.0)
    assert [p[0] for p in hub.published].count(again[0]) == 2


def test_heartbeats_every_period_and_a_pong_for_a_ping(hub: Hub, source_for: SourceFor) -> None:
    channel = source_for(hub.server).create_channel()
    socket = hub.socket(channel.connect_uri)
    wait_for(lambda: hub.server.notifications.state()["channels"][0]["connected"], "the socket")
    hub.tick(29.9)
    hub.server.notifications.send_raw('{"marker": 1}')
    assert socket.next() == {"marker": 1}, "no heartbeat before the period"
    hub.tick(0.1)
    assert socket.next()["eventBody"] == {"message": "WebSocket Heartbeat"}
    socket.send({"message": "ping"})
    assert socket.next() == {"topicName": "channel.metadata", "eventBody": {"message": "pong"}}


def test_a_silenced_heartbeat_is_not_sent(hub: Hub, source_for: SourceFor) -> None:
    channel = source_for(hub.server).create_channel()
    socket = hub.socket(channel.connect_uri)
    wait_for(lambda: hub.server.notifications.state()["channels"][0]["connected"], "the socket")
    call_admin(hub.server, "/admin/notifications", {"silence_heartbeat": True})
    hub.tick(120)
    hub.server.notifications.send_raw('{"marker": 2}')
    assert socket.next() == {"marker": 2}


def test_a_second_connection_drops_the_first(hub: Hub, source_for: SourceFor) -> None:
    channel = source_for(hub.server).create_channel()
    first = hub.socket(channel.connect_uri)
    wait_for(lambda: hub.server.notifications.state()["channels"][0]["connected"], "the first socket")
    second = hub.socket(channel.connect_uri)
    with pytest.raises(ConnectionClosed):
        first.next()
    hub.tick(30)
    assert second.next()["topicName"] == "channel.metadata"


def test_a_channel_ends_after_a_day(hub: Hub, source_for: SourceFor) -> None:
    source = source_for(hub.server)
    channel = source.create_channel()
    socket = hub.socket(channel.connect_uri)
    wait_for(lambda: hub.server.notifications.state()["channels"][0]["connected"], "the socket")
    hub.wall.advance(86_400)
    hub.tick()
    with pytest.raises(ConnectionClosed):
        socket.next()
    with pytest.raises(BadResponse) as gone:
        source.subscribe(channel.id, [])
    assert gone.value.status == 404
    with pytest.raises(InvalidStatus):
        RawSocket(channel.connect_uri)


def test_socket_closing_warns_then_closes_after_the_grace(hub: Hub, source_for: SourceFor) -> None:
    channel = source_for(hub.server).create_channel()
    socket = hub.socket(channel.connect_uri)
    wait_for(lambda: hub.server.notifications.state()["channels"][0]["connected"], "the socket")
    assert call_admin(hub.server, "/admin/notifications/socket-closing", {"grace_s": 60}) == {"warned": 1}
    assert socket.next()["topicName"] == "v2.system.socket_closing"
    hub.tick(59)
    hub.server.notifications.send_raw('{"marker": 3}')
    assert _past_heartbeats(socket) == {"marker": 3}
    hub.tick(1)
    with pytest.raises(ConnectionClosed):
        socket.next()


def test_dropped_sockets_end_without_a_close_frame(hub: Hub, source_for: SourceFor) -> None:
    channel = source_for(hub.server).create_channel()
    socket = hub.socket(channel.connect_uri)
    wait_for(lambda: hub.server.notifications.state()["channels"][0]["connected"], "the socket")
    assert call_admin(hub.server, "/admin/notifications/drop-sockets") == {"dropped": 1}
    with pytest.raises(ConnectionClosedError):
        socket.next()


def test_a_muted_queue_gets_no_events(hub: Hub, source_for: SourceFor) -> None:
    source = source_for(hub.server)
    queues = hub.server.centre.queue_ids()
    channel = source.create_channel()
    source.subscribe(channel.id, [queue_topic(q) for q in queues])
    hub.socket(channel.connect_uri)
    wait_for(lambda: hub.server.notifications.state()["channels"][0]["connected"], "the socket")
    muted = set(queues[::2])
    call_admin(hub.server, "/admin/notifications", {"mute_queues": sorted(muted)})

    def published() -> bool:
        hub.tick(1.0)
        return len(hub.published) >= 5

    wait_for(published, "events of the other queues", 120)
    assert not {p[0] for p in hub.published} & muted


def _past_heartbeats(socket: RawSocket) -> dict[str, Any]:
    """The next message that is not a heartbeat."""
    while True:
        message = socket.next()
        if message.get("topicName") != "channel.metadata":
            return message


def test_longest_waiting_can_come_as_a_duration(hub: Hub, source_for: SourceFor) -> None:
    source = source_for(hub.server)
    channel = source.create_channel()
    source.subscribe(channel.id, [queue_topic(q) for q in hub.server.centre.queue_ids()])
    socket = hub.socket(channel.connect_uri)
    hub.server.notifications.set_faults({"longest_waiting_form": "duration"})

    def longest(message: dict[str, Any]) -> list[int]:
        return [
            d["calculatedMetricValue"]
            for r in message["eventBody"]["results"]
            for d in r["data"]
            if d["metric"] == "oLongestWaiting"
        ]

    event = event_for(hub, socket, lambda m: bool(longest(m)))
    assert all(0 <= value < 86_400_000 for value in longest(event))
