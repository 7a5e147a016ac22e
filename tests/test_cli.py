"""`queuewatch snapshot` and the command line: output formats, exit codes, one-line errors."""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

from queuewatch.cli import build_parser, main, make_connect, run_snapshot
from queuewatch.config import build_settings
from queuewatch.errors import ConfigError
from queuewatch.simulator import ContactCentre, SimulatorServer
from tests.clocks import START, FakeClock, jumping

SECRET = "zz-Distinctive-Secret-4711"


def run_main(
    capsys: pytest.CaptureFixture[str],
    *argv: str,
    env: dict[str, str] | None = None,
    clock: FakeClock | None = None,
) -> tuple[int, str, str]:
    """``queuewatch ARGV`` in this process, on a fake clock (from now) that jumps through every wait."""
    code = main(list(argv), env=env or {}, clock=clock or jumping())
    out, err = capsys.readouterr()
    return code, out, err


def child_env(env: dict[str, str] | None = None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "QUEUEWATCH"))}
    return {**base, **(env or {})}


def run_process(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "queuewatch", *argv],
        capture_output=True,
        text=True,
        env=child_env(env),
        timeout=60,
        check=False,
    )


#: ``python -m queuewatch`` with Ctrl+C handled as Python's default handles it, whatever this test
#: run inherited: a CI runner may start the suite with SIGINT ignored, and an ignored signal stays
#: ignored across exec (Python then installs no handler of its own).
PYTHON_M_QUEUEWATCH_WITH_SIGINT = [
    sys.executable,
    "-c",
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('queuewatch', run_name='__main__', alter_sys=True)",
]


def test_snapshot_demo_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, "snapshot", "--demo", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    queues = data["queues"]
    assert len(queues) >= 30 and data["errors"] == []
    for q in queues:
        today = q["today"]
        assert today["answered"] + today["abandoned"] <= today["offered"]
        assert q["waiting"] >= 0 and q["agents"]["idle"] >= 0
    assert sum(q["today"]["offered"] for q in queues) > 0
    assert sum(q["waiting"] for q in queues) > 0
    assert any(q["name"] == "[VIP] Sales" for q in queues)


def test_snapshot_demo_moves_with_time(capsys: pytest.CaptureFixture[str]) -> None:
    """The demo is a live contact centre, not a canned picture: a run a minute later differs."""

    def figures_at(when: float) -> list[tuple[object, ...]]:
        code, out, err = run_main(capsys, "snapshot", "--demo", "--format", "json", clock=FakeClock(when))
        assert code == 0, err
        data = json.loads(out)
        return [
            (q["waiting"], q["longest_wait_s"], q["today"]["offered"], q["agents"]) for q in data["queues"]
        ]

    first = figures_at(START)
    assert figures_at(START) == first, "seeded: the same moment gives the same figures"
    assert figures_at(START + 60) != first


def test_snapshot_csv_and_filter(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "snapshot", "--demo", "--format", "csv", "--filter", "[vip]")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["name"] for r in rows] == ["[VIP] Sales"]
    assert rows[0]["agents.idle"] != ""


def test_snapshot_table_shows_names_literally(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "snapshot", "--demo", "--filter", "vip")
    assert code == 0 and "[VIP] Sales" in out


def test_credentials_rejected_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    from queuewatch.simulator import default_scenario

    with SimulatorServer(
        ContactCentre(default_scenario(), seed=1), port=0, client_id="id", client_secret="right"
    ) as server:
        env = {"GENESYSCLOUD_OAUTHCLIENT_ID": "id", "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}
        code, out, err = run_main(capsys, "snapshot", "--region", server.base_url, env=env)
    assert code == 3
    assert "rejected the OAuth client credentials" in err
    assert SECRET not in out + err


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["snapshot"], {"GENESYSCLOUD_REGION": "us-east-1"}, "GENESYSCLOUD_OAUTHCLIENT_ID"),
        (["snapshot", "--region", "atlantis"], {}, "unknown region"),
        (["snapshot", "--format", "xml", "--demo"], {}, "invalid choice"),
        (["--interval", "0", "--demo"], {}, "must be a number from 1 to 3600 seconds"),
        (
            ["snapshot", "--demo", "--batch-size", "101"],
            {},
            "--batch-size: must be a whole number from 1 to 100",
        ),
        (["doctor", "--demo", "--batch-size", "0"], {}, "--batch-size: must be a whole number from 1 to 100"),
        (
            ["snapshot", "--region", "us-east-1"],
            {"GENESYSCLOUD_OAUTHCLIENT_ID": "x", "GENESYSCLOUD_OAUTHCLIENT_SECRET": ""},
            "set but empty",
        ),
    ],
)
def test_bad_input_one_line_exit_2(argv: list[str], env: dict[str, str], expected: str) -> None:
    result = run_process(*argv, env=env)
    assert result.returncode == 2
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_batch_size_bounds(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    parser = build_parser()
    assert parser.parse_args(["snapshot", "--batch-size", "1"]).batch_size == 1
    assert parser.parse_args(["snapshot", "--batch-size", "100"]).batch_size == 100
    config = tmp_path / "config.toml"
    config.write_text("interval = 5\nbatch_size = 500\n", encoding="utf-8")
    code, out, err = run_main(capsys, "snapshot", "--demo", "--config", str(config))
    assert (code, out) == (2, "")
    assert err == f"queuewatch: {config} (line 2): batch_size must be a whole number from 1 to 100, not 500\n"


def test_help_shows_every_option_s_default() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for command in (parser, *commands.choices.values()):
        for action in command._actions:
            if not action.option_strings or set(action.option_strings) & {"-h", "--help", "--version"}:
                continue
            assert action.help and "(default" in action.help, (command.prog, action.option_strings)


def test_missing_credentials_are_checked_without_assert(capsys: pytest.CaptureFixture[str]) -> None:
    """Settings without credentials never reach the SDK: a one-line ConfigError, exit 2, also under
    ``python -O`` (which strips ``assert``)."""
    settings = build_settings({"region": "us-east-1"}, {}, needs_credentials=False)
    with pytest.raises(ConfigError, match="GENESYSCLOUD_OAUTHCLIENT_ID"):
        make_connect(settings)()
    out, err = io.StringIO(), io.StringIO()
    assert run_snapshot(settings, "json", False, out, err, clock=jumping()) == 2
    assert out.getvalue() == "" and len(err.getvalue().splitlines()) == 1
    assert "or try `queuewatch --demo`" in err.getvalue()


def test_a_log_file_that_cannot_be_created_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run_main(capsys, "snapshot", "--demo", "--log-file", str(tmp_path / "no" / "q.log"))
    assert code == 2 and out == ""
    assert err.startswith("queuewatch: --log-file ") and len(err.splitlines()) == 1


def test_unreachable_exit_4(capsys: pytest.CaptureFixture[str]) -> None:
    env = {"GENESYSCLOUD_OAUTHCLIENT_ID": "id", "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}
    clock = jumping()
    started = clock()
    code, out, err = run_main(capsys, "snapshot", "--region", "http://127.0.0.1:9", env=env, clock=clock)
    assert code == 4
    assert "cannot reach" in err
    assert len([line for line in err.splitlines() if "retrying in" in line]) == 3, "4 attempts"
    assert clock() - started <= 1 + 2 + 4, "with the dashboard's backoff (full jitter) between them"
    assert SECRET not in out + err


@pytest.mark.parametrize("status", [400, 403])
def test_token_request_refused_exit_3(
    capsys: pytest.CaptureFixture[str], sim: SimulatorServer, status: int
) -> None:
    """A 400 or 403 to the token request means the credentials will not do: one line, exit 3."""
    sim.faults.update({"fail_rate": 1.0, "fail_status": status, "paths": ["/oauth/token"]})
    env = {"GENESYSCLOUD_OAUTHCLIENT_ID": "id", "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}
    code, out, err = run_main(capsys, "snapshot", "--region", sim.base_url, env=env)
    assert code == 3
    (line,) = err.splitlines()
    assert (
        line.startswith("queuewatch: Genesys Cloud at ") and "rejected the OAuth client credentials" in line
    )
    assert "GENESYSCLOUD_OAUTHCLIENT_ID" in line, "says what to check"
    assert sim.stats()["by_path"] == {"POST /oauth/token": 1}, "asked once, not retried"
    assert SECRET not in out + err


def test_config_path_and_init(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run_main(capsys, "config", "path")
    assert code == 0 and out.strip().endswith("config.toml")
    code, out, _ = run_main(capsys, "config", "init")
    assert code == 0 and "wrote" in out
    code, _, err = run_main(capsys, "config", "init")
    assert code == 2 and "already exists" in err
    code, out, err = run_main(capsys, "snapshot", "--demo", "--format", "json")
    assert code == 0, "the example config is valid as written"


class CtrlCAt(FakeClock):
    """A clock that jumps through every wait, and Ctrl+C is pressed at ``at`` (during a wait)."""

    def __init__(self, start: float, at: float) -> None:
        super().__init__(start, autojump=True)
        self.at = at

    def wait(self, event: threading.Event, seconds: float) -> bool:
        if self() + seconds >= self.at:
            self.advance(self.at - self())
            raise KeyboardInterrupt
        return super().wait(event, seconds)


def test_snapshot_watch_polls_every_interval_until_ctrl_c(capsys: pytest.CaptureFixture[str]) -> None:
    clock = CtrlCAt(START, at=START + 5)
    argv = ["snapshot", "--demo", "--watch", "--format", "ndjson", "--interval", "2", "--live", "poll"]
    code, out, err = run_main(capsys, *argv, clock=clock)
    assert code == 130 and err == "", "Ctrl+C ends a watch quietly, with 130"
    polls = [json.loads(line) for line in out.splitlines()]
    taken = [datetime.fromisoformat(p["taken_at"]).timestamp() for p in polls]
    assert taken == [START, START + 2, START + 4], "one line per poll, every interval, until Ctrl+C"
    assert all(len(p["queues"]) == 40 for p in polls)
    assert polls[0]["queues"] != polls[2]["queues"], "the demo moves on between polls"


def watch_process(fmt: str) -> subprocess.Popen[str]:
    """``queuewatch snapshot --demo --watch`` in a process of its own, which a real SIGINT stops."""
    argv = ["snapshot", "--demo", "--watch", "--format", fmt, "--interval", "1"]
    return subprocess.Popen(
        [*PYTHON_M_QUEUEWATCH_WITH_SIGINT, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )


def test_snapshot_watch_streams_one_json_line_per_poll() -> None:
    process = watch_process("ndjson")
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(2)]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            _, err = process.communicate(timeout=20)
        finally:
            process.kill()
    polls = [json.loads(line) for line in lines]
    assert all(len(p["queues"]) == 40 for p in polls)
    assert len({p["taken_at"] for p in polls}) == 2, "one line per poll"
    assert process.returncode == 130 and "Traceback" not in err, "Ctrl+C ends the watch cleanly"


def test_ctrl_c_ends_snapshot_watch_with_130_and_no_traceback() -> None:
    process = watch_process("csv")
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(1 + 40)]  # the header, the first poll
    finally:
        process.send_signal(signal.SIGINT)
        rest, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    rows = list(csv.reader(io.StringIO("".join(lines) + rest)))
    assert [row[0] for row in rows].count("taken_at") == 1


class InterruptedAfter(io.StringIO):
    """Standard output that is interrupted, as by Ctrl+C, once it has taken ``polls`` polls."""

    def __init__(self, polls: int) -> None:
        super().__init__()
        self.polls = polls

    def flush(self) -> None:
        super().flush()
        self.polls -= 1
        if self.polls == 0:
            raise KeyboardInterrupt


def test_snapshot_watch_csv_has_one_header_and_when_each_row_was_taken(sim: SimulatorServer) -> None:
    from queuewatch.config import build_settings

    readings = itertools.count(step=1000.0)  # every reading an interval on: no poll waits for the next

    flags = {"region": sim.base_url, "timezone": sim.centre.scenario.timezone}
    settings = build_settings(flags, SIM_CREDS)
    out, err = InterruptedAfter(polls=3), io.StringIO()
    code = run_snapshot(settings, "csv", True, out, err, lambda: float(next(readings)))
    assert code == 130, err.getvalue()
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert next(iter(rows[0])) == "taken_at"
    assert all(row["taken_at"] != "taken_at" for row in rows), "the header once"
    taken = [row["taken_at"] for row in rows]
    assert len(set(taken)) == 3 and len(rows) == 3 * len(sim.centre.scenario.queues)
    assert taken == sorted(taken), "poll after poll"


def test_snapshot_table_fits_80_columns_with_the_dashboard_s_marks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_main(capsys, "snapshot", "--demo", "--format", "table")
    assert code == 0, err
    lines = out.splitlines()
    assert max(cell_len(line) for line in lines) <= 80, "not a terminal: 80 columns"
    assert lines[1].split()[:3] == ["Queue", "Wait", "Longest"]
    assert any(line.startswith("‼ ") for line in lines[2:]), "the demo has critical queues, marked"
    assert lines[-1].startswith("left out to fit 80 columns:")
    name_end = len(lines[1]) - len(lines[1][len("Queue") :].lstrip())  # where the figures start
    assert any("…" in line[:name_end] for line in lines[2:]), "long names are cut"
    assert not any("…" in line[name_end:] for line in lines[2:]), "figures never"
    early = next(line for line in lines if "Early" in line)
    late = next(line for line in lines if "Late" in line)
    assert early[:name_end] != late[:name_end], "the two collections queues stay apart"


def test_snapshot_table_takes_the_width_columns_says(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "snapshot", "--demo", "--format", "table", env={"COLUMNS": "150"})
    assert code == 0
    lines = out.splitlines()
    assert 80 < max(cell_len(line) for line in lines) <= 150
    assert lines[1].split()[-2:] == ["ASA", "AHT"] and not lines[-1].startswith("left out")


# --- the fault matrix, for the one-shot snapshot ------------------------------------------------------

SIM_CREDS = {"GENESYSCLOUD_OAUTHCLIENT_ID": "id", "GENESYSCLOUD_OAUTHCLIENT_SECRET": "secret"}


def snapshot_of(
    capsys: pytest.CaptureFixture[str], server: SimulatorServer, *extra: str, clock: FakeClock | None = None
) -> tuple[int, dict[str, Any] | None, str]:
    zone = server.centre.scenario.timezone
    argv = ["snapshot", "--region", server.base_url, "--format", "json", "--timezone", zone, *extra]
    code, out, err = run_main(capsys, *argv, env=SIM_CREDS, clock=clock)
    return code, (json.loads(out) if out.strip() else None), err


def test_snapshot_with_a_permission_missing_is_partial(
    capsys: pytest.CaptureFixture[str], sim: SimulatorServer
) -> None:
    sim.faults.update({"deny": ["analytics:conversationAggregate:view"]})
    code, data, err = snapshot_of(capsys, sim)
    assert code == 0 and data is not None
    assert data["partial"] is True and data["errors"][0]["kind"] == "permission"
    assert all(q["today"]["offered"] is None for q in data["queues"]), "unknown, never zero"
    assert all(q["waiting"] is not None for q in data["queues"])
    assert "analytics:conversationAggregate:view" in err and len(err.strip().splitlines()) == 1


def test_snapshot_with_one_batch_failing_is_partial(
    capsys: pytest.CaptureFixture[str], sim: SimulatorServer
) -> None:
    sim.faults.update({"fail_rate": 1.0, "fail_status": 502, "remaining": 1, "paths": ("/observations",)})
    code, data, _ = snapshot_of(capsys, sim, "--batch-size", "10")
    assert code == 0 and data is not None
    failed = set(data["errors"][0]["queue_ids"])
    assert len(failed) == 10
    assert all((q["waiting"] is None) == (q["id"] in failed) for q in data["queues"])


def test_snapshot_waits_out_a_throttle(capsys: pytest.CaptureFixture[str], sim: SimulatorServer) -> None:
    sim.faults.update({"rate_limit_next": 2, "retry_after": 1})
    clock = jumping()
    started = clock()
    code, data, err = snapshot_of(capsys, sim, clock=clock)
    assert code == 0 and data is not None and not data["errors"]
    assert clock() - started == 2.0, "Retry-After is honoured, exactly, each time"
    assert "rate limited" in err


def test_snapshot_gives_up_on_an_outage_with_exit_4(
    capsys: pytest.CaptureFixture[str], sim: SimulatorServer
) -> None:
    sim.faults.update({"fail_rate": 1.0, "fail_status": 503})
    clock = jumping()
    started = clock()
    code, data, err = snapshot_of(capsys, sim, "--interval", "1", clock=clock)
    assert code == 4 and data is None
    assert err.strip().splitlines()[-1].startswith("queuewatch: Genesys Cloud at ")
    assert "Traceback" not in err
    assert 0 < clock() - started <= 3 * 1, "3 waits, each capped at one interval during an outage"
