"""Unexpected errors: caught at the poller's boundary, one line for the person, the detail in the log
or in a redacted crash report, and never a traceback with local variables.

Also a hostile token endpoint (a gateway or proxy answering in Genesys's place) through the real
SDK and the simulator: nested JSON, a huge body, wrong types, HTML, nothing at all.
"""

from __future__ import annotations

import itertools
import os
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.widgets import Label

from queuewatch import cli, crash, redact
from queuewatch.cli import main
from queuewatch.config import build_settings
from queuewatch.errors import AuthError
from queuewatch.model import QueueInfo, QueueLive
from queuewatch.poller import (
    BackingOff,
    Connected,
    Poller,
    PollerEvent,
    PollerSettings,
    PollFailed,
    SnapshotReceived,
)
from queuewatch.simulator import ContactCentre, SimulatorServer
from queuewatch.simulator.server import TOKEN_REPLIES
from queuewatch.source import PartResult, QueueSource
from queuewatch.tui.app import Crashed, QueuewatchApp
from tests.fakes import FakeSource, make_app, sample_queues, wait_for, wait_for_snapshot
from tests.test_poller import Scripted

SECRET = "S3CRET-errors-71c4e2-DoNotLeak"
CLIENT_ID = "watcher"
ENV = {"GENESYSCLOUD_OAUTHCLIENT_ID": CLIENT_ID, "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}


@pytest.fixture(autouse=True)
def _state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return state


@pytest.fixture(autouse=True)
def _secret_known() -> None:
    """As ``build_settings`` does when it reads the secret from the environment."""
    redact.register(SECRET)


@pytest.fixture
def guarded(centre: ContactCentre) -> Iterator[SimulatorServer]:
    """A simulator that accepts only the distinctive secret."""
    with SimulatorServer(centre, port=0, client_id=CLIENT_ID, client_secret=SECRET) as server:
        yield server


class Readings:
    """A monotonic clock that moves ``step`` at every reading and remembers them."""

    def __init__(self, step: float = 1000.0) -> None:
        self._counter = itertools.count(step=step)
        self.seen: list[float] = []

    def __call__(self) -> float:
        value = float(next(self._counter))
        self.seen.append(value)
        return value


def crash_reports(state: Path) -> list[Path]:
    return sorted(state.rglob("crash-*"))


# --- the poller's boundary ----------------------------------------------------------------------------


def test_any_error_at_connect_is_reported_and_retried_after_a_minute() -> None:
    source = Scripted()
    attempts: list[int] = []

    def connect() -> QueueSource:
        attempts.append(1)
        if len(attempts) == 1:
            raise OverflowError(f"timestamp out of range {SECRET}")
        return source

    events: list[PollerEvent] = []
    clock = Readings()
    poller = Poller(connect, events.append, PollerSettings(interval=5), clock=clock)

    def emit(event: PollerEvent) -> None:
        events.append(event)
        if isinstance(event, SnapshotReceived):
            poller.stop()

    poller._emit = emit
    poller.run()
    failed = next(e for e in events if isinstance(e, PollFailed))
    assert (failed.part, failed.kind, failed.fatal) == ("connect", "internal", False)
    assert failed.message.startswith("unexpected OverflowError: timestamp out of range")
    assert SECRET not in failed.message
    assert failed.retry_at is not None and failed.retry_at - 60 in clock.seen, "retried after 60 s"
    assert len(attempts) == 2
    assert any(isinstance(e, Connected) for e in events) and any(
        isinstance(e, SnapshotReceived) for e in events
    )


def test_any_error_during_a_poll_is_reported_and_the_next_poll_goes_on() -> None:
    source = Scripted(observe_script=[MemoryError()])
    events: list[PollerEvent] = []
    poller = Poller(lambda: source, events.append, PollerSettings(interval=5), clock=Readings())

    def emit(event: PollerEvent) -> None:
        events.append(event)
        if isinstance(event, SnapshotReceived):
            poller.stop()

    poller._emit = emit
    poller.run()
    failed = next(e for e in events if isinstance(e, PollFailed))
    assert (failed.part, failed.kind, failed.message) == ("poll", "internal", "unexpected MemoryError")
    assert any(isinstance(e, SnapshotReceived) for e in events)


@pytest.mark.parametrize("error", [RecursionError("maximum recursion depth"), UnicodeError(), KeyError("x")])
def test_once_an_unexpected_error_is_fatal_and_the_poller_returns(error: Exception) -> None:
    def connect() -> QueueSource:
        raise error

    events: list[PollerEvent] = []
    Poller(connect, events.append).run(once=True)
    (failed,) = [e for e in events if isinstance(e, PollFailed)]
    assert failed.kind == "internal" and failed.fatal and failed.retry_at is None
    assert failed.message.startswith(f"unexpected {type(error).__name__}")


def test_a_source_that_fails_to_close_does_not_break_the_poller() -> None:
    class Unclosable(Scripted):
        def close(self) -> None:
            raise RuntimeError("close failed")

    events: list[PollerEvent] = []
    Poller(lambda: Unclosable(), events.append).run(once=True)
    assert any(isinstance(e, SnapshotReceived) for e in events)


def _raising_connect(error: Exception) -> Callable[[object], Callable[[], QueueSource]]:
    def make(settings: object) -> Callable[[], QueueSource]:
        def connect() -> QueueSource:
            client_secret = SECRET  # noqa: F841 - a local holding the secret, as an SDK frame would
            raise error

        return connect

    return make


def test_snapshot_exits_1_with_one_line_on_an_unexpected_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr(cli, "make_connect", _raising_connect(OverflowError(f"out of range {SECRET}")))
    log = tmp_path / "q.log"
    code = main(["snapshot", "--region", "us-east-1", "--log-file", str(log)], env=ENV)
    out, err = capsys.readouterr()
    assert code == 1
    assert err.splitlines() == ["queuewatch: unexpected OverflowError: out of range <hidden>"]
    assert out == ""
    logged = log.read_text()
    assert "Traceback" in logged and "OverflowError" in logged, "the detail is in the log"
    assert SECRET not in logged


def test_doctor_says_one_line_and_exits_1_on_an_unexpected_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "make_connect", _raising_connect(RecursionError(SECRET)))
    code = main(["doctor", "--region", "us-east-1"], env=ENV)
    out, err = capsys.readouterr()
    assert code == 1
    assert "✗ could not connect: unexpected RecursionError" in out
    assert "Traceback" not in out + err and SECRET not in out + err


def test_doctor_survives_an_unexpected_error_after_connecting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Odd(Scripted):
        def observe(self, queues: object) -> PartResult[QueueLive]:
            raise TypeError("odd")

        def list_queues(self) -> list[QueueInfo]:
            return [QueueInfo("q1", "Sales")]

    monkeypatch.setattr(cli, "make_connect", lambda settings: lambda: Odd())
    code = main(["doctor", "--region", "us-east-1"], env=ENV)
    out, _ = capsys.readouterr()
    assert code == 1
    assert "✗ analytics:queueObservation:view: could not check (unexpected TypeError: odd)" in out


async def test_the_dashboard_shows_unexpected_and_stays_up() -> None:
    calls: list[int] = []
    source = FakeSource(sample_queues())

    def connect() -> QueueSource:
        calls.append(1)
        if len(calls) == 1:
            raise OverflowError(f"timestamp out of range {SECRET}")
        return source

    app = make_app(source, connect=connect, clock=lambda: 1000.0)
    async with app.run_test(size=(120, 30)) as pilot:
        label = app.query_one("#status-problem", Label)
        await wait_for(pilot, lambda: "unexpected" in str(label.content))
        text = str(label.content)
        assert text.startswith("unexpected OverflowError: timestamp out of range")
        assert "asking again in 1 min" in text
        assert SECRET not in text and SECRET not in app.export_screenshot()
        app.action_refresh()
        await wait_for_snapshot(pilot, app)
        assert app.is_running and app.crash_line is None


# --- a hostile token endpoint -------------------------------------------------------------------------


@pytest.mark.parametrize("reply", sorted(TOKEN_REPLIES))
def test_a_hostile_token_endpoint_gets_one_line_from_snapshot_and_doctor(
    reply: str, guarded: SimulatorServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    guarded.faults.update({"token_reply": reply})
    log = tmp_path / "q.log"
    region = ["--region", guarded.base_url, "--log-file", str(log)]
    code = main(["snapshot", *region], env=ENV, clock=Readings())
    out, err = capsys.readouterr()
    assert code == 4
    lines = err.splitlines()
    assert [line for line in lines if "; retrying in " not in line] == [
        f"queuewatch: the token endpoint of {guarded.base_url.removeprefix('http://')} sent a reply that "
        "could not be read: check the region (a proxy or gateway may be answering instead of Genesys Cloud)"
    ]
    code = main(["doctor", *region], env=ENV)
    doctor_out, doctor_err = capsys.readouterr()
    assert code == 4
    assert "✗ the token endpoint of" in doctor_out and doctor_err == ""
    everything = out + err + doctor_out + log.read_text()
    assert "Traceback" not in everything and SECRET not in everything


@pytest.mark.parametrize("reply", ["nested", "html", "wrong_types", "empty"])
async def test_a_hostile_token_endpoint_leaves_the_dashboard_up(
    reply: str, guarded: SimulatorServer, tmp_path: Path
) -> None:
    guarded.faults.update({"token_reply": reply})
    settings = build_settings({"region": guarded.base_url}, ENV)
    app = QueuewatchApp(
        connect=cli.make_connect(settings),
        label=settings.region_label,
        poller_settings=PollerSettings(interval=5),
        thresholds=settings.thresholds,
        clock=lambda: 1000.0,
    )
    async with app.run_test(size=(120, 30)) as pilot:
        label = app.query_one("#status-problem", Label)
        await wait_for(pilot, lambda: "token endpoint" in str(label.content))
        assert "could not be read" in str(label.content)
        assert SECRET not in app.export_screenshot()
        guarded.faults.update({"token_reply": None})
        app.action_refresh()
        await wait_for_snapshot(pilot, app)
        assert app.is_running and app.crash_line is None
    assert not crash_reports(tmp_path / "state")


# --- crash reports --------------------------------------------------------------------------------


def _fail_deep(secret: str) -> None:
    authorization = f"Basic {secret}"
    raise RuntimeError(f"failed with {authorization}")


def test_a_crash_report_is_private_redacted_and_has_no_locals(tmp_path: Path) -> None:
    try:
        _fail_deep(SECRET + "-local")
    except RuntimeError as error:
        line = crash.report(error, "a test")
    (path,) = crash_reports(tmp_path / "state")
    assert line == (
        f"queuewatch: unexpected RuntimeError: failed with Basic <hidden> (a bug in queuewatch); "
        f"the details are in {path} (secrets removed)"
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "_fail_deep" in text and "where: a test" in text, "the traceback is there"
    assert "S3CRET" not in text, "neither the message nor a local variable shows the secret"


def test_a_crash_report_that_cannot_be_written_still_gives_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the directory should be")
    line = crash.report(ValueError("x"), "a test", directory=blocker / "reports")
    assert line.startswith("queuewatch: unexpected ValueError: x (a bug in queuewatch); no crash report")
    assert "\n" not in line


def test_main_turns_a_crash_into_a_report_and_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def broken(action: str, force: bool, out: object) -> int:
        client_secret = SECRET
        raise AssertionError(f"bug near {client_secret}")

    monkeypatch.setattr(cli, "run_config", broken)
    code = main(["config", "path"], env=ENV)
    out, err = capsys.readouterr()
    (path,) = crash_reports(tmp_path / "state")
    assert code == 1
    assert err.splitlines() == [
        f"queuewatch: unexpected AssertionError: bug near <hidden> (a bug in queuewatch); "
        f"the details are in {path} (secrets removed)"
    ]
    assert SECRET not in path.read_text() and SECRET not in out + err


def test_an_uncaught_error_in_a_thread_gives_a_report_not_a_traceback(tmp_path: Path) -> None:
    import io

    stderr = io.StringIO()

    def work() -> None:
        raise ZeroDivisionError(f"no {SECRET}")

    with crash.guarded(stderr, "a test"):
        thread = threading.Thread(target=work, name="worker")
        thread.start()
        thread.join()
        try:
            raise LookupError("for the excepthook")
        except LookupError as error:
            sys.excepthook(type(error), error, error.__traceback__)
    lines = stderr.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("queuewatch: unexpected ZeroDivisionError: no <hidden>")
    assert lines[1].startswith("queuewatch: unexpected LookupError: for the excepthook")
    reports = crash_reports(tmp_path / "state")
    assert len(reports) == 2
    assert "thread worker" in "".join(r.read_text() for r in reports)
    assert "Traceback" not in stderr.getvalue()


def test_guarded_puts_the_hooks_back() -> None:
    import io

    before = sys.excepthook, threading.excepthook, sys.unraisablehook
    with crash.guarded(io.StringIO()):
        assert sys.excepthook is not before[0]
    assert (sys.excepthook, threading.excepthook, sys.unraisablehook) == before


@pytest.mark.parametrize("where", ["poller thread", "key handler"])
async def test_a_crash_in_the_dashboard_writes_a_report_instead_of_textuals_traceback(
    where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:

    def on_event(event: PollerEvent) -> None:
        client_secret = SECRET
        raise RuntimeError(f"handler bug {client_secret}")

    def refresh() -> None:
        client_secret = SECRET
        raise RuntimeError(f"handler bug {client_secret}")

    source = FakeSource(sample_queues())
    app = make_app(source, on_event=on_event) if where == "poller thread" else make_app(source)
    with pytest.raises(Crashed) as raised:
        async with app.run_test(size=(120, 30)) as pilot:
            if where == "key handler":
                await wait_for_snapshot(pilot, app)
                monkeypatch.setattr(app, "action_refresh", refresh)
                await pilot.press("r")
            await wait_for(pilot, lambda: app.crash_line is not None)
    (path,) = crash_reports(tmp_path / "state")
    assert app.return_code == 1
    assert raised.value.line == app.crash_line
    assert app.crash_line == (
        f"queuewatch: unexpected RuntimeError: handler bug <hidden> (a bug in queuewatch); "
        f"the details are in {path} (secrets removed)"
    )
    assert isinstance(raised.value.error, RuntimeError)
    _, err = capsys.readouterr()
    assert "Traceback" not in err and "locals" not in err and SECRET not in err
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    report = path.read_text()
    assert "RuntimeError" in report and SECRET not in report


def test_queuewatch_logs_nothing_to_stderr_without_a_log_file() -> None:
    import logging
    import subprocess

    code = (
        "import logging, queuewatch; "
        "logging.getLogger('queuewatch.poller').error('would be printed by the last-resort handler')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stderr == ""
    assert logging.getLogger("queuewatch").handlers, "a NullHandler stands in"


def test_snapshot_prints_each_error_once(guarded: SimulatorServer, tmp_path: Path) -> None:
    """The real command in a process of its own: one line on stderr, no traceback, and the secret
    (which the wrong one contains) neither there nor in the log."""
    import subprocess

    base = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS", "QUEUEWATCH"))}
    env = {**base, **ENV, "GENESYSCLOUD_OAUTHCLIENT_SECRET": "wrong-" + SECRET}
    log = tmp_path / "q.log"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "queuewatch",
            "snapshot",
            "--region",
            guarded.base_url,
            "--log-file",
            str(log),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == AuthError.exit_code
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "rejected the OAuth client credentials" in result.stderr
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stdout + result.stderr + log.read_text()


def test_backing_off_and_live_figures_are_untouched_by_the_boundary() -> None:
    """The boundary catches only what nothing else handles: a rate limit still backs off."""
    from queuewatch.errors import RateLimited

    source = Scripted(observe_script=[RateLimited(7, "/obs")])
    events: list[PollerEvent] = []
    poller = Poller(lambda: source, events.append, PollerSettings(interval=5), clock=Readings())

    def emit(event: PollerEvent) -> None:
        events.append(event)
        if isinstance(event, SnapshotReceived):
            poller.stop()

    poller._emit = emit
    poller.run()
    backoff = next(e for e in events if isinstance(e, BackingOff))
    assert (backoff.kind, backoff.delay) == ("rate_limited", 7.0)
    assert not [e for e in events if isinstance(e, PollFailed)]
    ready = next(e for e in events if isinstance(e, SnapshotReceived))
    assert ready.snapshot.queues[0].waiting == 1


def test_the_dashboard_command_exits_1_with_the_whole_line_after_a_crash(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def broken_log(event: PollerEvent) -> None:
        client_secret = SECRET
        raise RuntimeError(f"log bug {client_secret}")

    original_run = QueuewatchApp.run

    def headless(self: QueuewatchApp) -> None:
        original_run(self, headless=True, size=(40, 10))

    monkeypatch.setattr(cli, "log_event", broken_log)
    monkeypatch.setattr(QueuewatchApp, "run", headless)
    code = main(["--demo"], env={})
    out, err = capsys.readouterr()
    (path,) = crash_reports(tmp_path / "state")
    assert code == 1
    assert err.splitlines() == [
        f"queuewatch: unexpected RuntimeError: log bug <hidden> (a bug in queuewatch); "
        f"the details are in {path} (secrets removed)"
    ], "whole, though far wider than the 40 columns"
    assert "Traceback" not in out and SECRET not in out + err + path.read_text()
