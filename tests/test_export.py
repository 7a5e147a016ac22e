"""The snapshot's JSON and CSV shapes: the names the README documents, null for unknown."""

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.cells import cell_len

from queuewatch.columns import COLUMN_KEYS, COLUMNS, COLUMNS_BY_KEY, DROP_ORDER, choose_columns
from queuewatch.export import CSV_COLUMNS, compact_table, save_view, to_csv, to_json
from queuewatch.model import (
    Agents,
    Live,
    MediaStats,
    PartFailure,
    QueueStats,
    Snapshot,
    Today,
)
from queuewatch.present import make_row
from queuewatch.thresholds import Thresholds

TAKEN = datetime(2026, 11, 29, 10, 15, 2, tzinfo=UTC)


def sample() -> Snapshot:
    known = QueueStats(
        id="q1",
        name="[VIP] Sales",
        division="Sales",
        waiting=3,
        longest_wait_s=75.25,
        interacting=4,
        alerting=1,
        agents=Agents(idle=0, interacting=4, not_responding=1, communicating=0, off_queue=2, on_queue=5),
        members=7,
        today=Today(
            offered=10,
            answered=8,
            abandoned=1,
            abandon_rate=0.1,
            service_level=0.75,
            sl_target=0.8,
            asa_s=12.5,
            aht_s=300.0,
        ),
        by_media={
            "voice": MediaStats(
                live=Live(waiting=3, longest_wait_s=75.25, interacting=4, alerting=1), today=Today(offered=10)
            )
        },
    )
    unknown = QueueStats(id="q2", name="お客様サポート 🎧")
    return Snapshot(
        TAKEN, (known, unknown), (PartFailure("observations", "unavailable", "HTTP 502", ("q2",)),)
    )


def test_json_schema() -> None:
    data = json.loads(to_json(sample()))
    assert set(data) == {"taken_at", "today_at", "partial", "queues", "errors"}
    first, second = data["queues"]
    assert set(first) == {
        "id",
        "name",
        "division",
        "waiting",
        "longest_wait_s",
        "longest_wait_exact",
        "interacting",
        "alerting",
        "agents",
        "members",
        "today",
        "by_media",
    }
    assert set(first["agents"]) == {
        "idle",
        "interacting",
        "not_responding",
        "communicating",
        "off_queue",
        "on_queue",
    }
    assert set(first["today"]) == {
        "offered",
        "answered",
        "abandoned",
        "abandon_rate",
        "service_level",
        "sl_target",
        "asa_s",
        "aht_s",
    }
    assert first["by_media"]["voice"]["waiting"] == 3
    assert first["longest_wait_exact"] is True and first["by_media"]["voice"]["longest_wait_exact"] is True
    assert first["by_media"]["voice"]["today"]["offered"] == 10
    assert first["name"] == "[VIP] Sales"
    assert second["waiting"] is None and second["agents"]["idle"] is None, "unknown is null, never 0"
    assert second["name"] == "お客様サポート 🎧"
    assert data["partial"] is True and data["errors"][0]["queue_ids"] == ["q2"]


def test_csv_flattens_the_same_names_after_when_they_were_taken() -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(sample().queues, taken_at=TAKEN))))
    assert tuple(rows[0]) == CSV_COLUMNS and CSV_COLUMNS[0] == "taken_at"
    assert {row["taken_at"] for row in rows} == {"2026-11-29T10:15:02.000+00:00"}
    assert rows[0]["agents.not_responding"] == "1"
    assert rows[0]["today.service_level"] == "0.75"
    assert rows[1]["waiting"] == "" and rows[1]["name"] == "お客様サポート 🎧"
    assert not to_csv(sample().queues, taken_at=TAKEN, header=False).startswith("taken_at")


# --- the plain table --------------------------------------------------------------------------------


def crowded() -> Snapshot:
    """Queues with long names that share their start, some breaching."""
    base = sample().queues[0]
    names = ["Collections - Early Arrears", "Collections - Late Arrears", "Customer Care - Complaints"]
    queues = [
        replace(base, id=f"c{n}", name=name, waiting=16 + n, longest_wait_s=4000.0 + n, by_media={})
        for n, name in enumerate(names)
    ]
    return replace(sample(), queues=(*sample().queues, *queues))


def test_the_plain_table_fits_80_columns_with_the_dashboard_s_columns_and_marks() -> None:
    lines = compact_table(crowded(), width=80).splitlines()
    assert max(cell_len(line) for line in lines) <= 80
    assert lines[0] == "5 queues at 10:15:02 UTC"
    headers = lines[1].split()
    assert headers[0] == "Queue" and set(headers) <= {column.header for column in COLUMNS}
    assert headers == [column.header for column in COLUMNS if column.header in headers], "the same order"
    rows = {line.split()[1 if line.startswith("‼") else 0]: line for line in lines[2:7]}
    assert "[VIP] Sales" in lines[2], "names as written, never markup"
    early = next(line for line in lines if "Early" in line)
    late = next(line for line in lines if "Late" in line)
    assert early.startswith("‼ Coll") and late.startswith("‼ Coll"), "the row's worst mark before the name"
    assert "‼ 1:06:40" in early and "‼ 16" in early, "figures whole, with their marks"
    assert "–" in rows["お客様サポート"], "unknown is a dash"
    assert lines[-1].startswith("left out to fit 80 columns: AHT, ASA")


def test_a_narrower_table_leaves_out_the_least_important_figures_never_cuts_one() -> None:
    snapshot = crowded()
    wide = compact_table(snapshot, width=200).splitlines()
    assert len(wide) == 2 + 5, "everything fits: no note"
    assert wide[1].split() == [column.header for column in COLUMNS]
    order = [COLUMNS_BY_KEY[key] for key in DROP_ORDER if key in COLUMN_KEYS]
    for width in (40, 60, 80, 100):
        lines = compact_table(snapshot, width=width).splitlines()
        assert max(cell_len(line) for line in lines) <= width
        kept = [column for column in COLUMNS if column.header in lines[1].split()]
        gone = [column for column in order if column not in kept]
        assert gone == order[: len(gone)], "least important first"
        note = " ".join(lines[2 + 5 :])
        if gone:
            assert note == f"left out to fit {width} columns: {', '.join(column.header for column in gone)}"
        else:
            assert note == "" and width == 100
        for stats, line in zip(
            sorted(snapshot.queues, key=lambda q: q.name.casefold()), lines[2:7], strict=True
        ):
            cells = make_row(stats, Thresholds()).cells
            for column in kept[1:]:
                assert cells[column.key].shown in line, "a figure is never cut"


def test_a_narrow_table_drops_the_media_notes_before_any_column() -> None:
    voice = MediaStats(live=Live(waiting=20, longest_wait_s=400.0, interacting=1, alerting=0), today=Today())
    chat = MediaStats(live=Live(waiting=1, longest_wait_s=10.0, interacting=1, alerting=0), today=Today())
    mixed = replace(
        sample().queues[0], id="m", waiting=21, longest_wait_s=400.0, by_media={"voice": voice, "chat": chat}
    )
    snapshot = replace(sample(), queues=(mixed,))
    wide = compact_table(snapshot, width=200).splitlines()
    assert "‼ 21 voice" in wide[2], "room enough: the media type the breach is about"
    narrow = compact_table(snapshot, width=80).splitlines()
    assert "‼ 21 " in narrow[2] and "voice" not in narrow[2], "no room: the mark alone"
    assert narrow[-1] == "left out to fit 80 columns: AHT, ASA", "with the notes, Ans and Offer would go too"


def test_the_plain_table_shows_the_columns_the_config_chose() -> None:
    lines = compact_table(
        crowded(), width=80, columns=choose_columns(["waiting", "trend", "name"])
    ).splitlines()
    assert lines[1].split() == ["Queue", "Wait"], "no trend: a snapshot has no history"
    assert "Collections - Early Arrears" in lines[3], "room enough for the whole name"


def test_every_column_can_be_left_out_in_a_known_order() -> None:
    assert set(DROP_ORDER) == set(COLUMNS_BY_KEY) - {"name"}


# --- the dashboard's export -------------------------------------------------------------------------


def test_save_view_writes_the_queues_in_their_order_as_csv(tmp_path: Path) -> None:
    snapshot = sample()
    ordered = list(reversed(snapshot.queues))
    when = datetime(2026, 11, 29, 10, 15, 2)
    path = save_view(tmp_path, ordered, snapshot, "csv", when)
    assert path == tmp_path / "queuewatch-20261129-101502.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [row["id"] for row in rows] == [q.id for q in ordered]
    assert path.read_text(encoding="utf-8") == to_csv(ordered, taken_at=snapshot.taken_at)


def test_save_view_json_is_the_snapshot_document_with_the_queues_shown(tmp_path: Path) -> None:
    snapshot = sample()
    shown = [snapshot.queues[-1]]
    path = save_view(tmp_path, shown, snapshot, "json", datetime(2026, 11, 29, 10, 15, 2))
    assert path.name == "queuewatch-20261129-101502.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["taken_at"] == json.loads(to_json(snapshot))["taken_at"]
    assert [q["id"] for q in document["queues"]] == [shown[0].id]
    assert set(document) == {"taken_at", "today_at", "partial", "queues", "errors"}


def test_save_view_never_overwrites_and_reports_a_missing_directory(tmp_path: Path) -> None:
    snapshot = sample()
    when = datetime(2026, 11, 29, 10, 15, 2)
    first = save_view(tmp_path, snapshot.queues, snapshot, "csv", when)
    first.write_text("keep me", encoding="utf-8")
    second = save_view(tmp_path, snapshot.queues, snapshot, "csv", when)
    assert second.name == "queuewatch-20261129-101502-2.csv"
    assert first.read_text(encoding="utf-8") == "keep me"
    with pytest.raises(FileNotFoundError):
        save_view(tmp_path / "missing", snapshot.queues, snapshot, "csv", when)
