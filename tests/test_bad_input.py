"""Bad input gets one line and a usage exit code, never a traceback: numeric bounds (flags and the
file alike), an unknown theme, a config directory that cannot be made, a file's encoding, and a
region URL carrying a user name and password."""

from __future__ import annotations

from pathlib import Path

import pytest

from queuewatch import cli
from queuewatch.cli import main
from queuewatch.config import BOUNDS, build_settings
from queuewatch.errors import ConfigError
from queuewatch.regions import resolve_region
from queuewatch.simulator import SimulatorServer

ENV = {"GENESYSCLOUD_OAUTHCLIENT_ID": "id", "GENESYSCLOUD_OAUTHCLIENT_SECRET": "S3CRET-input-value"}


def run(capsys: pytest.CaptureFixture[str], *argv: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Exit code and stderr of ``queuewatch argv``; a usage error's SystemExit counts as its code."""
    try:
        code = main(list(argv), env=ENV if env is None else env)
    except SystemExit as exit:
        code = int(exit.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, err


def one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


# --- numeric bounds ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "value", "expected"),
    [
        ("--timeout", "1e10", "must be a number from 1 to 300 seconds, not '1e10'"),
        ("--timeout", "0", "must be a number from 1 to 300 seconds, not '0'"),
        ("--timeout", "0.5", "must be a number from 1 to 300 seconds, not '0.5'"),
        ("--timeout", "nan", "must be a number from 1 to 300 seconds, not 'nan'"),
        ("--timeout", "inf", "must be a number from 1 to 300 seconds, not 'inf'"),
        ("--timeout", "soon", "must be a number from 1 to 300 seconds, not 'soon'"),
        ("--interval", "0", "must be a number from 1 to 3600 seconds, not '0'"),
        ("--interval", "0.5", "must be a number from 1 to 3600 seconds, not '0.5'"),
        ("--interval", "3601", "must be a number from 1 to 3600 seconds, not '3601'"),
        ("--interval", "-inf", "must be a number from 1 to 3600 seconds, not '-inf'"),
        ("--batch-size", "0", "must be a whole number from 1 to 100, not '0'"),
        ("--batch-size", "101", "must be a whole number from 1 to 100, not '101'"),
        ("--batch-size", "2.5", "must be a whole number from 1 to 100, not '2.5'"),
    ],
)
def test_numeric_flags_are_bounded_with_one_line(
    flag: str, value: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = run(capsys, "snapshot", "--demo", f"{flag}={value}")
    assert code == 2
    assert one_line(err) == (
        f"queuewatch snapshot: argument {flag}: {expected} (see queuewatch snapshot --help)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("timeout = 1e10\n", "(line 1): timeout must be a number from 1 to 300 seconds, not 1e+10"),
        ("\ninterval = 0.5\n", "(line 2): interval must be a number from 1 to 3600 seconds, not 0.5"),
        ("interval = inf\n", "(line 1): interval must be a number from 1 to 3600 seconds, not inf"),
        ("concurrency = 100000\n", "(line 1): concurrency must be a whole number from 1 to 32, not 100000"),
    ],
)
def test_the_file_has_the_same_bounds_as_the_flags(
    text: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    code, err = run(capsys, "snapshot", "--demo", "--config", str(path))
    assert code == 2
    assert one_line(err) == f"queuewatch: {path} {expected}"


def test_the_bounds_hold_at_their_edges() -> None:
    assert [BOUNDS["timeout"].check(v) for v in ("1", "300", 15)] == [1.0, 300.0, 15.0]
    assert [BOUNDS["interval"].check(v) for v in ("1", "3600")] == [1.0, 3600.0]
    assert BOUNDS["batch_size"].check("100") == 100
    with pytest.raises(ValueError, match="whole number"):
        BOUNDS["concurrency"].check(True)


@pytest.mark.parametrize("speed", ["inf", "nan", "-1", "1e6"])
def test_simulate_speed_is_finite_and_bounded(speed: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(capsys, "simulate", "--port", "0", "--speed", speed)
    assert code == 2
    assert one_line(err).startswith("queuewatch: --speed must be from 0 to 1000 (simulated seconds per real")


@pytest.mark.parametrize("speed", [0.0, 1000.0])
def test_simulate_speed_at_its_edges_is_accepted(speed: float) -> None:
    from queuewatch.simulator.cli import build_server

    parser = cli.build_parser()
    args = parser.parse_args(["simulate", "--port", "0", "--speed", str(speed)])
    server = build_server(args)
    try:
        assert server.centre.speed == speed
    finally:
        server._httpd.server_close()


# --- the theme ---------------------------------------------------------------------------------------


def test_an_unknown_theme_is_one_line_naming_the_known_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('interval = 5\ntheme = "nonexistent"\n')
    code, err = run(capsys, "--demo", "--config", str(path))
    assert code == 2
    line = one_line(err)
    assert line.startswith(f"queuewatch: {path} (line 2): unknown theme 'nonexistent'; known themes: ")
    assert "textual-dark" in line and "nord" in line


def test_a_known_theme_passes_and_only_the_dashboard_checks(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('theme = "nord"\n')
    settings = build_settings({"demo": True, "config": str(path)}, {}, themes={"nord"})
    assert settings.theme == "nord"
    path.write_text('theme = "nonexistent"\n')
    assert build_settings({"demo": True, "config": str(path)}, {}).theme == "nonexistent"


# --- config init -------------------------------------------------------------------------------------


def test_config_init_with_a_file_in_the_way_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(blocker))
    code, err = run(capsys, "config", "init")
    assert code == 2
    line = one_line(err)
    assert line.startswith(f"queuewatch: cannot write {blocker}/queuewatch/config.toml: ")
    assert line.endswith("make its directory writable, or set QUEUEWATCH_CONFIG elsewhere")


def test_config_init_in_a_read_only_place_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(self: Path, *args: object, **kwargs: object) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "write_text", refuse)
    code, err = run(capsys, "config", "init")
    assert code == 2
    assert ": Permission denied: make its directory writable" in one_line(err)


# --- the config file's encoding ------------------------------------------------------------------------


def test_a_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes('\ufeffinterval = 7\ntheme = "nord"\n'.encode())
    settings = build_settings({"demo": True, "config": str(path)}, {})
    assert (settings.interval, settings.theme) == (7.0, "nord")


def test_a_file_that_is_not_utf8_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"interval = 7\n\n# caf\xe9 au lait\n")
    code, err = run(capsys, "snapshot", "--demo", "--config", str(path))
    assert code == 2
    assert one_line(err) == f"queuewatch: {path} (line 3): not UTF-8 text: save the file as UTF-8"


# --- a region with a user name and password ---------------------------------------------------------


@pytest.mark.parametrize(
    "region",
    [
        "https://admin:Pa55word@api.mypurecloud.ie",
        "http://admin:Pa55word@127.0.0.1:8765",
        "admin:Pa55word@mypurecloud.ie",
        "ftp://admin:Pa55word@example.com",
    ],
)
def test_a_region_with_userinfo_is_refused_without_being_repeated(region: str) -> None:
    with pytest.raises(ConfigError) as raised:
        resolve_region(region)
    assert "Pa55word" not in raised.value.message and "admin" not in raised.value.message
    assert "user name or password" in raised.value.message


@pytest.mark.parametrize("command", ["doctor", "snapshot"])
def test_doctor_and_snapshot_never_echo_a_region_password(
    command: str, sim: SimulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    region = sim.base_url.replace("http://", "http://admin:Pa55word@")
    code, err = run(capsys, command, "--region", region)
    assert code == 2
    assert "Pa55word" not in err and "user name or password" in one_line(err)
    code, err = run(capsys, command, env={**ENV, "GENESYSCLOUD_REGION": region})
    assert code == 2 and "Pa55word" not in err


def test_a_source_label_never_shows_userinfo(sim: SimulatorServer) -> None:
    from queuewatch.genesys import Credentials, GenesysSource, SourceSettings

    url = sim.base_url.replace("http://", "http://admin:Pa55word@")
    source = GenesysSource(SourceSettings(base_url=url, read_timeout=2.0), Credentials("id", "secret-value"))
    try:
        assert source.label == sim.base_url.removeprefix("http://")
    finally:
        source.close()


def test_an_invalid_url_is_one_line() -> None:
    with pytest.raises(ConfigError, match=r"region URL 'http://\[::1' is not a valid URL"):
        resolve_region("http://[::1")


def test_credentials_that_cannot_be_sent_are_refused_at_once() -> None:
    env = {**ENV, "GENESYSCLOUD_OAUTHCLIENT_SECRET": "sécret-value"}
    with pytest.raises(ConfigError, match="only printable ASCII"):
        build_settings({"region": "us-east-1"}, env)
