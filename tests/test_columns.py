"""Each column declared once (``queuewatch.columns``), and every use of a column key one of them."""

from __future__ import annotations

import ast
from dataclasses import fields
from pathlib import Path

import pytest

import queuewatch
from queuewatch.alerts import LIVE_FIGURES
from queuewatch.columns import COLUMN_KEYS, COLUMNS, COLUMNS_BY_KEY, LONGEST_WAIT, NAME, TREND, Column
from queuewatch.model import Agents, Live, MediaStats, QueueStats, Today
from queuewatch.present import make_row
from queuewatch.thresholds import Rule, Thresholds, judge

PACKAGE = Path(queuewatch.__file__).parent
#: Modules whose strings are the API's, the stream's or Python's words (JSON keys, attribute
#: names), not columns.
OTHER_VOCABULARY = {"wire.py", "stream.py", "genesys.py", "crash.py", "columns.py"}

#: A queue in breach of everything a queue can breach.
ON_FIRE = QueueStats(
    id="q1",
    name="Support",
    waiting=40,
    longest_wait_s=900.0,
    interacting=3,
    agents=Agents(idle=0, interacting=3, not_responding=5, communicating=0, off_queue=2, on_queue=8),
    today=Today(offered=100, answered=50, abandoned=50, abandon_rate=0.5, service_level=0.2, sl_target=0.8),
    by_media={
        "voice": MediaStats(
            live=Live(waiting=40, longest_wait_s=900.0, interacting=3, alerting=0),
            today=Today(offered=100, answered=50, abandoned=50, abandon_rate=0.5, service_level=0.2),
        )
    },
)


def column_key_uses(path: Path) -> list[tuple[int, str]]:
    """String literals equal to a column key where a key is used: an index, a comparison, an
    argument (``cells["waiting"]``, ``key == "trend"``, ``Sort("name")``), f-strings included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        literals: list[ast.expr] = []
        if isinstance(node, ast.Subscript):
            literals = [node.slice]
        elif isinstance(node, ast.Compare):
            literals = [node.left, *node.comparators]
        elif isinstance(node, ast.Call):
            literals = list(node.args)
        found += [
            (literal.lineno, literal.value)
            for literal in literals
            if isinstance(literal, ast.Constant)
            and isinstance(literal.value, str)
            and literal.value in COLUMNS_BY_KEY
        ]
    return found


@pytest.mark.parametrize(
    "path",
    [
        p
        for p in sorted(PACKAGE.rglob("*.py"))
        if p.name not in OTHER_VOCABULARY and "simulator" not in p.relative_to(PACKAGE).parts
    ],
    ids=lambda p: p.relative_to(PACKAGE).as_posix(),
)
def test_column_keys_are_used_through_their_constants(path: Path) -> None:
    assert column_key_uses(path) == []


def test_keys_are_unique_and_model_field_names() -> None:
    assert len(set(COLUMN_KEYS)) == len(COLUMN_KEYS) and COLUMN_KEYS[0] == NAME
    names = {f.name for cls in (QueueStats, Agents, Today) for f in fields(cls)}
    assert set(COLUMN_KEYS) <= names


def test_every_row_has_a_cell_for_every_column_and_no_other() -> None:
    row = make_row(ON_FIRE, Thresholds(), trend=(1.0, 4.0))
    assert set(row.cells) == set(COLUMNS_BY_KEY)


def test_every_breach_is_of_a_column_judged_by_thresholds() -> None:
    breaches = judge(ON_FIRE, Rule())
    judged = {c.key for c in COLUMNS if c.threshold is not None}
    assert set(breaches) == judged


@pytest.mark.parametrize("column", [c for c in COLUMNS if c.threshold is not None], ids=lambda c: c.key)
def test_each_threshold_names_fields_of_the_rule(column: Column) -> None:
    rule_fields = {f.name for f in fields(Rule)}
    assert {f"{column.threshold}_critical", f"{column.threshold}_target"} & rule_fields


def test_alerts_watch_live_and_agents_figures_apart_from_today_s() -> None:
    assert {"waiting", LONGEST_WAIT, "idle", "not_responding"} == LIVE_FIGURES


def test_each_figure_reads_as_its_column_says() -> None:
    row = make_row(ON_FIRE, Thresholds())
    for column in COLUMNS:
        if column.value is None or column.key == NAME:
            continue
        value = column.value(ON_FIRE)
        assert not isinstance(value, str)
        assert row.cells[column.key].text == column.fmt(value), column.key
        assert row.cells[column.key].value == value, column.key
    assert row.cells[TREND].value is None
