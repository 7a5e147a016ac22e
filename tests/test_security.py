"""The client secret and tokens never appear anywhere: output, logs, screen, reprs, exceptions.

Runs the real commands with a distinctive secret against a simulator that requires it, through
faults and failed logins, at DEBUG logging, and then searches everything that was produced.
"""

from __future__ import annotations

import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from queuewatch.cli import main, make_connect
from queuewatch.config import build_settings
from queuewatch.simulator import ContactCentre, SimulatorServer
from tests.clocks import jumping

SECRET = "QW-Secret-7f3a9c-DoNotLeak"


@pytest.fixture
def guarded(centre: ContactCentre) -> Iterator[SimulatorServer]:
    with SimulatorServer(centre, port=0, client_id="watcher", client_secret=SECRET) as server:
        yield server


def env_for(secret: str = SECRET) -> dict[str, str]:
    return {"GENESYSCLOUD_OAUTHCLIENT_ID": "watcher", "GENESYSCLOUD_OAUTHCLIENT_SECRET": secret}


def tokens_issued(server: SimulatorServer) -> set[str]:
    """The bearer tokens the simulator holds right now (it forgets revoked ones)."""
    return set(server._tokens)


def test_log_file_is_created_private(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "queuewatch.log"
    argv = ["snapshot", "--demo", "--format", "csv", "--log-file", str(log)]
    assert main(argv, env={}, clock=jumping()) == 0
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert "snapshot: 40 queues" in log.read_text()


def test_nothing_leaks_from_snapshot_and_doctor(
    guarded: SimulatorServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    log = tmp_path / "q.log"
    region = ["--region", guarded.base_url, "--log-file", str(log)]
    outputs = []
    tokens: set[str] = set()
    assert main(["snapshot", "--format", "json", *region], env=env_for(), clock=jumping()) == 0
    outputs.append(capsys.readouterr())
    tokens |= tokens_issued(guarded)
    guarded.faults.update({"fail_rate": 1.0, "fail_status": 503, "remaining": 2})
    guarded.revoke_tokens()
    assert main(["snapshot", "--format", "json", *region], env=env_for(), clock=jumping()) == 0
    outputs.append(capsys.readouterr())
    tokens |= tokens_issued(guarded)
    assert main(["doctor", *region], env=env_for()) == 0
    outputs.append(capsys.readouterr())
    tokens |= tokens_issued(guarded)
    assert main(["snapshot", *region], env=env_for("wrong-" + SECRET), clock=jumping()) == 3
    outputs.append(capsys.readouterr())
    assert len(tokens) >= 3, "every run got tokens, and each of them is searched for"
    everything = "\n".join([*(o.out + o.err for o in outputs), log.read_text(), caplog.text])
    assert SECRET not in everything
    for token in tokens:
        assert token not in everything


def test_nothing_leaks_from_reprs_and_errors(guarded: SimulatorServer) -> None:
    from queuewatch.genesys import GenesysSource

    settings = build_settings({"region": guarded.base_url, "live": "poll"}, env_for())
    source = make_connect(settings)()
    assert isinstance(source, GenesysSource)
    try:
        texts = [repr(settings), str(settings), repr(source), repr(source._credentials)]
        guarded.accept_logins(False)
        guarded.revoke_tokens()
        with pytest.raises(Exception) as caught:
            source.list_queues()
        texts += [str(caught.value), repr(caught.value), "".join(map(str, caught.traceback))]
        token = source._client.access_token
    finally:
        source.close()
    assert token and all(SECRET not in t and token not in t for t in texts)


async def test_nothing_leaks_on_the_dashboard(guarded: SimulatorServer) -> None:
    from queuewatch.tui.app import QueuewatchApp
    from tests.fakes import wait_for, wait_for_snapshot

    # Polling: a revoked token shows at the next poll (by push, at the next REST call).
    settings = build_settings({"region": guarded.base_url, "live": "poll"}, env_for())
    from queuewatch.poller import PollerSettings

    app = QueuewatchApp(
        connect=make_connect(settings),
        label=settings.region_label,
        poller_settings=PollerSettings(interval=1),
        thresholds=settings.thresholds,
    )
    screens = []
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for_snapshot(pilot, app)
        screens.append(app.export_screenshot())
        guarded.accept_logins(False)
        guarded.revoke_tokens()
        await pilot.press("r")
        await wait_for(pilot, lambda: app.status.failure is not None)
        screens.append(app.export_screenshot())
        await pilot.press("question_mark")
        screens.append(app.export_screenshot())
    assert all(SECRET not in screen for screen in screens)


def test_a_failing_run_does_not_carry_the_secret(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Genesys out of reach after every retry: one line, exit 4, and the log says no more."""
    log = tmp_path / "q.log"
    argv = ["snapshot", "--region", "http://127.0.0.1:9", "--log-file", str(log)]
    assert main(argv, env=env_for(), clock=jumping()) == 4
    out, err = capsys.readouterr()
    assert "Traceback" not in err and len(err.strip().splitlines()) == 4, "three retries, then why"
    assert SECRET not in out + err + log.read_text()
