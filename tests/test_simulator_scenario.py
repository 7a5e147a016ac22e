"""Scenario building and loading: the default centre, generated ones, and scenario files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from queuewatch.errors import ConfigError
from queuewatch.simulator import default_scenario, generate_scenario, load_scenario
from queuewatch.simulator.scenario import MEDIA_TYPES, name_id

GOOD_TOML = """
name = "Test centre"
timezone = "Europe/Paris"

[[queues]]
name = "Support"
division = "Care"
agents = 3
[queues.media.voice]
calls_per_hour = 30
aht_s = 240
[queues.media.chat]
calls_per_hour = 10

[[queues]]
name = "[VIP] Sales"
id = "0b9a3f0e-6a53-4d0e-8c43-3f1e4bde0c11"
agents = 0
[queues.media.email]
calls_per_hour = 5
sl_percentage = 0.9
sl_seconds = 3600
"""


def test_default_scenario_has_the_promised_queues() -> None:
    scenario = default_scenario()
    names = [q.name for q in scenario.queues]
    assert 35 <= len(names) <= 45
    assert len(set(names)) == len(names)
    assert "[VIP] Sales" in names
    assert "お客様サポート 🎧" in names
    assert 3 <= len({q.division for q in scenario.queues}) <= 5
    assert any(q.agents == 0 for q in scenario.queues)
    assert {m for q in scenario.queues for m in q.media} == set(MEDIA_TYPES)
    assert all(q.id == name_id("queue", q.name) for q in scenario.queues)


def test_generated_scenario_is_reproducible_and_unique() -> None:
    first = generate_scenario(300, seed=3)
    assert first == generate_scenario(300, seed=3)
    assert first != generate_scenario(300, seed=4)
    assert len(first.queues) == 300
    assert len({q.id for q in first.queues}) == 300
    assert len({q.name for q in first.queues}) == 300
    assert all(q.media and q.agents >= 1 for q in first.queues)


def test_load_toml(tmp_path: Path) -> None:
    path = tmp_path / "centre.toml"
    path.write_text(GOOD_TOML, encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.name == "Test centre"
    assert scenario.timezone == "Europe/Paris"
    support, vip = scenario.queues
    assert support.id == name_id("queue", "Support")
    assert support.division_id == name_id("division", "Care")
    assert support.media["voice"].aht_s == 240
    assert support.media["chat"].calls_per_hour == 10
    assert vip.id == "0b9a3f0e-6a53-4d0e-8c43-3f1e4bde0c11"
    assert vip.division == "Home"
    assert vip.agents == 0
    assert vip.media["email"].sl_percentage == 0.9


def test_load_json_matches_toml(tmp_path: Path) -> None:
    toml_path = tmp_path / "centre.toml"
    toml_path.write_text(GOOD_TOML, encoding="utf-8")
    doc = {
        "name": "Test centre",
        "timezone": "Europe/Paris",
        "queues": [
            {
                "name": "Support",
                "division": "Care",
                "agents": 3,
                "media": {"voice": {"calls_per_hour": 30, "aht_s": 240}, "chat": {"calls_per_hour": 10}},
            },
            {
                "name": "[VIP] Sales",
                "id": "0b9a3f0e-6a53-4d0e-8c43-3f1e4bde0c11",
                "agents": 0,
                "media": {"email": {"calls_per_hour": 5, "sl_percentage": 0.9, "sl_seconds": 3600}},
            },
        ],
    }
    json_path = tmp_path / "centre.json"
    json_path.write_text(json.dumps(doc), encoding="utf-8")
    assert load_scenario(json_path) == load_scenario(toml_path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD_TOML.replace("agents = 3", "agents = -1"), "queues[0].agents must be a non-negative integer"),
        (GOOD_TOML.replace("agents = 3", 'agents = "3"'), "queues[0].agents must be a non-negative integer"),
        (
            GOOD_TOML.replace("[queues.media.chat]", "[queues.media.fax]"),
            "queues[0].media.fax is not a media type",
        ),
        (
            GOOD_TOML.replace("sl_percentage = 0.9", "sl_percentage = 90"),
            "queues[1].media.email.sl_percentage must be a number from 0 to 1",
        ),
        (
            GOOD_TOML.replace("Europe/Paris", "Mars/Olympus"),
            "timezone 'Mars/Olympus' is not a known IANA time zone",
        ),
        (
            GOOD_TOML.replace('id = "0b9a3f0e-6a53-4d0e-8c43-3f1e4bde0c11"', 'id = "nope"'),
            "queues[1].id must be a UUID",
        ),
        (
            GOOD_TOML.replace('name = "[VIP] Sales"', 'name = "support"'),
            "queues[1].name 'support' is used by",
        ),
        ('name = "x"\n', "queues must be a non-empty list"),
    ],
)
def test_bad_scenario_files_give_one_line_errors(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "scenario.toml"
    path.write_text('name = "x"\nagents = = 3\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"scenario\.toml: invalid TOML: .*line 2"):
        load_scenario(path)


def test_json_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "scenario.json"
    path.write_text('{\n "queues": [,]\n}', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"scenario\.json: invalid JSON at line 2"):
        load_scenario(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read scenario file"):
        load_scenario(tmp_path / "absent.toml")
