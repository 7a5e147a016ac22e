"""Settings, from flags > environment > config file > defaults, into frozen dataclasses.

The config file is TOML, at ``queuewatch config path`` (the platform's config dir), or wherever
``--config`` / ``QUEUEWATCH_CONFIG`` point. Every top-level key is optional::

    region = "eu-west-1"            # a region name, a domain, or a base URL
    interval = 5                    # seconds between live polls (1 to 3600)
    timezone = "Europe/London"      # whose midnight starts "today" (default: this machine's)
    filter = ""                     # the name filter the dashboard starts with
    queues = "Sales*"               # only list queues whose name matches (Genesys pattern)
    divisions = []                  # only queues in these division ids
    batch_size = 100                # queue ids per analytics query (1 to 100)
    concurrency = 4                 # analytics queries in flight at once
    timeout = 15                    # seconds to wait for a reply (1 to 300)
    theme = "textual-dark"          # any Textual theme name
    bell = false                    # ring the terminal bell when a queue becomes critical
    desktop_notify = false          # and ask the terminal for a desktop notification (OSC 9)
    pinned = ["*Priority*"]         # queues always at the top of the table (globs, any case)
    requests_per_minute = 300       # the OAuth token's request allowance to plan the cadence for

    [thresholds]                    # see queuewatch.thresholds
    longest_wait_warn = 60

    [thresholds.media.email]        # one media type's own thresholds
    longest_wait_warn = 14400

Secrets come only from the environment: ``GENESYSCLOUD_OAUTHCLIENT_ID`` /
``GENESYSCLOUD_OAUTHCLIENT_SECRET`` (or ``GENESYS_CLIENT_ID`` / ``GENESYS_CLIENT_SECRET``). A
config file holding a secret is refused, so it cannot end up in a dotfiles repository. The
secret is registered with ``queuewatch.redact`` as soon as it is read, so no log line or crash
report can show it.

Numbers are bounded (``BOUNDS``, the one place each range is declared): a flag and a file value
out of range get the same one line. The file may be saved with a UTF-8 byte order mark.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from queuewatch import redact
from queuewatch.columns import choose_columns
from queuewatch.errors import ConfigError
from queuewatch.regions import resolve_region
from queuewatch.source import DOCUMENTED_ALLOWANCE
from queuewatch.thresholds import Thresholds, thresholds_from_config
from queuewatch.untrusted import clean

ID_VARS = ("GENESYSCLOUD_OAUTHCLIENT_ID", "GENESYS_CLIENT_ID")
SECRET_VARS = ("GENESYSCLOUD_OAUTHCLIENT_SECRET", "GENESYS_CLIENT_SECRET")
REGION_VAR = "GENESYSCLOUD_REGION"
CONFIG_VAR = "QUEUEWATCH_CONFIG"

#: Queue ids per analytics query, at most. Genesys documents no maximum of predicates per query;
#: 100 is what public code uses, and the simulator's limit.
MAX_BATCH_SIZE = 100

FILE_KEYS: dict[str, type | tuple[type, ...]] = {
    "region": str,
    "interval": (int, float),
    "timezone": str,
    "filter": str,
    "queues": str,
    "divisions": list,
    "batch_size": int,
    "concurrency": int,
    "timeout": (int, float),
    "theme": str,
    "bell": bool,
    "desktop_notify": bool,
    "pinned": list,
    "columns": list,
    "requests_per_minute": int,
    "thresholds": dict,
}


@dataclass(frozen=True, slots=True)
class Bound:
    """The range a numeric setting must fall in (inclusive), whether from a flag or the file."""

    low: float
    high: float
    integer: bool = False
    unit: str = ""

    def describe(self) -> str:
        kind = "a whole number" if self.integer else "a number"
        unit = f" {self.unit}" if self.unit else ""
        return f"{kind} from {self.low:g} to {self.high:g}{unit}"

    def check(self, value: object) -> float | int:
        """``value`` (a number, or the text of a flag) as a number in range; ValueError if not."""
        # A flag's text is quoted ('abc'); a number from the file is shown as a number.
        if isinstance(value, str):
            shown = repr(value)
        else:
            shown = f"{value:g}" if isinstance(value, float) else str(value)
        try:
            if isinstance(value, bool):
                raise ValueError
            if self.integer:
                if isinstance(value, float):
                    raise ValueError
                number: float | int = int(value)  # type: ignore[call-overload]
            else:
                number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"must be {self.describe()}, not {shown}") from None
        if not math.isfinite(number) or not self.low <= number <= self.high:
            raise ValueError(f"must be {self.describe()}, not {shown}")
        return number


#: Every bounded numeric setting, flags and file alike.
BOUNDS: dict[str, Bound] = {
    "interval": Bound(1, 3600, unit="seconds"),
    "timeout": Bound(1, 300, unit="seconds"),
    "batch_size": Bound(1, MAX_BATCH_SIZE, integer=True),
    # One thread per query in flight.
    "concurrency": Bound(1, 32, integer=True),
    "requests_per_minute": Bound(1, 100_000, integer=True),
}


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir("queuewatch")) / "config.toml"


@dataclass(frozen=True, slots=True)
class Secret:
    """A value that must never be printed."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret(<hidden>)"

    def __str__(self) -> str:
        return "<hidden>"


@dataclass(frozen=True, slots=True)
class Settings:
    demo: bool = False
    """Run against the built-in simulator instead of Genesys Cloud."""
    region_label: str = "demo"
    """What the status bar calls the org."""
    base_url: str | None = None
    """API base URL; None in demo mode until the simulator starts."""
    client_id: str | None = None
    client_secret: Secret | None = None
    interval: float = 5.0
    """Seconds between live polls."""
    timezone: str = "UTC"
    """The IANA zone whose midnight starts "today", and the zone clocks are shown in."""
    timezone_chosen: bool = False
    """True when ``--timezone`` or the config file named the zone; ``--demo`` otherwise uses its
    simulated centre's zone (where it is late morning now)."""
    filter: str = ""
    queues: str | None = None
    divisions: tuple[str, ...] = ()
    batch_size: int = 100
    """Queue ids per analytics query, 1 to ``MAX_BATCH_SIZE``."""
    concurrency: int = 4
    timeout: float = 15.0
    theme: str | None = None
    bell: bool = False
    """Ring the terminal bell when a queue becomes critical."""
    desktop_notify: bool = False
    """Also ask the terminal for a desktop notification then (OSC 9)."""
    pinned: tuple[str, ...] = ()
    """Queue name globs (case-insensitive) always shown at the top of the table."""
    columns: tuple[str, ...] = ()
    """The table's columns and their order (field names); empty: all of them."""
    requests_per_minute: int = DOCUMENTED_ALLOWANCE
    """The request allowance per minute to plan the cadence for (Genesys no longer reports it)."""
    thresholds: Thresholds = field(default_factory=Thresholds)
    """From the ``[thresholds]`` table (see ``queuewatch.thresholds``)."""
    seed: int = 7
    """Demo simulator seed."""


def local_timezone(env: Mapping[str, str]) -> str:
    """This machine's IANA zone name: $TZ, else /etc/localtime's target, else UTC."""
    candidates = [env.get("TZ", "").lstrip(":")]
    try:
        target = os.readlink("/etc/localtime")
        candidates.append(target.split("zoneinfo/", 1)[-1] if "zoneinfo/" in target else "")
    except OSError:
        pass
    for name in candidates:
        if name:
            try:
                ZoneInfo(name)
                return name
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return "UTC"


def check_timezone(name: str, source: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{source}: unknown time zone {name!r}: use an IANA name such as Europe/London"
        ) from None
    return name


def _line_of(text: str, key: str) -> str:
    match = re.search(rf"^[ \t]*{re.escape(key)}[ \t]*=", text, re.MULTILINE)
    return f" (line {text.count(chr(10), 0, match.start()) + 1})" if match else ""


def load_file(path: Path, *, required: bool) -> tuple[dict[str, Any], str]:
    """Read and check the config file; ({}, "") if it does not exist and is not required."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if required:
            raise ConfigError(
                f"config file {path} does not exist: create it with `queuewatch config init`"
            ) from None
        return {}, ""
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ConfigError(f"cannot read config file {path}: {reason}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ConfigError(f"{path} (line {line}): not UTF-8 text: save the file as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error}") from None
    for key, value in data.items():
        if key in ("client_secret", "secret", "client_id", "token"):
            raise ConfigError(
                f"{path}{_line_of(text, key)}: {key} does not belong in a file: set "
                f"{ID_VARS[0]} and {SECRET_VARS[0]} in the environment"
            )
        if key not in FILE_KEYS:
            known = ", ".join(sorted(FILE_KEYS))
            raise ConfigError(f"{path}{_line_of(text, key)}: unknown key {key!r}; known keys: {known}")
        expected = FILE_KEYS[key]
        if expected is bool:
            if not isinstance(value, bool):
                raise ConfigError(f"{path}{_line_of(text, key)}: {key} must be true or false")
        elif isinstance(value, bool) or not isinstance(value, expected):
            names: dict[type, str] = {str: "a string", int: "an integer", list: "a list", dict: "a table"}
            want = "a number" if isinstance(expected, tuple) else names[expected]
            raise ConfigError(f"{path}{_line_of(text, key)}: {key} must be {want}")
    return data, text


def _thresholds(data: Mapping[str, Any], text: str, where: str) -> Thresholds:
    table = data.get("thresholds")
    if table is None:
        return Thresholds()
    try:
        return thresholds_from_config(table)
    except ConfigError as error:
        key = error.message.split(" ", 1)[0].rsplit(".", 1)[-1]
        raise ConfigError(f"{where}{_line_of(text, key)}: {error.message}") from None


def _columns(data: Mapping[str, Any], text: str, where: str) -> tuple[str, ...]:
    keys = tuple(str(key) for key in data.get("columns", ()))
    try:
        choose_columns(keys)
    except ValueError as error:
        raise ConfigError(f"{where}{_line_of(text, 'columns')}: columns: {error}") from None
    return keys


def _env_first(env: Mapping[str, str], names: tuple[str, ...]) -> tuple[str, str] | None:
    for name in names:
        if name in env:
            return name, env[name]
    return None


def _number(value: Any, name: str, source: str) -> Any:
    try:
        return BOUNDS[name].check(value)
    except ValueError as error:
        raise ConfigError(f"{source}: {name} {error}") from None


def _check_credential(name: str, value: str) -> None:
    if not value.strip():
        raise ConfigError(f"{name} is set but empty: give it the OAuth client's value")
    if not (value.isascii() and value.strip().isprintable()):
        raise ConfigError(
            f"{name} holds characters an OAuth client value never has (only printable ASCII): "
            "copy it again from Genesys Cloud"
        )


def check_theme(name: str, known: Collection[str], source: str) -> str:
    """``name`` if it is one of the ``known`` themes; ConfigError naming them if not."""
    if name not in known:
        shown = redact.one_line(name, 60)
        raise ConfigError(f"{source}: unknown theme {shown!r}; known themes: {', '.join(sorted(known))}")
    return name


def build_settings(
    flags: Mapping[str, Any],
    env: Mapping[str, str],
    *,
    needs_credentials: bool = True,
    themes: Collection[str] | None = None,
) -> Settings:
    """Combine flags (argparse values, None where not given), environment and the config file.

    ``themes``, when given, are the theme names the dashboard knows; another theme is refused.
    """
    config_flag = flags.get("config") or env.get(CONFIG_VAR)
    path = Path(config_flag).expanduser() if config_flag else default_config_path()
    data, text = load_file(path, required=bool(config_flag))
    where = str(path)

    def pick(name: str, flag: str | None = None) -> tuple[Any, str]:
        value = flags.get(flag or name)
        if value is not None:
            return value, f"--{(flag or name).replace('_', '-')}"
        if name in data:
            return data[name], f"{where}{_line_of(text, name)}"
        return None, ""

    interval, source = pick("interval")
    batch_size, bsource = pick("batch_size")
    concurrency, csource = pick("concurrency")
    timeout, tsource = pick("timeout")
    tz, tzsource = pick("timezone")
    allowance, asource = pick("requests_per_minute")
    theme, theme_source = pick("theme")
    if theme is not None and themes is not None:
        check_theme(str(theme), themes, theme_source)
    demo = bool(flags.get("demo"))

    settings: dict[str, Any] = {
        "demo": demo,
        "interval": _number(interval, "interval", source) if interval is not None else 5.0,
        "batch_size": _number(batch_size, "batch_size", bsource) if batch_size is not None else 100,
        "concurrency": _number(concurrency, "concurrency", csource) if concurrency is not None else 4,
        "timeout": _number(timeout, "timeout", tsource) if timeout is not None else 15.0,
        "timezone": check_timezone(tz, tzsource) if tz is not None else local_timezone(env),
        "timezone_chosen": tz is not None,
        "filter": clean(pick("filter")[0] or ""),
        "queues": pick("queues")[0],
        "divisions": tuple(str(d) for d in data.get("divisions", ())),
        "theme": theme,
        "bell": bool(pick("bell")[0]),
        "desktop_notify": bool(pick("desktop_notify")[0]),
        "pinned": tuple(clean(p) for p in data.get("pinned", ())),
        "columns": _columns(data, text, where),
        "requests_per_minute": _number(allowance, "requests_per_minute", asource)
        if allowance is not None
        else DOCUMENTED_ALLOWANCE,
        "thresholds": _thresholds(data, text, where),
        "seed": int(flags.get("seed") or 7),
    }
    if demo:
        return Settings(region_label="demo", **settings)

    region = flags.get("region")
    region_source = "--region"
    if region is None and REGION_VAR in env:
        region, region_source = env[REGION_VAR], REGION_VAR
    if region is None and "region" in data:
        region, region_source = data["region"], where
    if region is None:
        raise ConfigError(
            f"no region: set --region or {REGION_VAR} (e.g. us-east-1), or try `queuewatch --demo`"
        )
    try:
        label, base_url = resolve_region(str(region))
    except ConfigError as error:
        raise ConfigError(f"{region_source}: {error}") from None

    client_id = _env_first(env, ID_VARS)
    client_secret = _env_first(env, SECRET_VARS)
    if needs_credentials:
        if client_id is None or client_secret is None:
            raise ConfigError(
                f"no credentials: set {ID_VARS[0]} and {SECRET_VARS[0]} "
                f"(or {ID_VARS[1]} and {SECRET_VARS[1]}), or try `queuewatch --demo`"
            )
        redact.register_credentials(client_id[1].strip(), client_secret[1].strip())
        for name, value in (client_id, client_secret):
            _check_credential(name, value)
    return Settings(
        region_label=clean(label),
        base_url=base_url,
        client_id=client_id[1].strip() if client_id else None,
        client_secret=Secret(client_secret[1].strip()) if client_secret else None,
        **settings,
    )


EXAMPLE_CONFIG = """\
# queuewatch configuration. Flags override the environment, which overrides this file.
# Credentials never go here: set GENESYSCLOUD_OAUTHCLIENT_ID and GENESYSCLOUD_OAUTHCLIENT_SECRET.

# region = "eu-west-1"          # region name, domain (mypurecloud.ie) or base URL
# interval = 5                  # seconds between live polls (1 to 3600)
# timezone = "Europe/London"    # whose midnight starts "today"; default: this machine's zone
# filter = ""                   # the name filter the dashboard starts with
# queues = "Sales*"             # list only queues whose name matches (Genesys pattern)
# divisions = []                # list only queues in these division ids
# batch_size = 100              # queue ids per analytics query (1 to 100)
# concurrency = 4               # analytics queries in flight at once
# timeout = 15                  # seconds to wait for a reply (1 to 300)
# theme = "textual-dark"        # any Textual theme
# bell = false                  # ring the terminal bell when a queue becomes critical
# desktop_notify = false        # and ask the terminal for a desktop notification (OSC 9)
# pinned = ["*VIP*"]           # queues always at the top of the table (globs, any case)
# columns = ["name", "waiting", "longest_wait_s", "idle", "service_level"]  # shown, in order
# requests_per_minute = 300     # the token's request allowance (Genesys's documented default)

# Voice's and callback's thresholds, and every media type's unless it has its own.
[thresholds]
# longest_wait_warn = 60        # seconds
# longest_wait_critical = 180
# waiting_warn = 5
# waiting_critical = 15
# abandon_rate_warn = 0.05      # 0-1
# abandon_rate_critical = 0.10
# service_level_target = 0.8    # used when a queue has no target of its own
# service_level_margin = 0.2    # critical when this far below the target
# no_agents_critical = true     # waiting with no agent idle is critical
# not_responding_warn = 1       # agents of the queue in Not Responding
# not_responding_critical = 3

# One media type's own thresholds (voice, chat, email, message, callback). Built in: chat and
# message 120 / 300 s; email 4 h / 8 h, waiting 25 / 100, and no agent idle not flagged.
# [thresholds.media.email]
# longest_wait_warn = 14400     # 4 h
# longest_wait_critical = 28800 # 8 h

# Overrides by queue name (glob, case-insensitive); the first match wins, per setting.
# [[thresholds.queue]]
# match = "*VIP*"
# media = ["voice"]             # optional: only these media types (default: all)
# longest_wait_warn = 20
# longest_wait_critical = 60
"""
