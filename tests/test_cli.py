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
import time
from pathlib import Path

import pytest
from rich.cells import cell_len

from queuewatch.cli import build_parser, main, run_snapshot
from queuewatch.simulator import ContactCentre, SimulatorServer

SECRET = "zz-Distinctive-Secret-4711"


def run_main(capsys: pytest.CaptureFixture[str], *argv: str, env: dict[str, str] | None = None):
    code = main(list(argv), env=env or {})
    out, err = capsys.readouterr()
    return code, out, err


def run_process(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "QUEUEWATCH"))}
    return subprocess.run(
        [sys.executable, "-m", "queuewatch", *argv],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        timeout=60,
        check=False,
    )


def test_snapshot_demo_json(capsys) -> None:
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


def test_snapshot_changes_between_runs(capsys) -> None:
    first = json.loads(run_main(capsys, "snapshot", "--demo", "--format", "json")[1])
    time.sleep(3)
    second = json.loads(run_main(capsys, "snapshot", "--demo", "--format", "json")[1])

    def figures(data: dict) -> list:
        return [
            (q["waiting"], q["longest_wait_s"], q["today"]["offered"], q["agents"]) for q in data["queues"]
        ]

    assert figures(first) != figures(second)


def test_snapshot_csv_and_filter(capsys) -> None:
    code, out, _ = run_main(capsys, "snapshot", "--demo", "--format", "csv", "--filter", "[vip]")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["name"] for r in rows] == ["[VIP] Sales"]
    assert rows[0]["agents.idle"] != ""


def test_snapshot_table_shows_names_literally(capsys) -> None:
    code, out, _ = run_main(capsys, "snapshot", "--demo", "--filter", "vip")
    assert code == 0 and "[VIP] Sales" in out


def test_credentials_rejected_exit_3(capsys) -> None:
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


def test_unreachable_exit_4(capsys) -> None:
    env = {"GENESYSCLOUD_OAUTHCLIENT_ID": "id", "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}
    code, out, err = run_main(capsys, "snapshot", "--region", "http://127.0.0.1:9", env=env)
    assert code == 4
    assert "cannot reach" in err
    assert SECRET not in out + err


def test_config_path_and_init(capsys, tmp_path) -> None:
    code, out, _ = run_main(capsys, "config", "path")
    assert code == 0 and out.strip().endswith("config.toml")
    code, out, _ = run_main(capsys, "config", "init")
    assert code == 0 and "wrote" in out
    code, _, err = run_main(capsys, "config", "init")
    assert code == 2 and "already exists" in err
    code, out, err = run_main(capsys, "snapshot", "--demo", "--format", "json")
    assert code == 0, "the example config is valid as written"


def _default_sigint() -> None:
    """In the child: Ctrl+C interrupts, whatever the test runner's own handling (a background job
    ignores SIGINT, and its children would inherit that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def watch_process(fmt: str) -> subprocess.Popen[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "QUEUEWATCH"))}
    argv = ["snapshot", "--demo", "--watch", "--format", fmt, "--interval", "1"]
    return subprocess.Popen(
        [sys.executable, "-m", "queuewatch", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=base,
        preexec_fn=_default_sigint,
    )


def test_snapshot_watch_streams_one_json_line_per_poll() -> None:
    process = watch_process("ndjson")
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    polls = [json.loads(line) for line in lines]
    assert all(len(p["queues"]) == 40 for p in polls)
    assert len({p["taken_at"] for p in polls}) == 3, "one line per poll"
    assert process.returncode == 130 and "Traceback" not in err


def test_ctrl_c_ends_snapshot_watch_with_130_and_no_traceback() -> None:
    process = watch_process("csv")
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(1 + 40)]  # the header, the first poll
    finally:
        process.send_signal(signal.SIGINT)
        rest, err = process.communicate(timeout=10)
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


def snapshot_of(capsys, server: SimulatorServer, *extra: str) -> tuple[int, dict | None, str]:
    zone = server.centre.scenario.timezone
    argv = ["snapshot", "--region", server.base_url, "--format", "json", "--timezone", zone, *extra]
    code, out, err = run_main(capsys, *argv, env=SIM_CREDS)
    return code, (json.loads(out) if out.strip() else None), err


def test_snapshot_with_a_permission_missing_is_partial(capsys, sim: SimulatorServer) -> None:
    sim.faults.update({"deny": ["analytics:conversationAggregate:view"]})
    code, data, err = snapshot_of(capsys, sim)
    assert code == 0 and data is not None
    assert data["partial"] is True and data["errors"][0]["kind"] == "permission"
    assert all(q["today"]["offered"] is None for q in data["queues"]), "unknown, never zero"
    assert all(q["waiting"] is not None for q in data["queues"])
    assert "analytics:conversationAggregate:view" in err and len(err.strip().splitlines()) == 1


def test_snapshot_with_one_batch_failing_is_partial(capsys, sim: SimulatorServer) -> None:
    sim.faults.update({"fail_rate": 1.0, "fail_status": 502, "remaining": 1, "paths": ("/observations",)})
    code, data, _ = snapshot_of(capsys, sim, "--batch-size", "10")
    assert code == 0 and data is not None
    failed = set(data["errors"][0]["queue_ids"])
    assert len(failed) == 10
    assert all((q["waiting"] is None) == (q["id"] in failed) for q in data["queues"])


def test_snapshot_waits_out_a_throttle(capsys, sim: SimulatorServer) -> None:
    sim.faults.update({"rate_limit_next": 2, "retry_after": 1})
    started = time.monotonic()
    code, data, err = snapshot_of(capsys, sim)
    assert code == 0 and data is not None and not data["errors"]
    assert time.monotonic() - started >= 1.0, "Retry-After is honoured"
    assert "rate limited" in err


def test_snapshot_gives_up_on_an_outage_with_exit_4(capsys, sim: SimulatorServer) -> None:
    sim.faults.update({"fail_rate": 1.0, "fail_status": 503})
    code, data, err = snapshot_of(capsys, sim, "--interval", "1")
    assert code == 4 and data is None
    assert err.strip().splitlines()[-1].startswith("queuewatch: Genesys Cloud at ")
    assert "Traceback" not in err
