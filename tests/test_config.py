"""Settings from flags > environment > file > defaults, and one clear line for each mistake."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from queuewatch.config import Settings, build_settings, load_file
from queuewatch.errors import ConfigError

CREDS = {"GENESYSCLOUD_OAUTHCLIENT_ID": "id", "GENESYSCLOUD_OAUTHCLIENT_SECRET": "s3cret-value"}


@pytest.fixture(autouse=True)
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the real user's config file out of these tests."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def settings(
    tmp_path: Path,
    flags: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    text: str | None = None,
) -> Settings:
    path = tmp_path / "config.toml"
    if text is not None:
        path.write_text(text)
    merged = {"config": str(path) if text is not None else None, **(flags or {})}
    return build_settings(merged, dict(env or {}))


def test_demo_needs_no_credentials(tmp_path: Path) -> None:
    s = settings(tmp_path, {"demo": True})
    assert s.demo and s.region_label == "demo" and s.client_secret is None


def test_precedence_flags_env_file(tmp_path: Path) -> None:
    text = 'region = "eu-west-1"\ninterval = 9\n'
    s = settings(tmp_path, {}, CREDS, text)
    assert (s.base_url, s.interval) == ("https://api.mypurecloud.ie", 9.0)
    s = settings(tmp_path, {}, {**CREDS, "GENESYSCLOUD_REGION": "us-east-1"}, text)
    assert s.base_url == "https://api.mypurecloud.com"
    s = settings(
        tmp_path, {"region": "eu-central-1", "interval": 2.0}, {**CREDS, "GENESYSCLOUD_REGION": "x"}, text
    )
    assert (s.base_url, s.interval) == ("https://api.mypurecloud.de", 2.0)


def test_alternative_credential_names(tmp_path: Path) -> None:
    env = {"GENESYS_CLIENT_ID": "a", "GENESYS_CLIENT_SECRET": "b", "GENESYSCLOUD_REGION": "us-east-1"}
    s = settings(tmp_path, {}, env)
    assert s.client_id == "a" and s.client_secret is not None and s.client_secret.value == "b"


def test_secret_never_in_repr(tmp_path: Path) -> None:
    s = settings(tmp_path, {"region": "us-east-1"}, CREDS)
    assert "s3cret-value" not in repr(s) and "s3cret-value" not in str(s)


@pytest.mark.parametrize(
    ("flags", "env", "text", "expected"),
    [
        ({}, {"GENESYSCLOUD_REGION": "us-east-1"}, None, "GENESYSCLOUD_OAUTHCLIENT_ID"),
        ({"region": "us-east-1"}, {**CREDS, "GENESYSCLOUD_OAUTHCLIENT_SECRET": "  "}, None, "set but empty"),
        ({}, CREDS, None, "no region"),
        ({"region": "narnia"}, CREDS, None, "use one of"),
        ({"region": "us-east-1"}, CREDS, "interval = 0\n", "interval must be a number from 1 to 3600"),
        ({"region": "us-east-1"}, CREDS, "intervall = 5\n", "line 1): unknown key 'intervall'"),
        ({"region": "us-east-1"}, CREDS, "\n\ninterval = 'fast'\n", "line 3): interval must be a number"),
        ({"region": "us-east-1"}, CREDS, "interval = [\n", "line"),
        ({"region": "us-east-1"}, CREDS, 'client_secret = "x"\n', "does not belong in a file"),
        ({"region": "us-east-1"}, CREDS, 'timezone = "Mars/Olympus"\n', "unknown time zone"),
        (
            {"region": "us-east-1"},
            CREDS,
            "[thresholds]\n\nwaiting_warn = 'lots'\n",
            "line 3): thresholds.waiting_warn",
        ),
    ],
)
def test_bad_input_is_one_line(
    tmp_path: Path, flags: dict[str, Any], env: dict[str, str], text: str | None, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, flags, env, text)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_explicit_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_file(tmp_path / "nope.toml", required=True)
    assert load_file(tmp_path / "nope.toml", required=False) == ({}, "")


def test_the_example_config_is_valid_once_uncommented(tmp_path: Path) -> None:
    from queuewatch.config import EXAMPLE_CONFIG

    lines = []
    for line in EXAMPLE_CONFIG.splitlines():
        body = line[2:] if line.startswith("# ") and ("=" in line or line.startswith("# [")) else line
        lines.append(body.split("#", 1)[0].rstrip())
    s = settings(tmp_path, {}, CREDS, "\n".join(lines))
    assert s.base_url == "https://api.mypurecloud.ie" and s.timezone == "Europe/London"
    vip = s.thresholds.for_queue("Gold VIP line")
    assert vip.for_media("voice").longest_wait_warn == 20
    assert vip.for_media("email").longest_wait_warn == 14400, "the VIP override is for voice only"
    assert s.thresholds.for_queue("Billing").longest_wait_warn == 60


def test_bell_from_flag_or_file_and_off_by_default(tmp_path: Path) -> None:
    assert settings(tmp_path, {"demo": True}).bell is False
    assert settings(tmp_path, {"demo": True}, text="bell = true\n").bell is True
    assert settings(tmp_path, {"demo": True, "bell": True}, text="bell = false\n").bell is True
    with pytest.raises(ConfigError, match=r"config.toml \(line 1\): bell must be true or false"):
        settings(tmp_path, {"demo": True}, text='bell = "yes"\n')


def test_the_bell_flag_reaches_the_settings() -> None:
    from queuewatch.cli import build_parser

    assert vars(build_parser().parse_args(["--demo", "--bell"]))["bell"] is True
    assert "bell" not in vars(build_parser().parse_args(["--demo"]))


def test_pinned_queues_from_the_file(tmp_path: Path) -> None:
    s = settings(tmp_path, {"demo": True}, text='pinned = ["*VIP*", "Billing"]\n')
    assert s.pinned == ("*VIP*", "Billing")
    with pytest.raises(ConfigError, match="pinned must be a list"):
        settings(tmp_path, {"demo": True}, text='pinned = "*VIP*"\n')


def test_columns_from_the_file(tmp_path: Path) -> None:
    s = settings(tmp_path, {"demo": True}, text='columns = ["waiting", "name", "service_level"]\n')
    assert s.columns == ("waiting", "name", "service_level")
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, {"demo": True}, text='\ncolumns = ["name", "queue_depth"]\n')
    message = str(caught.value)
    assert "line 2" in message and "'queue_depth'" in message and "longest_wait_s" in message


def test_desktop_notify_from_flag_or_file(tmp_path: Path) -> None:
    assert settings(tmp_path, {"demo": True}).desktop_notify is False
    assert settings(tmp_path, {"demo": True, "desktop_notify": True}).desktop_notify is True
    assert settings(tmp_path, {"demo": True}, text="desktop_notify = true\n").desktop_notify is True


# --- each setting declared once -----------------------------------------------------------------------


def readme() -> str:
    return (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_the_readme_shows_the_example_config_as_written() -> None:
    from queuewatch.config import EXAMPLE_CONFIG

    text = readme()
    start = text.index("```toml\n", text.index("## Configuration")) + len("```toml\n")
    assert text[start : text.index("```\n", start)] == EXAMPLE_CONFIG


def test_the_example_config_shows_every_key_of_the_file() -> None:
    from queuewatch.config import EXAMPLE_CONFIG, FILE_KEYS, SETTINGS

    shown = set(re.findall(r"^# (\w+) = ", EXAMPLE_CONFIG, re.MULTILINE))
    shown |= {"thresholds"} if "\n[thresholds]\n" in EXAMPLE_CONFIG else set()
    assert shown >= set(FILE_KEYS)
    assert set(FILE_KEYS) == {s.key for s in SETTINGS if s.key is not None}


def test_the_example_thresholds_are_the_defaults() -> None:
    from queuewatch.config import EXAMPLE_CONFIG
    from queuewatch.thresholds import Rule

    top = EXAMPLE_CONFIG.split("\n[thresholds]\n", 1)[1].split("\n\n", 1)[0]
    values = tomllib.loads("\n".join(line[2:].split("#", 1)[0] for line in top.splitlines()))
    defaults = {f.name: getattr(Rule(), f.name) for f in fields(Rule) if f.name != "by_media"}
    assert values == defaults


def test_the_readme_gives_each_flag_its_range_and_default() -> None:
    from queuewatch.config import SETTINGS

    text = " ".join(readme().split())
    for spec in SETTINGS:
        if spec.flag is None or spec.bound is None:
            continue
        said = re.search(rf"`{spec.flag} \w+` \(([^)]*)\)", text)
        assert said is not None, spec.flag
        assert f"{spec.bound.low:g} to {spec.bound.high:g}, default {spec.default:g}" in said.group(1)


def test_each_setting_s_default_is_what_an_empty_config_gives(tmp_path: Path) -> None:
    from queuewatch.config import SETTINGS

    s = settings(tmp_path, {"demo": True}, {"TZ": "UTC"}, "")
    for spec in SETTINGS:
        assert getattr(s, spec.name) == spec.default, spec.name


def test_this_machine_s_zone_comes_from_tz_then_the_system(monkeypatch: pytest.MonkeyPatch) -> None:
    import tzlocal

    from queuewatch.config import local_timezone

    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: "Asia/Tokyo")
    assert local_timezone({"TZ": ":Europe/Paris"}) == "Europe/Paris"
    assert local_timezone({"TZ": "Nowhere/Atlantis"}) == "Asia/Tokyo"
    assert local_timezone({}) == "Asia/Tokyo"

    def unknown() -> str:
        raise LookupError("no zone configured")

    monkeypatch.setattr(tzlocal, "get_localzone_name", unknown)
    assert local_timezone({}) == "UTC"


def test_live_mode_from_flag_or_file_auto_by_default(tmp_path: Path) -> None:
    real = {"region": "us-east-1"}
    assert settings(tmp_path, real, CREDS).live == "auto"
    assert settings(tmp_path, {"demo": True}).live == "auto", "the simulator always offers channels"
    assert settings(tmp_path, real, CREDS, text='live = "poll"\n').live == "poll"
    assert settings(tmp_path, {**real, "live": "push"}, CREDS, text='live = "poll"\n').live == "push"
    with pytest.raises(ConfigError, match=r"config.toml \(line 2\): live must be one of auto, push, poll"):
        settings(tmp_path, real, CREDS, text='\nlive = "websocket"\n')
    assert settings(tmp_path, real, CREDS).push_today_every == 60.0
    assert settings(tmp_path, real, CREDS, text="push_today_every = 120\n").push_today_every == 120.0
    with pytest.raises(ConfigError, match="push_today_every must be a number from 10 to 3600 seconds"):
        settings(tmp_path, real, CREDS, text="push_today_every = 1\n")


def test_the_live_flag_takes_the_three_modes_only() -> None:
    from queuewatch.cli import build_parser

    assert vars(build_parser().parse_args(["--live", "poll"]))["live"] == "poll"
    assert vars(build_parser().parse_args(["snapshot", "--live", "push"]))["live"] == "push"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--live", "sometimes"])
