"""The day on record: a recording (SQLite or the collector's stream) seeks to any time, steps and
plays; the replay dashboard says REPLAY and the recorded time, and shows alerts as they were,
never rung."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from textual.widgets import Label

from queuewatch.config import build_settings
from queuewatch.feed import AlertsReplayed, FeedEvent, ReplayMoved, resolve_at
from queuewatch.feeds import ReplayFeed
from queuewatch.model import QueueStats, Snapshot
from queuewatch.poller import Allowance, Connected, PollerSettings, SnapshotReceived
from queuewatch.recording import Recording, RedisRecording, SqliteRecorder, SqliteRecording
from queuewatch.redisstream import StreamKeys, add
from queuewatch.remote import RecordingHook
from queuewatch.source import RateStatus
from queuewatch.thresholds import Thresholds
from queuewatch.tui.replay import ReplayApp
from tests.clocks import until
from tests.fakes import SteppedClock, queue, wait_for, wait_for_snapshot
from tests.redis_support import RedisServer

START = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
STEP = timedelta(minutes=1)
HOURS = 48


def queues_at(minute: int) -> list[QueueStats]:
    """The figures of minute ``minute``: the first queue's waiting says which minute it is; the
    second queue goes critical at minute 30 (an alert) and calm again after."""
    busy = 30 if minute % 60 == 30 else 0
    return [
        queue("q-clock", "Clock", waiting=minute % 1000, longest=float(minute % 1000)),
        queue("q-busy", "Busy", waiting=busy, longest=10.0 if busy else None),
        queue("q-calm", "Calm"),
    ]


def recorded(minutes: int, write: Callable[[list[Any]], None], full_every: int = 10) -> None:
    from queuewatch.stream import Journal

    wall = [START]
    journal = Journal(
        "rec", Thresholds(), full_every=full_every, wall_clock=lambda: wall[0], clock=lambda: 0.0
    )
    journal.on_event(Connected("demo", "Europe/London"))
    for minute in range(minutes):
        wall[0] = START + minute * STEP
        event = SnapshotReceived(
            Snapshot(wall[0], tuple(queues_at(minute))), RateStatus(9), None, Allowance()
        )
        write(journal.on_event(event))


@pytest.fixture(scope="module")
def sqlite_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """48 hours, a picture a minute, in a SQLite file."""
    path = tmp_path_factory.mktemp("rec") / "day.sqlite"
    recorder = SqliteRecorder(path, retention_hours=HOURS + 1)
    recorded(HOURS * 60, recorder.write)
    recorder.close()
    return path


@pytest.fixture
def redis_day(redis_server: RedisServer, stream_keys: StreamKeys) -> Iterator[RedisRecording]:
    """Six hours, a picture a minute, in a collector's stream."""
    r = redis_server.client()
    floor = [0]

    def write(entries: list[Any]) -> None:
        floor[0], _ = add(r, stream_keys, entries, None, keep_ms=10**10, floor_ms=floor[0])

    recorded(6 * 60, write)
    yield RedisRecording(r, stream_keys)
    r.close()


def ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def check_seeks(recording: Recording, minutes: int) -> None:
    for minute in (0, 1, 9, 10, 11, 137, minutes // 2, minutes - 2, minutes - 1):
        for offset in (timedelta(0), timedelta(seconds=59)):
            found = recording.picture_at(ms(START + minute * STEP + offset))
            assert found is not None
            at, _, snapshot = found
            assert snapshot.taken_at == START + minute * STEP and at == ms(snapshot.taken_at)
            assert snapshot.queues[0].waiting == minute % 1000
    assert recording.picture_at(ms(START) - 1) is None
    assert recording.span() == (ms(START), ms(START + (minutes - 1) * STEP))
    assert recording.next_after(ms(START + 5 * STEP)) == ms(START + 6 * STEP)
    assert recording.next_after(ms(START + (minutes - 1) * STEP)) is None
    alerts = recording.alerts_between(ms(START + 29 * STEP), ms(START + 31 * STEP))
    assert [a.alerts[0].queue_id for a in alerts] == ["q-busy"] and alerts[0].at == START + 30 * STEP


def test_a_sqlite_recording_seeks_to_any_time(sqlite_day: Path) -> None:
    recording = SqliteRecording(sqlite_day)
    check_seeks(recording, HOURS * 60)
    # backwards and forwards again, as jumps do
    for minute in (2000, 5, 2800, 2799, 1):
        found = recording.picture_at(ms(START + minute * STEP))
        assert found is not None and found[2].queues[0].waiting == minute % 1000


def test_the_stream_is_a_recording_too(redis_day: RedisRecording) -> None:
    check_seeks(redis_day, 6 * 60)


def test_a_file_that_is_not_a_recording_is_refused(tmp_path: Path) -> None:
    from queuewatch.errors import ConfigError

    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(ConfigError, match="not a queuewatch recording"):
        SqliteRecording(junk)
    with pytest.raises(ConfigError, match="no recording at"):
        SqliteRecording(tmp_path / "missing.sqlite")


def test_resolve_at() -> None:
    span = (ms(START), ms(START + timedelta(hours=HOURS - 1)))  # ends 2026-03-02 23:00 UTC
    assert resolve_at("10:42", span, UTC) == datetime(2026, 3, 2, 10, 42, tzinfo=UTC)
    assert resolve_at("23:30", span, UTC) == datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # the last one recorded
    london = ZoneInfo("Europe/London")
    assert resolve_at("2026-03-01 08:00", span, london) == datetime(2026, 3, 1, 8, 0, tzinfo=london)
    for bad in ("25:00", "tea time", "10:61"):
        with pytest.raises(ValueError, match="not a time"):
            resolve_at(bad, span, UTC)


class Events:
    def __init__(self) -> None:
        self.events: list[FeedEvent] = []
        self._lock = threading.Lock()

    def __call__(self, event: FeedEvent) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, kind: type[Any]) -> list[Any]:
        with self._lock:
            return [e for e in self.events if isinstance(e, kind)]

    def until(self, condition: Callable[[], bool]) -> None:
        until(condition, "the replay to move", timeout=30)


def test_the_replay_feed_steps_jumps_and_goes_to_a_time(sqlite_day: Path) -> None:
    events = Events()
    feed = ReplayFeed(
        SqliteRecording(sqlite_day), events, start=START + 29 * STEP, clock=SteppedClock(), autoplay=False
    )
    thread = threading.Thread(target=feed.run)
    thread.start()

    def shown() -> int | None:
        ready = events.of(SnapshotReceived)
        return ready[-1].snapshot.queues[0].waiting if ready else None

    try:
        events.until(lambda: shown() == 29)
        feed.step()
        events.until(lambda: shown() == 30)
        replayed = events.of(AlertsReplayed)
        assert len(replayed) == 1 and replayed[0].alerts[0].name == "Busy"
        feed.jump(600)
        events.until(lambda: shown() == 40)
        feed.jump(-60)
        events.until(lambda: shown() == 39)
        feed.go_to(START + timedelta(hours=20, seconds=30))
        events.until(lambda: shown() == 1200 % 1000)
        feed.go_to(START - timedelta(days=1))
        events.until(lambda: shown() == 0)
        assert "the beginning" in events.of(ReplayMoved)[-1].note
        assert len(events.of(AlertsReplayed)) == 1  # jumps over minute 90, 150 ... alert nothing
        moved = events.of(ReplayMoved)[-1]
        assert moved.start == START and moved.end == START + (HOURS * 60 - 1) * STEP and not moved.playing
    finally:
        feed.stop()
        thread.join(timeout=10)


def test_the_replay_plays_at_recorded_speed_by_its_clock(sqlite_day: Path) -> None:
    events = Events()
    clock = SteppedClock()
    feed = ReplayFeed(SqliteRecording(sqlite_day), events, start=START, clock=clock)
    thread = threading.Thread(target=feed.run)
    thread.start()
    try:
        events.until(lambda: len(events.of(SnapshotReceived)) == 1)
        clock.now += 30  # half a minute: still the first picture
        clock.now += 35  # a minute and five seconds: the next one
        events.until(lambda: len(events.of(SnapshotReceived)) == 2)
        assert events.of(SnapshotReceived)[-1].snapshot.taken_at == START + STEP
    finally:
        feed.stop()
        thread.join(timeout=10)


async def test_the_replay_dashboard(sqlite_day: Path) -> None:
    clock = SteppedClock()
    recording = SqliteRecording(sqlite_day)
    app = ReplayApp(
        feed=lambda emit: ReplayFeed(recording, emit, start=START + 29 * STEP, clock=clock, autoplay=False),
        label="REPLAY",
        poller_settings=PollerSettings(),
        thresholds=Thresholds(),
        clock=clock,
        wall_clock=lambda: START + timedelta(days=5),  # long after: a replay is never stale
        tz=UTC,
        bell=True,
        desktop_notify=True,
    )
    rung: list[str] = []
    app.bell = lambda: rung.append("bell")  # type: ignore[method-assign]
    app.notify_desktop = lambda message: rung.append(message)  # type: ignore[method-assign]

    def status(part: str) -> str:
        return str(app.query_one(f"#status-{part}", Label).content)

    async with app.run_test(size=(140, 30)) as pilot:
        await wait_for_snapshot(pilot, app)
        await wait_for(pilot, lambda: "recorded Sun 01 Mar 00:29:00" in status("updated"))
        assert status("label") == "REPLAY" and "paused" in status("next")
        assert not app.query_one("#status-stale").display and not app.query_one("#stale-banner").display
        seen = app.snapshot
        await pilot.press("full_stop")  # one step: minute 30, whose alert was recorded
        await wait_for_snapshot(pilot, app, than=seen)
        assert app.snapshot is not None and app.snapshot.queues[0].waiting == 30
        await wait_for(pilot, lambda: any("Busy critical" in str(n.message) for n in app._notifications))
        assert rung == []  # shown as it was, never rung
        seen = app.snapshot
        await pilot.press("right_curly_bracket")  # +10 min
        await wait_for_snapshot(pilot, app, than=seen)
        assert app.snapshot.queues[0].waiting == 40
        seen = app.snapshot
        await pilot.press("left_square_bracket")  # -1 min
        await wait_for_snapshot(pilot, app, than=seen)
        assert app.snapshot.queues[0].waiting == 39
        seen = app.snapshot
        await pilot.press("t")
        await pilot.press(*"20:15", "enter")
        await wait_for_snapshot(pilot, app, than=seen)
        assert app.snapshot.queues[0].waiting == ((24 + 20) * 60 + 15) % 1000  # 2 Mar 20:15
        await pilot.press("space")
        await wait_for(pilot, lambda: "playing" in status("next"))


def test_record_keeps_the_dashboards_session(tmp_path: Path) -> None:
    path = tmp_path / "session.sqlite"
    settings = build_settings({"demo": True}, {})
    seen: list[Any] = []
    hook = RecordingHook(path, settings, seen.append)
    for minute in range(25):
        taken = START + minute * STEP
        hook(SnapshotReceived(Snapshot(taken, tuple(queues_at(minute))), RateStatus(3), None, Allowance()))
    hook.close()
    assert len(seen) == 25
    recording = SqliteRecording(path)
    found = recording.picture_at(ms(START + 17 * STEP))
    assert found is not None and found[2].queues[0].waiting == 17
    assert replace(found[2], agent_activity={}).taken_at == START + 17 * STEP
