"""The push source against the simulator: real SDK and HTTP for channels and resyncs, real
WebSockets for events. The source's clocks (heartbeat watchdog, channel ends, push-again) are
moved by hand; what other threads do (a reader seeing its socket close) is waited on as a condition.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from queuewatch.errors import AuthError, PermissionMissing, Unavailable
from queuewatch.events import QUEUE_TOPIC_PERMISSION, MediaObservation, QueueObserved, queue_topic
from queuewatch.genesys import GenesysSource
from queuewatch.model import Agents, Live, QueueInfo, QueueLive
from queuewatch.push import ChannelRefused, PushSettings, PushSource, _Queue
from queuewatch.simulator import ContactCentre, SimulatorServer
from queuewatch.simulator.notifications import NotificationSettings
from tests.push_support import FakeClock, wait_for

SourceFor = Callable[..., GenesysSource]
START_WALL = 1_800_000_000.0


@dataclass
class Rig:
    server: SimulatorServer
    inner: GenesysSource
    clock: FakeClock
    wall: FakeClock
    woken: threading.Event
    make_inner: Callable[[], GenesysSource]

    def push(self, fresh: bool = False, **settings: Any) -> PushSource:
        """A push source on this rig (``fresh``: over a REST source of its own); it resyncs only on
        (re)connects unless ``resync_every`` is given."""
        settings.setdefault("resync_every", 0)
        inner = self.make_inner() if fresh else self.inner
        source = PushSource(inner, PushSettings(**settings), clock=self.clock, wall_clock=self.wall)
        source.set_wakeup(self.woken.set)
        return source

    def requests(self, what: str) -> int:
        return sum(n for path, n in self.server.stats()["by_path"].items() if what in path)

    def queues(self) -> list[QueueInfo]:
        return self.inner.list_queues()

    def channels(self) -> list[dict[str, Any]]:
        channels: list[dict[str, Any]] = self.server.notifications.state()["channels"]
        return channels

    def send(self, queue_id: str, body: dict[str, Any]) -> None:
        message = {"topicName": queue_topic(queue_id), "version": "2", "eventBody": body}
        self.server.notifications.send_raw(json.dumps(message))


@pytest.fixture
def rig(centre: ContactCentre, source_for: SourceFor) -> Iterator[Rig]:
    """A simulator whose own events are muted (tests send the events), and the REST source on it."""
    wall = FakeClock(START_WALL)
    with SimulatorServer(
        centre,
        rate_limit=100_000,
        notifications=NotificationSettings(tick_s=0.05),
        notification_clocks=(FakeClock(), wall),
    ) as server:
        server.notifications.set_faults({"mute_queues": centre.queue_ids()})
        yield Rig(
            server, source_for(server), FakeClock(), wall, threading.Event(), lambda: source_for(server)
        )


def voice(waiting: int, interacting: int = 0, longest_ms: int | None = None) -> dict[str, Any]:
    data: list[dict[str, Any]] = [
        {"metric": "oWaiting", "count": waiting},
        {"metric": "oInteracting", "count": interacting},
        {"metric": "oAlerting", "count": 0},
    ]
    if longest_ms is not None:
        data.append({"metric": "oLongestWaiting", "count": waiting, "calculatedMetricValue": longest_ms})
    return {"results": [{"mediaType": "voice", "data": data}]}


def test_first_observe_subscribes_every_queue_and_resyncs_once(rig: Rig) -> None:
    queues = rig.queues()
    source = rig.push(topics_per_channel=10, resync_every=None)
    first = source.observe(queues)
    assert set(first.values) == {q.id for q in queues} and not first.failures
    assert rig.requests("POST /api/v2/notifications/channels") == 4, "40 queues, 10 per channel"
    assert rig.requests("/subscriptions") == 4
    assert rig.requests("observations/query") == 1
    assert [c["topics"] for c in rig.channels()] == [10, 10, 10, 10]
    wait_for(lambda: all(c["connected"] for c in rig.channels()), "four sockets")
    again = source.observe(queues)
    assert rig.requests("observations/query") == 1, "answered from memory, no request"
    assert again.values.keys() == first.values.keys()
    state = source.live_state()
    assert state.mode == "push" and state.note == ""
    assert state.requests_per_minute == pytest.approx(60 / 15), "one resync query every 15 s"
    source.close()
    wait_for(lambda: not any(c["connected"] for c in rig.channels()), "the sockets to close")


def test_an_event_replaces_the_figures_without_a_request(rig: Rig) -> None:
    queues = rig.queues()
    source = rig.push()
    source.observe(queues)
    wait_for(lambda: rig.channels() and rig.channels()[0]["connected"], "the socket")
    target = queues[3].id
    rig.send(target, voice(waiting=7, interacting=2, longest_ms=round((START_WALL - 42) * 1000)))
    wait_for(lambda: source.live_state().events == 1, "the event")
    assert rig.woken.is_set(), "the poller is nudged"
    live = source.observe(queues).values[target]
    assert live.live == Live(
        waiting=7,
        longest_wait_s=42.0,
        interacting=2 + _others(live, "interacting"),
        alerting=_others(live, "alerting"),
    )
    assert live.by_media["voice"] == Live(7, 42.0, 2, 0)
    assert rig.requests("observations/query") == 1
    rig.wall.advance(10)
    assert source.observe(queues).values[target].by_media["voice"].longest_wait_s == 52.0, "the wait grows"
    rig.send(target, voice(waiting=0))
    wait_for(lambda: source.live_state().events == 2, "the second event")
    assert source.observe(queues).values[target].by_media["voice"] == Live(0, 0.0, 0, 0)
    source.close()


def _others(live: QueueLive, name: str) -> int:
    """The figure summed over the queue's media types other than voice (the resync's)."""
    return sum(getattr(m, name) or 0 for media, m in live.by_media.items() if media != "voice")


def test_bad_events_are_counted_logged_once_and_skipped(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    queues = rig.queues()
    source = rig.push()
    source.observe(queues)
    wait_for(lambda: rig.channels() and rig.channels()[0]["connected"], "the socket")
    caplog.set_level(logging.WARNING, logger="queuewatch.push")
    for text in ["{", "{", "[1]", json.dumps({"topicName": "v2.users.x.presence", "eventBody": {}})]:
        rig.server.notifications.send_raw(text)
    rig.send(queues[0].id, {"results": [{"mediaType": "voice\x1b[2J", "data": []}]})
    rig.send("not-a-queue-of-ours", voice(1))
    rig.send(queues[1].id, voice(waiting=4))
    wait_for(lambda: source.live_state().events == 1, "the good event")
    state = source.live_state()
    assert state.bad_events == 6
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 3, "once per kind: malformed, unknown, hostile"
    assert all("\x1b" not in w for w in warnings)
    assert source.observe(queues).values[queues[1].id].by_media["voice"].waiting == 4
    source.close()


def test_a_silent_socket_is_replaced_and_resynced(rig: Rig) -> None:
    queues = rig.queues()
    source = rig.push(heartbeat_s=30)
    source.observe(queues)
    wait_for(lambda: rig.channels() and rig.channels()[0]["connected"], "the socket")
    rig.server.notifications.set_faults({"silence_heartbeat": True})
    rig.clock.advance(31)
    source.observe(queues)
    assert rig.requests("POST /api/v2/notifications/channels") == 1, "one silent period: a ping, no more"
    rig.clock.advance(30)
    result = source.observe(queues)
    assert rig.requests("POST /api/v2/notifications/channels") == 2, "two silent periods: a new channel"
    assert rig.requests("observations/query") == 2, "and a resync"
    assert len(result.values) == len(queues)
    assert source.live_state().mode == "push"
    source.close()


def test_a_ping_answered_keeps_the_channel(rig: Rig) -> None:
    queues = rig.queues()
    source = rig.push(heartbeat_s=30)
    source.observe(queues)
    wait_for(lambda: rig.channels() and rig.channels()[0]["connected"], "the socket")
    before = source.live_state().heartbeat_at
    rig.clock.advance(31)
    source.observe(queues)  # sends the ping; the pong comes back on channel.metadata
    wait_for(lambda: source.live_state().heartbeat_at != before, "the pong")
    rig.clock.advance(31)
    source.observe(queues)
    assert rig.requests("POST /api/v2/notifications/channels") == 1
    source.close()


def test_a_dropped_socket_is_replaced_and_resynced(rig: Rig) -> None:
    queues = rig.queues()
    source = rig.push()
    source.observe(queues)
    wait_for(lambda: rig.channels() and rig.channels()[0]["connected"], "the socket")
    rig.woken.clear()
    rig.server.notifications.drop_sockets()
    wait_for(rig.woken.is_set, "the reader to see the socket close")
    result = source.observe(queues)
    assert len(result.values) == len(queues)
    assert rig.requests("POST /api/v2/notifications/channels") == 2
    assert rig.requests("observations/query") == 2
    wait_for(lambda: [c["connected"] for c in rig.channels()].count(True) == 1, "one socket again")
    source.close()


def test_socket_closing_moves_to_a_new_channel_without_a_gap(rig: Rig) -> None:
    queues = rig.queues()
    source = rig.push()
    source.observe(queues)
    wait_for(lambda: rig.channels() and rig.channels()[0]["connected"], "the socket")
    old = rig.channels()[0]["id"]
    rig.woken.clear()
    rig.server.notifications.socket_closing(grace_s=60)
    wait_for(rig.woken.is_set, "the warning")
    result = source.observe(queues)
    assert len(result.values) == len(queues), "no gap: every queue still answered"
    assert rig.requests("POST /api/v2/notifications/channels") == 2
    wait_for(
        lambda: [c["id"] for c in rig.channels() if c["connected"]] not in ([], [old]),
        "the new channel to be the connected one",
    )
    source.close()


def test_a_channel_is_renewed_before_its_day_ends(rig: Rig) -> None:
    queues = rig.queues()
    source = rig.push(renew_before_s=600)
    source.observe(queues)
    wait_for(lambda: rig.channels() and rig.channels()[0]["connected"], "the socket")
    rig.wall.advance(86_400 - 601)
    source.observe(queues)
    assert rig.requests("POST /api/v2/notifications/channels") == 1
    rig.wall.advance(2)
    result = source.observe(queues)
    assert len(result.values) == len(queues)
    assert rig.requests("POST /api/v2/notifications/channels") == 2
    wait_for(lambda: [c["connected"] for c in rig.channels()].count(True) == 1, "only the new socket")
    source.close()


def test_subscriptions_follow_the_queue_listing(rig: Rig) -> None:
    queues = rig.queues()
    source = rig.push()
    source.observe(queues[:10])
    assert rig.channels()[0]["topics"] == 10
    result = source.observe(queues[5:15])
    assert rig.channels()[0]["topics"] == 10, "five unsubscribed, five subscribed"
    assert set(result.values) == {q.id for q in queues[5:15]}
    assert rig.requests("observations/query") == 2, "the five new queues resynced"
    assert rig.requests("POST /api/v2/notifications/channels") == 1
    source.close()


def test_auto_polls_when_channels_are_refused_and_tries_push_again(rig: Rig) -> None:
    queues = rig.queues()
    rig.server.notifications.set_faults({"refuse_channels": 400})
    source = rig.push(mode="auto", push_again_s=300)
    result = source.observe(queues)
    assert len(result.values) == len(queues)
    state = source.live_state()
    assert state.mode == "poll" and "refused" in state.note
    assert state.push_again_at == rig.clock() + 300
    source.observe(queues)
    assert rig.requests("observations/query") == 2, "polling: every observe queries"
    rig.server.notifications.set_faults({"refuse_channels": None})
    rig.clock.advance(301)
    source.observe(queues)
    assert source.live_state().mode == "push" and source.live_state().note == ""
    source.close()


def test_push_mode_raises_when_channels_are_refused(rig: Rig) -> None:
    rig.server.notifications.set_faults({"refuse_channels": 403})
    source = rig.push(mode="push")
    with pytest.raises(ChannelRefused):
        source.observe(rig.queues())
    source.close()


def test_auto_polls_once_channels_keep_failing(rig: Rig) -> None:
    queues = rig.queues()
    rig.server.notifications.set_faults({"refuse_channels": 503})
    source = rig.push(mode="auto", failures_to_fall_back=3)
    for _ in range(2):
        with pytest.raises(Unavailable):
            source.observe(queues)
    assert len(source.observe(queues).values) == len(queues), "the third failure: polling"
    assert source.live_state().mode == "poll"
    source.close()


def test_more_queues_than_channels_can_hold(rig: Rig) -> None:
    queues = rig.queues()
    auto = rig.push(mode="auto", topics_per_channel=10, max_channels=2)
    assert len(auto.observe(queues).values) == len(queues)
    assert auto.live_state().mode == "poll" and "channels" in auto.live_state().note
    auto.close()
    pushing = rig.push(fresh=True, mode="push", topics_per_channel=10, max_channels=2)
    with pytest.raises(ChannelRefused):
        pushing.observe(queues)
    pushing.close()


def test_a_missing_permission_is_named(rig: Rig) -> None:
    queues = rig.queues()
    rig.server.faults.update({"deny": [QUEUE_TOPIC_PERMISSION]})
    with pytest.raises(PermissionMissing) as missing:
        rig.push(mode="push").observe(queues)
    assert missing.value.permission == QUEUE_TOPIC_PERMISSION


# --- folding, without a network ---------------------------------------------------------------------


def test_an_event_that_arrives_during_a_resync_wins() -> None:
    state = _Queue()
    state.fold(QueueObserved("q", {"voice": MediaObservation(waiting=5, oldest_waiting_at=900.0)}), now=10.0)
    resync = QueueLive(
        live=Live(1, 30.0, 0, 0),
        agents=Agents(idle=3, on_queue=3),
        members=4,
        by_media={"voice": Live(1, 30.0, 0, 0)},
    )
    state.resynced(resync, started=9.0, wall=1000.0)
    live = state.live(wall=1000.0)
    assert live.by_media["voice"] == Live(5, 100.0, 0, 0), "the event is newer than the query"
    assert live.agents == Agents(idle=3, on_queue=3) and live.members == 4, "the events carry no agents"
    state.resynced(resync, started=11.0, wall=1000.0)
    assert state.live(wall=1000.0).by_media["voice"] == Live(1, 30.0, 0, 0)


def test_agents_from_an_event_and_a_wait_without_its_start() -> None:
    state = _Queue()
    state.fold(QueueObserved("q", {}, agents=Agents(idle=1, on_queue=2), members=5), now=1.0)
    state.fold(QueueObserved("q", {"chat": MediaObservation(waiting=2)}), now=2.0)
    live = state.live(wall=50.0)
    assert live.agents == Agents(idle=1, on_queue=2) and live.members == 5
    assert live.by_media["chat"].waiting == 2
    assert live.by_media["chat"].longest_wait_s is None, "someone waits, since when unknown: –"
    assert live.live.longest_wait_s is None


def test_a_failed_periodic_resync_does_not_hold_up_the_events(rig: Rig) -> None:
    queues = rig.queues()
    source = rig.push(resync_every=10)
    source.observe(queues)
    rig.server.faults.update({"fail_rate": 1.0, "fail_status": 503, "paths": ["/observations"]})
    rig.clock.advance(11)
    result = source.observe(queues)
    assert len(result.values) == len(queues) and not result.failures, "answered from memory"
    rig.server.faults.reset()
    rig.server.accept_logins(False)
    rig.server.revoke_tokens()
    rig.clock.advance(11)
    with pytest.raises(AuthError):
        source.observe(queues)
    rig.server.accept_logins(True)
    source.close()
