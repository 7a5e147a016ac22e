"""Text from outside never reaches an output raw: names and messages with terminal sequences,
bidi overrides, invisible and look-alike characters, through the real simulator and the real SDK,
into every output (the dashboard on a pseudo-terminal, snapshot in every format, exports, logs)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType

import pytest

from bench.terminal import Terminal, queuewatch
from queuewatch.cli import main
from queuewatch.errors import BadResponse
from queuewatch.export import to_csv
from queuewatch.model import QueueStats
from queuewatch.simulator import ContactCentre, SimulatorServer
from queuewatch.simulator.scenario import QueueSpec, Scenario, during_business_hours, media_load, name_id
from queuewatch.untrusted import NO_NAME, clean, clean_name, csv_cell, distinguish, skeleton

#: Every class of hostile text the names of a real org could hold.
HOSTILE = {
    "osc": "Retention\u001b]0;pwned\u0007\u001b]52;c;cHduZWQ=\u0007\u001b[2J",
    "sgr": "Retention\u001b[31mRED",
    "c1": "Billing\u009b2J\u009d0;c1title\u009c",
    "dcs": "Queries\u001bP$q m\u001b\\",
    "apc": "Kitty\u001b_Gi=1;AAAA\u001b\\",
    "bel-bs": "Bell\u0007\u0008\u0008\u0008Back",
    "del-nul": "Null\u0000Del\u007f",
    "newline": "Two\nLines\rHere",
    "bidi": "Refunds \u202egnp.exe\u202c",
    "isolate": "Isolate \u2066inner\u2069 out",
    "zero-width": "Sales\u200b",
    "plain": "Sales",
    "lookalike": "S\u0430les",  # Cyrillic a
    "fullwidth": "\uff33\uff41\uff4c\uff45\uff53",  # Ｓａｌｅｓ
    "trailing-space": "Sales ",
    "formula": '=HYPERLINK("http://x.invalid","click")',
    "formula-plus": "+1+1",
    "formula-at": "@SUM(A1)",
    "long": "Long " + "x" * 3000,
    "rtl": "خدمة العملاء",
    "cjk-emoji": "サポート 🎧 客服",
    "family": "Team \U0001f468\u200d\U0001f469\u200d\U0001f467",
    "empty": "",
    "spaces": "   ",
    "dup-1": "Duplicate",
}
HOSTILE_DIVISION = "Div\u001b]0;division\u0007"

#: Anything a terminal would obey; after cleaning, none may come from a name.
CONTROL = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200b\u200e\u200f]")


def hostile_scenario() -> Scenario:
    queues = []
    for index, (key, name) in enumerate(HOSTILE.items()):
        queues.append(
            QueueSpec(
                id=name_id("queue", key),
                name=name,
                division=HOSTILE_DIVISION if index % 2 else "Plain",
                division_id=name_id("division", "hostile" if index % 2 else "plain"),
                agents=1 if key != "osc" else 0,
                media=MappingProxyType({"voice": media_load("voice", 60)}),
            )
        )
    # A second queue with exactly the same name as another.
    queues.append(
        QueueSpec(
            id=name_id("queue", "dup-2"),
            name="Duplicate",
            division="Plain",
            division_id=name_id("division", "plain"),
            agents=1,
            media=MappingProxyType({"voice": media_load("voice", 60)}),
        )
    )
    return Scenario("hostile", "UTC", tuple(queues))


@pytest.fixture(scope="module")
def hostile_server() -> Iterator[SimulatorServer]:
    centre = ContactCentre(during_business_hours(hostile_scenario()), seed=3)
    with SimulatorServer(centre, port=0) as server:
        yield server


def no_control(text: str) -> bool:
    return CONTROL.search(text.replace("\n", "")) is None


# --- the cleaning itself --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(HOSTILE.values()))
def test_a_cleaned_name_holds_nothing_a_terminal_obeys(name: str) -> None:
    shown = clean_name(name)
    assert no_control(shown) and "\n" not in shown
    assert shown.strip()
    assert len(shown) <= 256


def test_controls_are_shown_not_dropped() -> None:
    assert clean("a\u001b]0;x\u0007") == "a␛]0;x␇"
    assert clean("\u009b2J") == "<U+009B>2J"
    assert clean("x\u202ey") == "x<U+202E>y"
    assert clean("x\u200by") == "x<U+200B>y"
    assert clean("x\ud800y") == "x<U+D800>y"
    assert clean("del\u007f") == "del␡"


def test_printable_text_is_kept_as_it_is() -> None:
    for name in (
        "[VIP] Sales",
        "サポート 🎧 客服",
        "خدمة العملاء",
        "Team \U0001f468\u200d\U0001f469\u200d\U0001f467",
    ):
        assert clean(name) == name
    assert clean("a\u200db") == "a<U+200D>b"  # a joiner outside an emoji sequence is shown


def test_blank_names_get_a_placeholder() -> None:
    assert clean_name("") == clean_name("   ") == clean_name(None) == NO_NAME


def test_look_alike_names_are_told_apart_by_their_ids() -> None:
    names = {"aaaa1111": "Sales", "bbbb2222": "S\u0430les", "cccc3333": "Sales ", "dddd4444": "Refunds"}
    shown = distinguish(names)
    assert shown["dddd4444"] == "Refunds"
    assert shown["aaaa1111"] == "Sales ⌗aaaa"
    assert shown["bbbb2222"].endswith("⌗bbbb")
    assert len({skeleton(n) for n in shown.values()}) == len(shown)


def test_ids_sharing_a_start_get_longer_marks() -> None:
    shown = distinguish({"abcd0001": "Q", "abcd0002": "Q"})
    assert shown == {"abcd0001": "Q ⌗abcd0001", "abcd0002": "Q ⌗abcd0002"}


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx"])
def test_csv_formulas_are_neutralised(cell: str) -> None:
    assert csv_cell(cell) == "'" + cell
    assert csv_cell("Sales") == "Sales" and csv_cell(5) == 5


def test_error_messages_are_cleaned_once_on_the_way_in() -> None:
    error = BadResponse("gateway said \u001b]0;pwned\u0007\u009b")
    assert error.message == "gateway said ␛]0;pwned␇<U+009B>"
    assert str(error) == error.message


def test_csv_export_of_a_formula_name() -> None:
    out = to_csv([QueueStats(id="q1", name="=HYPERLINK(1)", division="@div")])
    row = next(csv.DictReader(io.StringIO(out)))
    assert row["name"] == "'=HYPERLINK(1)" and row["division"] == "'@div"


# --- through the simulator and the real SDK -------------------------------------------------------------


def test_listed_names_are_clean_distinct_and_distinguishable(hostile_server: SimulatorServer) -> None:
    from queuewatch.genesys import Credentials, GenesysSource, SourceSettings

    source = GenesysSource(SourceSettings(base_url=hostile_server.base_url), Credentials("id", "secret"))
    try:
        queues = source.list_queues()
    finally:
        source.close()
    assert len(queues) == len(HOSTILE) + 1
    for queue in queues:
        assert no_control(queue.name) and no_control(queue.division or "")
    assert len({skeleton(q.name) for q in queues}) == len(queues)
    by_id = {q.id: q.name for q in queues}
    assert by_id[name_id("queue", "plain")].startswith("Sales ⌗")
    assert by_id[name_id("queue", "dup-1")] != by_id[name_id("queue", "dup-2")]
    assert by_id[name_id("queue", "osc")] == "Retention␛]0;pwned␇␛]52;c;cHduZWQ=␇␛[2J"


@pytest.mark.parametrize("fmt", ["table", "json", "ndjson", "csv"])
def test_snapshot_output_holds_no_control_from_a_name(
    hostile_server: SimulatorServer, fmt: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    log = tmp_path / "q.log"
    env = {"GENESYSCLOUD_OAUTHCLIENT_ID": "id", "GENESYSCLOUD_OAUTHCLIENT_SECRET": "secret"}
    argv = ["snapshot", "--region", hostile_server.base_url, "--format", fmt, "--log-file", str(log)]
    assert main(argv, env=env) == 0
    out, err = capsys.readouterr()
    assert no_control(out) and no_control(err) and no_control(log.read_text())
    assert "\u001b" not in out
    if fmt == "json":
        names = {q["name"] for q in json.loads(out)["queues"]}
        assert "Retention␛]0;pwned␇␛]52;c;cHduZWQ=␇␛[2J" in names
        assert "Refunds <U+202E>gnp.exe<U+202C>" in names
    if fmt == "csv":
        names = {row["name"] for row in csv.DictReader(io.StringIO(out))}
        assert '\'=HYPERLINK("http://x.invalid","click")' in names
        assert "'@SUM(A1)" in names and "'+1+1" in names
        assert not any(n.startswith(("=", "+", "-", "@")) for n in names)
    if fmt == "table":
        assert "Retention␛]0;pwned" in out or "Retention␛" in out


def test_the_dashboard_on_a_terminal_writes_no_sequence_from_a_name(
    hostile_server: SimulatorServer, tmp_path: Path
) -> None:
    """The bytes the real dashboard writes to a pseudo-terminal: the table, the detail screen's
    title and a notification naming the queue all show the hostile name, and none obeys it."""
    env = {"GENESYSCLOUD_OAUTHCLIENT_ID": "id", "GENESYSCLOUD_OAUTHCLIENT_SECRET": "secret"}
    terminal = Terminal(
        queuewatch("--region", hostile_server.base_url, "--interval", "1", "--filter", "pwned"),
        columns=200,
        lines=50,
        env=env,
        cwd=str(tmp_path),
    )
    try:
        terminal.wait_for("Retention␛]0;pwned".encode(), timeout=60)
        terminal.wait_for(b"1 of ", timeout=20)
        terminal.send("x")  # mute: a notification naming the queue
        terminal.wait_for(b"alerts muted", timeout=20)
        terminal.send("\r")  # the detail screen, its title the queue's name
        terminal.wait_for(b"Agents", timeout=20)
        terminal.send("\u001b")
        terminal.drain(0.5)
    finally:
        terminal.close()
    written = bytes(terminal.output).decode("utf-8", errors="replace")
    for sequence in (
        "\u001b]0;pwned",
        "\u001b]52;",
        "\u001b[31mRED",
        "\u001bP$q",
        "\u001b_G",
        "\u009b",
        "\u009d",
    ):
        assert sequence not in written
    assert "\u202e" not in written and "\u2066" not in written and "\u200b" not in written
    assert written.count("Retention␛]0;pwned") >= 2  # in the table and on the detail screen
    # Textual's own OSC 22 (the mouse pointer's shape) is the only operating-system command allowed.
    ours = re.sub("\u001b]22;[a-z-]*\u0007", "", written)
    assert "\u0007" not in ours and "\u001b]" not in ours and "\u001bP" not in ours and "\u001b_" not in ours
