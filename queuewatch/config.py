"""Settings, from flags > environment > config file > defaults, into frozen dataclasses.

Each setting is declared once, as a field of :class:`Settings`: its type, its default, and (through
:func:`setting`) what it does, its config-file key, its flag, its range and an example. Everything
else is read from there: the file's keys and their types (``FILE_KEYS``), the ranges
(``BOUNDS``), the commented example that ``queuewatch config init`` writes (``EXAMPLE_CONFIG``,
also the README's configuration block, which a test holds to it), the flags' help, and
:func:`build_settings`, which reads each one from its flag, variable or key.

The config file is TOML, at ``queuewatch config path`` (the platform's config dir), or wherever
``--config`` / ``QUEUEWATCH_CONFIG`` point. Every key is optional; ``[thresholds]`` is
``queuewatch.thresholds``' to read.

Secrets come only from the environment: ``GENESYSCLOUD_OAUTHCLIENT_ID`` /
``GENESYSCLOUD_OAUTHCLIENT_SECRET`` (or ``GENESYS_CLIENT_ID`` / ``GENESYS_CLIENT_SECRET``). A
config file holding a secret is refused, so it cannot end up in a dotfiles repository. The
secret is registered with ``queuewatch.redact`` as soon as it is read, so no log line or crash
report can show it.

A number out of its range gets the same one line from a flag and from the file. The file may be
saved with a UTF-8 byte order mark.
"""

from __future__ import annotations

import contextlib
import math
import re
import tomllib
import types
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
import tzlocal

from queuewatch import redact
from queuewatch.columns import COLUMN_ALIASES, COLUMNS, TREND, choose_columns
from queuewatch.errors import ConfigError
from queuewatch.regions import resolve_region
from queuewatch.source import DOCUMENTED_ALLOWANCE, LIVE_MODES
from queuewatch.thresholds import Thresholds, thresholds_from_config
from queuewatch.untrusted import clean

ID_VARS = ("GENESYSCLOUD_OAUTHCLIENT_ID", "GENESYS_CLIENT_ID")
SECRET_VARS = ("GENESYSCLOUD_OAUTHCLIENT_SECRET", "GENESYS_CLIENT_SECRET")
REGION_VAR = "GENESYSCLOUD_REGION"
CONFIG_VAR = "QUEUEWATCH_CONFIG"

#: Queue ids per analytics query, at most. Genesys documents no maximum of predicates per query;
#: 100 is what public code uses, and the simulator's limit.
MAX_BATCH_SIZE = 100


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


@dataclass(frozen=True)
class _Reading:
    """What reading a value may need besides the value: the file (for line numbers), the
    environment, and the theme names the dashboard knows (None: any)."""

    where: str
    text: str
    env: Mapping[str, str]
    themes: Collection[str] | None


#: How a setting's value (from a flag, the environment or the file) becomes the setting:
#: ``(value, source, reading) -> setting``, ``source`` naming where it came from for messages.
Reader = Callable[[Any, str, _Reading], Any]


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting, as its field of ``Settings`` declares it (see ``setting``)."""

    name: str
    """The field of ``Settings``."""
    doc: str
    """What it does, in a few words: the example config's comment and the flag's help."""
    default: Any
    key: str | None
    """Its key in the config file; None: not in the file."""
    flag: str | None
    """Its command-line flag (``--interval``); None: none."""
    env: str | None
    """An environment variable it is read from, between the flag and the file."""
    bound: Bound | None
    example: str | None
    """The TOML value the example config shows; None: left out of the example."""
    default_text: str | None
    """How the default is said when it is not a plain value (``this machine's``)."""
    reader: Reader | None
    toml: tuple[type, ...]
    """The TOML types the file may give."""

    @property
    def default_shown(self) -> str:
        """The default as the flags' help says it."""
        if self.default_text is not None:
            return self.default_text
        if isinstance(self.default, bool):
            return "on" if self.default else "off"
        return f"{self.default:g}" if isinstance(self.default, float) else str(self.default)

    @property
    def described(self) -> str:
        """``doc``, with the range when the setting has one."""
        if self.bound is None:
            return self.doc
        return f"{self.doc} ({self.bound.low:g} to {self.bound.high:g})"

    def read(self, value: Any, source: str, reading: _Reading) -> Any:
        if self.bound is not None:
            return _number(value, self.name, source)
        if self.reader is not None:
            return self.reader(value, source, reading)
        return value


def setting(
    default: Any,
    doc: str,
    *,
    example: str | None = None,
    key: str | None = "",
    flag: str | None = None,
    env: str | None = None,
    bound: Bound | None = None,
    default_text: str | None = None,
    reader: Reader | None = None,
    factory: Callable[[], Any] | None = None,
) -> Any:
    """Declare a field of ``Settings`` as a setting: ``key`` defaults to the field's name (None:
    not in the config file), ``example`` is the TOML shown for it in the example config."""
    metadata = {
        "setting": {
            "doc": doc,
            "example": example,
            "key": key,
            "flag": flag,
            "env": env,
            "bound": bound,
            "default_text": default_text,
            "reader": reader,
        }
    }
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


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


def _timezone(value: Any, source: str, _: _Reading) -> str:
    return check_timezone(str(value), source)


def _theme(value: Any, source: str, reading: _Reading) -> str:
    return check_theme(str(value), reading.themes, source) if reading.themes is not None else str(value)


def _cleaned(value: Any, source: str, _: _Reading) -> str:
    return clean(value)


def _strings(value: Any, source: str, _: _Reading) -> tuple[str, ...]:
    return tuple(str(item) for item in value)


def _cleaned_strings(value: Any, source: str, _: _Reading) -> tuple[str, ...]:
    return tuple(clean(item) for item in value)


def _columns(value: Any, source: str, _: _Reading) -> tuple[str, ...]:
    keys = tuple(str(key) for key in value)
    try:
        choose_columns(keys)
    except ValueError as error:
        raise ConfigError(f"{source}: columns: {error}") from None
    return keys


def _thresholds(value: Any, source: str, reading: _Reading) -> Thresholds:
    try:
        return thresholds_from_config({"thresholds": value})
    except ConfigError as error:
        key = error.message.split(" ", 1)[0].rsplit(".", 1)[-1]
        raise ConfigError(f"{reading.where}{_line_of(reading.text, key)}: {error.message}") from None


def _flag_on(value: Any, source: str, _: _Reading) -> bool:
    return bool(value)


def _whole(value: Any, source: str, _: _Reading) -> int:
    return int(value)


def _live(value: Any, source: str, _: _Reading) -> str:
    if value not in LIVE_MODES:
        raise ConfigError(f"{source}: live must be one of {', '.join(LIVE_MODES)}, not {value!r}")
    return str(value)


_COLUMN_KEYS = ", ".join(column.key for column in COLUMNS)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything queuewatch is told. The fields declared with ``setting`` are the settings (in the
    example config's order); the others are worked out from them."""

    region: str | None = setting(
        None,
        "region name, domain (mypurecloud.ie) or base URL",
        example='"eu-west-1"',
        flag="--region",
        env=REGION_VAR,
        default_text=f"${REGION_VAR}, then the config file",
        reader=lambda value, source, _: str(value),
    )
    interval: float = setting(
        5.0,
        "seconds between live polls",
        example="5",
        flag="--interval",
        bound=Bound(1, 3600, unit="seconds"),
    )
    timezone: str = setting(
        "UTC",
        'whose midnight starts "today", and the zone clocks are shown in',
        example='"Europe/London"',
        flag="--timezone",
        default_text="this machine's",
        reader=_timezone,
    )
    filter: str = setting(
        "",
        "the name filter the dashboard starts with",
        example='""',
        flag="--filter",
        default_text="all",
        reader=_cleaned,
    )
    queue_name_pattern: str | None = setting(
        None,
        "list only queues whose name matches (Genesys pattern, server side)",
        example='"Sales*"',
        key="queues",
    )
    divisions: tuple[str, ...] = setting(
        (), "list only queues in these division ids", example="[]", reader=_strings
    )
    batch_size: int = setting(
        100,
        "queue ids per analytics query",
        example="100",
        flag="--batch-size",
        bound=Bound(1, MAX_BATCH_SIZE, integer=True),
    )
    concurrency: int = setting(
        4,
        "analytics queries in flight at once",
        example="4",
        # One thread per query in flight.
        bound=Bound(1, 32, integer=True),
    )
    requests_per_minute: int = setting(
        DOCUMENTED_ALLOWANCE,
        "the OAuth token's request allowance the cadence is planned for; Genesys no longer reports it",
        example=str(DOCUMENTED_ALLOWANCE),
        bound=Bound(1, 100_000, integer=True),
    )
    live: str = setting(
        "auto",
        "live figures by push, polling when push cannot be had (auto), or only push, or only poll",
        example='"auto"',
        flag="--live",
        reader=_live,
    )
    push_today_every: float = setting(
        60.0,
        "seconds between fetches of today's figures while live figures come by push",
        example="60",
        bound=Bound(10, 3600, unit="seconds"),
    )
    timeout: float = setting(
        15.0,
        "seconds to wait for a reply",
        example="15",
        flag="--timeout",
        bound=Bound(1, 300, unit="seconds"),
    )
    theme: str | None = setting(
        None,
        "any Textual theme (an unknown one is refused with the known ones)",
        example='"textual-dark"',
        reader=_theme,
    )
    bell: bool = setting(
        False,
        "ring the terminal bell when a queue becomes critical",
        example="false",
        flag="--bell",
        reader=_flag_on,
    )
    desktop_notify: bool = setting(
        False,
        "also ask the terminal for a desktop notification then (OSC 9; works over SSH)",
        example="false",
        flag="--desktop-notify",
        reader=_flag_on,
    )
    pinned: tuple[str, ...] = setting(
        (),
        "queues always at the top of the table, whatever the sort (globs, any case)",
        example='["*VIP*", "Retention"]',
        reader=_cleaned_strings,
    )
    columns: tuple[str, ...] = setting(
        (),
        "the table's columns and their order (default: all); the keys are "
        f"{_COLUMN_KEYS}, and the optional {TREND} (a sparkline of waiting over the last 30 minutes); "
        + ", ".join(f'"{old}", the former name of {new},' for old, new in COLUMN_ALIASES.items())
        + " is still accepted",
        example='["name", "waiting", "longest_wait_s", "idle", "abandon_rate", "service_level"]',
        reader=_columns,
    )
    thresholds: Thresholds = setting(  # noqa: RUF009 - a field with a default factory
        None,
        "the thresholds: the [thresholds] tables below (see queuewatch.thresholds)",
        factory=Thresholds,
        reader=_thresholds,
    )
    seed: int = setting(7, "demo simulator seed", key=None, flag="--seed", reader=_whole)

    demo: bool = False
    """Run against the built-in simulator instead of Genesys Cloud."""
    region_label: str = "demo"
    """What the status bar calls the org."""
    base_url: str | None = None
    """API base URL; None in demo mode until the simulator starts."""
    client_id: str | None = None
    client_secret: Secret | None = None
    timezone_chosen: bool = False
    """True when ``--timezone`` or the config file named the zone; ``--demo`` otherwise uses its
    simulated centre's zone (where it is late morning now)."""


def _toml_types(hint: Any) -> tuple[type, ...]:
    """The TOML types that give a field of this type."""
    if isinstance(hint, types.UnionType):
        return tuple(t for arg in hint.__args__ if arg is not type(None) for t in _toml_types(arg))
    origin = getattr(hint, "__origin__", hint)
    if origin is float:
        return (int, float)
    if origin in (tuple, list):
        return (list,)
    if origin in (str, int, bool):
        return (origin,)
    return (dict,)


def _settings() -> tuple[Setting, ...]:
    hints = get_type_hints(Settings)
    found = []
    for spec in fields(Settings):
        declared = spec.metadata.get("setting")
        if declared is None:
            continue
        factory = spec.default_factory
        default = factory() if callable(factory) else spec.default
        key = spec.name if declared["key"] == "" else declared["key"]
        found.append(
            Setting(
                name=spec.name,
                default=default,
                toml=_toml_types(hints[spec.name]),
                **{**declared, "key": key},
            )
        )
    return tuple(found)


#: Every setting, in the example config's order.
SETTINGS: tuple[Setting, ...] = _settings()
SETTINGS_BY_NAME: Mapping[str, Setting] = {s.name: s for s in SETTINGS}
#: The config file's keys and the TOML types each may have.
FILE_KEYS: Mapping[str, tuple[type, ...]] = {s.key: s.toml for s in SETTINGS if s.key is not None}
#: Every bounded numeric setting, flags and file alike.
BOUNDS: Mapping[str, Bound] = {s.name: s.bound for s in SETTINGS if s.bound is not None}

_TOML_NAMES: Mapping[tuple[type, ...], str] = {
    (int, float): "a number",
    (str,): "a string",
    (int,): "an integer",
    (list,): "a list",
    (dict,): "a table",
}


def local_timezone(env: Mapping[str, str]) -> str:
    """This machine's IANA zone name: $TZ, else the system's own setting as ``tzlocal`` reads it on
    Linux, macOS and Windows alike (Windows names its zones its own way), else UTC."""
    candidates = [env.get("TZ", "").lstrip(":")]
    with contextlib.suppress(ZoneInfoNotFoundError, ValueError, LookupError, OSError):
        candidates.append(tzlocal.get_localzone_name() or "")
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
        if expected == (bool,):
            if not isinstance(value, bool):
                raise ConfigError(f"{path}{_line_of(text, key)}: {key} must be true or false")
        elif isinstance(value, bool) or not isinstance(value, expected):
            raise ConfigError(f"{path}{_line_of(text, key)}: {key} must be {_TOML_NAMES[expected]}")
    return data, text


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
    reading = _Reading(where=str(path), text=text, env=env, themes=themes)

    def given(spec: Setting) -> tuple[Any, str]:
        """The value given for a setting, and where (flag > environment > file); None if none."""
        value = flags.get(spec.name) if spec.flag is not None else None
        if value is not None:
            return value, spec.flag or ""
        if spec.env is not None and spec.env in env:
            return env[spec.env], spec.env
        if spec.key is not None and spec.key in data:
            return data[spec.key], f"{path}{_line_of(text, spec.key)}"
        return None, ""

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for spec in SETTINGS:
        value, sources[spec.name] = given(spec)
        values[spec.name] = spec.default if value is None else spec.read(value, sources[spec.name], reading)
    values["timezone_chosen"] = bool(sources["timezone"])
    if not sources["timezone"]:
        values["timezone"] = local_timezone(env)
    demo = bool(flags.get("demo"))
    if demo:
        return Settings(demo=True, region_label="demo", **values)

    region = values["region"]
    if region is None:
        raise ConfigError(
            f"no region: set --region or {REGION_VAR} (e.g. us-east-1), or try `queuewatch --demo`"
        )
    try:
        label, base_url = resolve_region(region)
    except ConfigError as error:
        raise ConfigError(f"{sources['region']}: {error}") from None

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
        **values,
    )


# --- the example config --------------------------------------------------------------------------------

#: Where the example config's comments start.
_COMMENT_AT = 32
#: Width the example config's comments are wrapped to.
_WIDTH = 100

_EXAMPLE_HEAD = """\
# queuewatch configuration. Flags override the environment, which overrides this file.
# Credentials never go here: set GENESYSCLOUD_OAUTHCLIENT_ID and GENESYSCLOUD_OAUTHCLIENT_SECRET.

"""

#: The [thresholds] part of the example: its keys and defaults are ``thresholds.Rule``'s, which a
#: test holds it to.
_EXAMPLE_THRESHOLDS = """\
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
# not_responding_warn = 1       # agents not responding (they let a conversation ring out)
# not_responding_critical = 3

# One media type's own thresholds: voice, chat, email, message, callback. Built in: chat and
# message 120 / 300 s; email 4 h / 8 h, waiting 25 / 100, and no agent idle not flagged.
# [thresholds.media.email]
# longest_wait_warn = 14400     # 4 h
# longest_wait_critical = 28800 # 8 h

# [thresholds.media.chat]
# longest_wait_warn = 90

# Overrides by queue name (glob, case-insensitive), in order; the first entry that matches wins,
# per setting.
# [[thresholds.queue]]
# match = "*VIP*"
# media = ["voice"]             # optional: only for these media types (default: all of them)
# longest_wait_warn = 20
# longest_wait_critical = 60
"""


def _wrap(words: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in words.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def _example_line(spec: Setting) -> list[str]:
    """A setting's lines in the example config: ``# key = example  # what it does``."""
    assignment = f"# {spec.key} = {spec.example}"
    comment = _wrap(spec.described, _WIDTH - _COMMENT_AT - 2)
    if len(assignment) >= _COMMENT_AT:
        return [assignment] + [f"{'':{_COMMENT_AT}}# {line}" for line in comment]
    first = f"{assignment:{_COMMENT_AT}}# {comment[0]}"
    return [first] + [f"{'':{_COMMENT_AT}}# {line}" for line in comment[1:]]


def example_config() -> str:
    """The commented example config: every setting of the file with an example, then thresholds."""
    lines = [line for spec in SETTINGS if spec.key and spec.example for line in _example_line(spec)]
    return _EXAMPLE_HEAD + "\n".join(lines) + "\n\n" + _EXAMPLE_THRESHOLDS


EXAMPLE_CONFIG = example_config()
