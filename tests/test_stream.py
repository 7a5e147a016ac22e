"""Stream entries: snapshots and alerts round-trip exactly; anything malformed or hostile is refused
with the field and the reason (``BadEntry``), never another exception."""

from __future__ import annotations

import json
import random
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from queuewatch.model import Live, MediaStats, PartFailure, Snapshot, Today
from queuewatch.poller import Allowance, BackingOff, Connected, PollFailed, Scheduled, SnapshotReceived
from queuewatch.source import RateStatus
from queuewatch.stream import (
    FORMAT,
    MAX_PAYLOAD,
    ZLIB_MARK,
    AlertsRaised,
    Assembler,
    BadEntry,
    Change,
    CollectorStatus,
    Encoded,
    Gap,
    Journal,
    Meta,
    Picture,
    decode,
    encode_full,
    pack,
)
from queuewatch.thresholds import Thresholds
from tests.fakes import queue, sample_queues

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def snapshot(at: datetime = T0, **changes: Any) -> Snapshot:
    queues = sample_queues()
    queues[0] = replace(
        queues[0],
        by_media={
            "voice": MediaStats(Live(waiting=2, longest_wait_s=75.0), Today(offered=10, abandon_rate=0.0996)),
            "chat": MediaStats(Live(waiting=1, longest_wait_s=12.5), Today(offered=3)),
        },
        waiting_detail=(("c-1", "voice", 75.0), ("c-2", "chat", 12.5)),
    )
    return Snapshot(taken_at=at, queues=tuple(queues), today_at=at - timedelta(seconds=3), **changes)


def ready(snap: Snapshot, next_at: float | None = 1005.0) -> SnapshotReceived:
    return SnapshotReceived(snap, RateStatus(42, 1), next_at, Allowance(150, "lowered"))


class Clocks:
    def __init__(self) -> None:
        self.mono = 1000.0
        self.wall = T0

    def clock(self) -> float:
        return self.mono

    def wall_clock(self) -> datetime:
        return self.wall


def journal(full_every: int = 3, thresholds: Thresholds | None = None) -> tuple[Journal, Clocks]:
    clocks = Clocks()
    j = Journal(
        "run1",
        thresholds or Thresholds(),
        full_every=full_every,
        wall_clock=clocks.wall_clock,
        clock=clocks.clock,
    )
    return j, clocks


def test_a_full_picture_round_trips_exactly() -> None:
    snap = snapshot(errors=(PartFailure("aggregates", "unavailable", "Genesys unavailable", ("q-sales",)),))
    meta = Meta(
        "demo", "Europe/London", 5.0, T0 + timedelta(seconds=5), RateStatus(42, 1), Allowance(150, "lowered")
    )
    entry = decode(encode_full("run1", 7, meta, snap).fields())
    assert isinstance(entry, Picture)
    assert (entry.run, entry.seq, entry.meta) == ("run1", 7, meta)
    assert entry.snapshot == replace(snap, agent_activity={})
    # a rate just under a threshold stays just under it: figures are not rounded on the way
    assert entry.snapshot.queues[0].by_media["voice"].today.abandon_rate == 0.0996


def test_the_journal_sends_a_full_picture_then_deltas_and_the_assembler_follows() -> None:
    j, clocks = journal(full_every=3)
    kinds: list[str] = []
    assembler = Assembler()
    snaps = []
    for i in range(7):
        clocks.wall = T0 + timedelta(seconds=5 * i)
        snap = snapshot(clocks.wall)
        queues = list(snap.queues)
        queues[2] = replace(queues[2], waiting=i)  # one queue changes each time
        if i == 4:
            queues = queues[1:]  # one queue left
        snap = replace(snap, queues=tuple(queues))
        snaps.append(snap)
        for encoded in j.on_event(ready(snap)):
            kinds.append(encoded.kind)
            assembler.apply(decode(encoded.fields()))
        assert assembler.snapshot == snap
    assert [k for k in kinds if k in ("full", "delta")] == [
        "full",
        "delta",
        "delta",
        "full",
        "delta",
        "delta",
        "full",
    ]
    latest = j.latest()
    assert latest is not None and latest.kind == "full"
    picture = decode(latest.fields())
    assert isinstance(picture, Picture) and picture.snapshot == snaps[-1]


def test_a_delta_carries_only_what_changed() -> None:
    j, _clocks = journal(full_every=100)
    first = snapshot()
    j.on_event(ready(first))
    changed = list(first.queues)
    changed[1] = replace(changed[1], waiting=99)
    entry = decode(j.on_event(ready(replace(first, queues=tuple(changed))))[0].fields())
    assert isinstance(entry, Change)
    assert [q.id for q in entry.changed] == [changed[1].id] and entry.order is None and entry.base == 0


def test_a_delta_that_does_not_follow_is_a_gap() -> None:
    j, _ = journal(full_every=100)
    entries = [e for i in range(3) for e in j.on_event(ready(snapshot(T0 + timedelta(seconds=i))))]
    assembler = Assembler()
    assembler.apply(decode(entries[0].fields()))
    with pytest.raises(Gap):
        assembler.apply(decode(entries[2].fields()))  # entries[1] missed


def test_alerts_and_the_collectors_news_are_entries_too() -> None:
    j, clocks = journal()
    calm = queue("q-1", "Support", waiting=0)
    j.on_event(ready(Snapshot(T0, (calm,))))
    busy = replace(calm, waiting=30)
    entries = j.on_event(ready(Snapshot(T0 + timedelta(seconds=5), (busy,))))
    alerts = [decode(e.fields()) for e in entries if e.kind == "alert"]
    assert len(alerts) == 1 and isinstance(alerts[0], AlertsRaised)
    assert alerts[0].alerts[0].queue_id == "q-1" and "30 waiting" in alerts[0].alerts[0].message

    assert j.on_event(Connected("demo", "Europe/London"))[0].kind == "status"
    assert j.on_event(Scheduled(None, False, 5.0)) == []
    clocks.mono = 2000.0
    backing = j.on_event(BackingOff("observations", "unavailable", "Genesys unavailable", 4.0, 2, 2004.0))
    status = decode(backing[0].fields())
    assert isinstance(status, CollectorStatus)
    assert (status.event, status.kind, status.attempt) == ("backing_off", "unavailable", 2)
    assert status.retry_at == T0 + timedelta(seconds=4)
    failed = decode(j.on_event(PollFailed("connect", "auth", "rejected", retry_at=None))[0].fields())
    assert isinstance(failed, CollectorStatus) and failed.event == "failed" and failed.retry_at is None


def test_long_payloads_are_compressed() -> None:
    big = pack({"text": "x" * 10_000})
    assert big.startswith(ZLIB_MARK) and len(big) < 1000
    assert pack({"a": 1}) == b'{"a": 1}'


# --- hostile and malformed entries ----------------------------------------------------------------


def fields(document: Any, kind: str = "full", version: bytes = b"1") -> dict[bytes, bytes]:
    payload = document if isinstance(document, bytes) else json.dumps(document).encode()
    return {b"v": version, b"k": kind.encode(), b"d": payload}


def good_full() -> dict[str, Any]:
    encoded = encode_full("r", 0, Meta("demo"), snapshot())
    document: dict[str, Any] = json.loads(zlib.decompress(encoded.payload[1:]))
    return document


@pytest.mark.parametrize(
    ("mutate", "said"),
    [
        (
            lambda d: d["snapshot"]["queues"][0].update(waiting="3"),
            "queues[0].waiting must be a whole number",
        ),
        (lambda d: d["snapshot"]["queues"][0].update(waiting=-1), "queues[0].waiting must be a whole number"),
        (
            lambda d: d["snapshot"]["queues"][0].update(waiting=True),
            "queues[0].waiting must be a whole number",
        ),
        (
            lambda d: d["snapshot"]["queues"][1]["agents"].update(idle=1.5),
            "agents.idle must be a whole number",
        ),
        (lambda d: d["snapshot"]["queues"][0].update(name=None), "queues[0].name must be text"),
        (lambda d: d["snapshot"]["queues"][0].update(id=7), "queues[0].id must be text"),
        (lambda d: d["snapshot"]["queues"][0]["by_media"].update(fax={}), "not a media type"),
        (lambda d: d["snapshot"].update(queues={"a": 1}), "entry.snapshot.queues must be a list"),
        (lambda d: d["snapshot"].update(taken_at="yesterday"), "taken_at is not an ISO 8601 time"),
        (lambda d: d["snapshot"].update(taken_at="2026-03-02T10:00:00"), "has no UTC offset"),
        (lambda d: d["meta"].update(interval=0), "interval must be from 0 to 86400"),
        (lambda d: d["snapshot"]["queues"].append(d["snapshot"]["queues"][0]), "twice"),
        (lambda d: d.update(seq="1"), "entry.seq must be a whole number"),
        (lambda d: d["snapshot"]["queues"][0].update(waiting_detail=[[1, 2, 3]]), "waiting_detail[0]"),
    ],
)
def test_a_malformed_field_is_refused_by_name(mutate: Any, said: str) -> None:
    document = good_full()
    mutate(document)
    with pytest.raises(BadEntry) as refused:
        decode(fields(document))
    assert said in str(refused.value)


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        ({b"k": b"full", b"d": b"{}"}, "no format version"),
        (fields({}, version=b"2"), "this queuewatch reads format 1"),
        (fields({}, kind="bogus"), "is not one of full, delta, alert, status"),
        (fields(b"not json"), "not JSON"),
        (fields(b'{"run": "r", "seq": 0, "x": NaN}'), "not JSON"),
        (fields(b"[" * 100_000 + b"]" * 100_000), "not JSON"),
        (fields(b"\xff\xfe"), "not UTF-8"),
        (fields(ZLIB_MARK + b"garbage"), "not valid compressed data"),
        (fields(ZLIB_MARK + zlib.compress(b" " * (MAX_PAYLOAD + 10))), "unpacks to more than"),
        (fields([1, 2]), "entry must be an object"),
    ],
)
def test_a_malformed_entry_is_refused(entry: dict[bytes, bytes], said: str) -> None:
    with pytest.raises(BadEntry) as refused:
        decode(entry)
    assert said in str(refused.value)


def test_names_from_the_stream_are_cleaned_and_look_alikes_told_apart() -> None:
    document = good_full()
    queues = document["snapshot"]["queues"]
    queues[0]["name"] = "Sales\x1b]52;c;cm0gLXJmIH4=\x07"
    queues[1]["name"] = "Sales"
    queues[2]["name"] = "S\u0430les"  # Cyrillic a
    queues[3]["division"] = "\u202eevil"
    entry = decode(fields(document))
    assert isinstance(entry, Picture)
    names = [q.name for q in entry.snapshot.queues]
    assert names[0].startswith("Sales␛]52") and "\x1b" not in names[0] and "\x07" not in names[0]
    assert names[1] != "Sales" and names[1].startswith("Sales ⌗") and names[2].startswith("S\u0430les ⌗")
    assert entry.snapshot.queues[3].division == "<U+202E>evil"


def test_random_damage_never_raises_anything_but_bad_entry() -> None:
    """Bytes flipped, cut or inserted anywhere in real entries: refused or read, never a crash."""
    j, _ = journal(full_every=2)
    entries: list[Encoded] = []
    for i in range(3):
        entries.extend(j.on_event(ready(snapshot(T0 + timedelta(seconds=i)))))
    plain = [json.dumps(good_full()).encode()] + [e.payload for e in entries]
    rng = random.Random(13)
    refused = read = 0
    for _ in range(600):
        payload = bytearray(rng.choice(plain))
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(payload))
            action = rng.random()
            if action < 0.4:
                payload[at] = rng.randrange(256)
            elif action < 0.7:
                del payload[at:]
                payload += b"x"
            else:
                payload[at:at] = rng.choice([b"{", b"]", b'"', b"null", b"-1", b"1e999", b"\x00"])
        try:
            decode({b"v": str(FORMAT).encode(), b"k": rng.choice([b"full", b"delta"]), b"d": bytes(payload)})
            read += 1
        except BadEntry:
            refused += 1
    assert refused > 500 and refused + read == 600


def test_deltas_folded_for_a_seek_give_the_same_picture() -> None:
    from queuewatch.stream import fold_deltas

    j, _ = journal(full_every=100)
    encoded: list[Encoded] = []
    for i in range(8):
        snap = snapshot(T0 + timedelta(seconds=5 * i))
        queues = list(snap.queues)
        queues[i % 3] = replace(queues[i % 3], waiting=i)
        if i == 5:
            queues.append(queue("q-late", "Late queue"))
        encoded.extend(e for e in j.on_event(ready(replace(snap, queues=tuple(queues)))) if e.kind != "alert")
    one_by_one = Assembler()
    for e in encoded:
        one_by_one.apply(decode(e.fields()))
    folded = Assembler()
    folded.apply(decode(encoded[0].fields()))
    change, count = fold_deltas([e.payload for e in encoded[1:]])
    folded.apply(change)
    assert count == 7 and folded.snapshot == one_by_one.snapshot and folded.seq == one_by_one.seq
    # a delta that does not follow on ends the fold before it
    _, count = fold_deltas([encoded[1].payload, encoded[3].payload])
    assert count == 1


def test_a_reader_in_step_reads_a_full_picture_as_what_changed() -> None:
    j, _ = journal(full_every=3)
    whole, in_step = Assembler(), Assembler()
    for i in range(7):
        snap = snapshot(T0 + timedelta(seconds=5 * i))
        queues = list(snap.queues)
        queues[1] = replace(queues[1], waiting=i)
        if i == 3:
            queues.append(queue("q-added", "Added at a full picture"))
        for e in j.on_event(ready(replace(snap, queues=tuple(queues)))):
            if e.kind in ("full", "delta"):
                whole.apply(decode(e.fields()))
                read = decode(e.fields(), held=(in_step.run, in_step.seq))
                assert isinstance(read, Change) == (i > 0)  # the first full picture is read whole
                in_step.apply(read)
                assert in_step.snapshot == whole.snapshot
    # a reader out of step (another picture held) reads it whole
    later = [e for k in range(3) for e in j.on_event(ready(snapshot(T0 + timedelta(minutes=k + 1))))]
    full = next(e for e in later if e.kind == "full")
    assert isinstance(decode(full.fields(), held=("run1", 0)), Picture)
