"""The snapshot's JSON and CSV shapes: the names the README documents, null for unknown."""

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from queuewatch.export import CSV_COLUMNS, render_table, save_view, to_csv, to_json
from queuewatch.model import (
    Agents,
    Live,
    MediaStats,
    PartFailure,
    QueueStats,
    Snapshot,
    Today,
)

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


def test_csv_flattens_the_same_names() -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(sample().queues))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0]["agents.not_responding"] == "1"
    assert rows[0]["today.service_level"] == "0.75"
    assert rows[1]["waiting"] == "" and rows[1]["name"] == "お客様サポート 🎧"


def test_table_renders_names_literally_and_unknown_as_dash() -> None:
    console = Console(width=200, record=True, color_system=None)
    console.print(render_table(sample()))
    text = console.export_text()
    assert "[VIP] Sales" in text
    assert "1:15" in text
    assert "–" in text


# --- the dashboard's export -------------------------------------------------------------------------


def test_save_view_writes_the_queues_in_their_order_as_csv(tmp_path: Path) -> None:
    snapshot = sample()
    ordered = list(reversed(snapshot.queues))
    when = datetime(2026, 11, 29, 10, 15, 2)
    path = save_view(tmp_path, ordered, snapshot, "csv", when)
    assert path == tmp_path / "queuewatch-20261129-101502.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [row["id"] for row in rows] == [q.id for q in ordered]
    assert path.read_text(encoding="utf-8") == to_csv(ordered)


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
