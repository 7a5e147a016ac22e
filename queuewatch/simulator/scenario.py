"""Contact-centre scenarios for the simulator: which queues exist, who staffs them, what load they get.

A scenario is plain frozen data. :func:`default_scenario` gives a hand-written centre of about forty
queues (a few deliberately understaffed so they breach), :func:`generate_scenario` builds an
arbitrarily large one for scale tests, and :func:`load_scenario` reads one from a file.

Scenario file format (TOML shown; JSON is the same structure as an object)::

    name = "Acme contact centre"          # optional, default: the file name
    timezone = "Europe/London"            # optional IANA zone, default "UTC"

    [[queues]]
    name = "Sales - New Business"         # required, unique, non-empty
    division = "Sales"                    # optional, default "Home"
    division_id = "…uuid…"                # optional, default: uuid5 of the division name
    id = "…uuid…"                         # optional, default: uuid5 of the queue name
    agents = 12                           # required, integer >= 0

    [queues.media.voice]                  # at least one of voice, chat, email, message, callback
    calls_per_hour = 120                  # required, peak-hour arrivals, number >= 0
    aht_s = 300                           # optional, average handle time incl. after-call work (s, > 0)
    patience_s = 120                      # optional, mean caller patience before abandoning (s, > 0)
    sl_percentage = 0.8                   # optional, service-level target ratio, 0..1
    sl_seconds = 20                       # optional, service-level threshold (s, > 0)

Every problem is reported as one :class:`~queuewatch.errors.ConfigError` line naming the file and
the key, e.g. ``scenario.toml: queues[3].agents must be a non-negative integer``.
"""

from __future__ import annotations

import json
import random
import time
import tomllib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from queuewatch.errors import ConfigError

#: Analytics media type names, in the order the simulator reports them.
MEDIA_TYPES: tuple[str, ...] = ("voice", "chat", "email", "message", "callback")

#: Namespace for ids derived from names, so the same name always gets the same id.
ID_NAMESPACE = uuid.UUID("6f1c0a52-3d1e-5b8e-9a57-2c7f4b0d9e31")

_MEDIA_DEFAULTS: dict[str, tuple[float, float, float, float]] = {
    # media: (aht_s, patience_s, sl_percentage, sl_seconds)
    "voice": (300.0, 420.0, 0.8, 20.0),
    "chat": (420.0, 600.0, 0.8, 60.0),
    "email": (600.0, 86_400.0, 0.9, 14_400.0),
    "message": (480.0, 600.0, 0.8, 300.0),
    "callback": (360.0, 3_600.0, 0.8, 900.0),
}


@dataclass(frozen=True)
class MediaLoad:
    """Load of one media type on one queue."""

    #: Arrivals per hour at the busiest time of day.
    calls_per_hour: float
    #: Average handle time in seconds, after-call work included.
    aht_s: float
    #: Mean time a customer waits before giving up, in seconds.
    patience_s: float
    #: Service-level target as a ratio (0.8 = 80 %).
    sl_percentage: float
    #: Answered within this many seconds counts towards the service level.
    sl_seconds: float


@dataclass(frozen=True)
class QueueSpec:
    """One queue: identity, division, staffing and the load of each media type it handles."""

    id: str
    name: str
    division: str
    division_id: str
    agents: int
    media: Mapping[str, MediaLoad]


@dataclass(frozen=True)
class Scenario:
    """A whole contact centre."""

    name: str
    timezone: str
    queues: tuple[QueueSpec, ...]


def name_id(kind: str, name: str) -> str:
    """A stable UUID string for a named thing (``kind`` keeps queue and division ids apart)."""
    return str(uuid.uuid5(ID_NAMESPACE, f"{kind}:{name}"))


def media_load(media: str, calls_per_hour: float, **overrides: float) -> MediaLoad:
    """A :class:`MediaLoad` with that media type's usual handle time, patience and SL target."""
    aht, patience, sl_pct, sl_s = _MEDIA_DEFAULTS[media]
    values = {
        "aht_s": aht,
        "patience_s": patience,
        "sl_percentage": sl_pct,
        "sl_seconds": sl_s,
    }
    values.update(overrides)
    return MediaLoad(calls_per_hour=float(calls_per_hour), **values)


def _queue(name: str, division: str, agents: int, **media: float | MediaLoad) -> QueueSpec:
    loads = {
        kind: value if isinstance(value, MediaLoad) else media_load(kind, value)
        for kind, value in media.items()
    }
    return QueueSpec(
        id=name_id("queue", name),
        name=name,
        division=division,
        division_id=name_id("division", division),
        agents=agents,
        media=MappingProxyType(loads),
    )


def default_scenario() -> Scenario:
    """About forty queues in four divisions.

    Most are staffed for their load; "Sales - Overflow", "Customer Care - Complaints",
    "Billing - Disputes", "Tech Support - Outages" and "Device Returns" are understaffed and breach,
    and "Customer Care - Weekend" has no agents at all.
    """
    sales, care, billing, tech = "Sales", "Customer Care", "Billing & Collections", "Technical Support"
    queues = (
        _queue("Sales - New Business", sales, 47, voice=120, chat=40),
        _queue("Sales - Renewals", sales, 28, voice=60, email=20),
        _queue("Sales - Upgrades", sales, 21, voice=45, chat=20),
        _queue("Sales - Business Accounts", sales, 18, voice=30, email=15),
        _queue("Sales - Web Leads", sales, 20, chat=30, message=15),
        _queue("Sales - Outbound Callbacks", sales, 10, callback=25),
        _queue("[VIP] Sales", sales, 10, voice=25),
        _queue("Sales - Spanish", sales, 7, voice=18),
        _queue("Sales - Overflow", sales, 2, voice=40),
        _queue("Retention", sales, 15, voice=50),
        _queue("Customer Care - General", care, 80, voice=180, chat=60, message=30),
        _queue("Customer Care - Priority", care, 12, voice=35),
        _queue("Customer Care - Complaints", care, 5, voice=20, email=25),
        _queue("Customer Care - Social Media", care, 20, message=40),
        _queue("Customer Care - Email", care, 32, email=60),
        _queue("Customer Care - Callbacks", care, 12, callback=30),
        _queue("Customer Care - Welsh", care, 4, voice=6),
        _queue("Customer Care - Weekend", care, 0, voice=8),
        _queue("お客様サポート 🎧", care, 12, voice=22, chat=10),
        _queue("Moving Home", care, 15, voice=30, email=10),
        _queue("Bereavement Support", care, 5, voice=6),
        _queue("Accessibility Line", care, 5, voice=5),
        _queue("Billing Enquiries", billing, 45, voice=110, email=30),
        _queue("Billing - Payments", billing, 18, voice=60),
        _queue("Billing - Disputes", billing, 4, voice=70),
        _queue("Billing - Refunds", billing, 24, email=35, message=10),
        _queue("Collections - Early Arrears", billing, 15, voice=35, callback=10),
        _queue("Collections - Late Arrears", billing, 8, voice=20),
        _queue("Direct Debits", billing, 8, voice=25),
        _queue("Tech Support - Broadband", tech, 39, voice=100, chat=30),
        _queue("Tech Support - Mobile", tech, 32, voice=80, chat=25),
        _queue("Tech Support - TV", tech, 13, voice=40),
        _queue("Tech Support - Outages", tech, 5, voice=160),
        _queue("Tech Support - Level 2", tech, 12, voice=15, email=10),
        _queue("Tech Support - Chat", tech, 23, chat=55),
        _queue("Engineer Appointments", tech, 16, voice=35, callback=15),
        _queue("Device Returns", tech, 3, email=25, message=10),
        _queue("Business Tech Support", tech, 15, voice=25, email=10),
        _queue("Network Operations Centre", tech, 5, voice=4),
        _queue("Fraud & Security", billing, 7, voice=15),
    )
    return Scenario(name="Demo contact centre", timezone="Europe/London", queues=queues)


_AREAS = (
    "Sales",
    "Customer Care",
    "Billing",
    "Tech Support",
    "Retention",
    "Collections",
    "Claims",
    "Bookings",
    "Returns",
    "Onboarding",
    "Payments",
    "Accounts",
    "Service Desk",
)
_TOPICS = (
    "General",
    "Priority",
    "New Business",
    "Renewals",
    "Complaints",
    "Escalations",
    "Callbacks",
    "Email",
    "Chat",
    "Level 2",
    "Overflow",
    "Spanish",
    "French",
    "German",
    "Business",
    "VIP",
)
_REGIONS = (
    "UK",
    "Ireland",
    "France",
    "Germany",
    "Spain",
    "Nordics",
    "Benelux",
    "Italy",
    "US East",
    "US West",
    "Canada",
    "Brazil",
    "Mexico",
    "Japan",
    "Australia",
    "India",
    "Singapore",
)


def generate_scenario(n_queues: int, seed: int = 0) -> Scenario:
    """A reproducible scenario of ``n_queues`` queues (for scale tests); about 8 % are understaffed."""
    if n_queues < 0:
        raise ValueError("n_queues must be non-negative")
    rng = random.Random(seed)
    n_divisions = min(50, 3 + n_queues // 200)
    divisions = [
        _REGIONS[i % len(_REGIONS)] + ("" if i < len(_REGIONS) else f" {i // len(_REGIONS) + 1}")
        for i in range(n_divisions)
    ]
    queues: list[QueueSpec] = []
    for i in range(n_queues):
        division = divisions[i % n_divisions]
        name = f"{division} {rng.choice(_AREAS)} - {rng.choice(_TOPICS)} {i + 1:04d}"
        media: dict[str, MediaLoad] = {}
        if rng.random() < 0.85:
            media["voice"] = media_load("voice", round(rng.lognormvariate(1.6, 0.6), 1))
        if rng.random() < 0.35 or not media:
            media["chat"] = media_load("chat", round(rng.lognormvariate(1.0, 0.6), 1))
        if rng.random() < 0.2:
            media["email"] = media_load("email", round(rng.lognormvariate(0.8, 0.5), 1))
        if rng.random() < 0.1:
            media["message"] = media_load("message", round(rng.lognormvariate(0.6, 0.5), 1))
        if rng.random() < 0.08:
            media["callback"] = media_load("callback", round(rng.lognormvariate(0.5, 0.5), 1))
        erlangs = sum(load.calls_per_hour * load.aht_s / 3600 for load in media.values())
        factor = rng.uniform(0.4, 0.7) if rng.random() < 0.08 else rng.uniform(1.8, 2.4)
        agents = max(1, round(erlangs * factor + 1 + rng.random()))
        queues.append(
            QueueSpec(
                id=name_id("queue", name),
                name=name,
                division=division,
                division_id=name_id("division", division),
                agents=agents,
                media=MappingProxyType(media),
            )
        )
    return Scenario(
        name=f"Generated ({n_queues} queues, seed {seed})", timezone="Europe/London", queues=tuple(queues)
    )


# --------------------------------------------------------------------------- loading from a file


class _Reader:
    """Validates one scenario document, raising one-line ConfigErrors that name file and key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key} {problem}")

    def table(self, value: object, key: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(key, "must be a table/object")
        return value

    def text(self, value: object, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty string")
        return value

    def number(
        self, value: object, key: str, *, low: float, high: float | None = None, low_inclusive: bool = True
    ) -> float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok:
            number = float(value)  # type: ignore[arg-type]
            ok = (number >= low if low_inclusive else number > low) and (high is None or number <= high)
        if not ok:
            if high is not None:
                raise self.fail(key, f"must be a number from {low:g} to {high:g}")
            raise self.fail(key, f"must be a number {'>=' if low_inclusive else '>'} {low:g}")
        return number

    def uuid_text(self, value: object, key: str) -> str:
        text = self.text(value, key)
        try:
            return str(uuid.UUID(text))
        except ValueError:
            raise self.fail(key, "must be a UUID") from None

    def scenario(self, doc: Mapping[str, Any]) -> Scenario:
        known = {"name", "timezone", "queues"}
        for key in doc:
            if key not in known:
                raise self.fail(str(key), f"is not a known key (expected one of {', '.join(sorted(known))})")
        name = self.text(doc.get("name", self.path.stem), "name")
        timezone = self.text(doc.get("timezone", "UTC"), "timezone")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail("timezone", f"'{timezone}' is not a known IANA time zone") from None
        raw_queues = doc.get("queues")
        if not isinstance(raw_queues, list) or not raw_queues:
            raise self.fail("queues", "must be a non-empty list of queue tables")
        queues = tuple(self.queue(raw, f"queues[{i}]") for i, raw in enumerate(raw_queues))
        seen_names: set[str] = set()
        seen_ids: set[str] = set()
        for i, queue in enumerate(queues):
            if queue.name.casefold() in seen_names:
                raise self.fail(f"queues[{i}].name", f"'{queue.name}' is used by another queue")
            if queue.id in seen_ids:
                raise self.fail(f"queues[{i}].id", f"'{queue.id}' is used by another queue")
            seen_names.add(queue.name.casefold())
            seen_ids.add(queue.id)
        return Scenario(name=name, timezone=timezone, queues=queues)

    def queue(self, raw: object, key: str) -> QueueSpec:
        table = self.table(raw, key)
        known = {"name", "id", "division", "division_id", "agents", "media"}
        for field_name in table:
            if field_name not in known:
                raise self.fail(f"{key}.{field_name}", "is not a known queue key")
        name = self.text(table.get("name"), f"{key}.name")
        division = self.text(table.get("division", "Home"), f"{key}.division")
        queue_id = self.uuid_text(table["id"], f"{key}.id") if "id" in table else name_id("queue", name)
        division_id = (
            self.uuid_text(table["division_id"], f"{key}.division_id")
            if "division_id" in table
            else name_id("division", division)
        )
        agents = table.get("agents")
        if not isinstance(agents, int) or isinstance(agents, bool) or agents < 0:
            raise self.fail(f"{key}.agents", "must be a non-negative integer")
        media_table = self.table(table.get("media"), f"{key}.media")
        if not media_table:
            raise self.fail(f"{key}.media", f"must name at least one of {', '.join(MEDIA_TYPES)}")
        media: dict[str, MediaLoad] = {}
        for kind, load in media_table.items():
            if kind not in MEDIA_TYPES:
                raise self.fail(f"{key}.media.{kind}", f"is not a media type (use {', '.join(MEDIA_TYPES)})")
            media[kind] = self.load(kind, load, f"{key}.media.{kind}")
        return QueueSpec(
            id=queue_id,
            name=name,
            division=division,
            division_id=division_id,
            agents=agents,
            media=MappingProxyType(media),
        )

    def load(self, kind: str, raw: object, key: str) -> MediaLoad:
        table = self.table(raw, key)
        known = {"calls_per_hour", "aht_s", "patience_s", "sl_percentage", "sl_seconds"}
        for field_name in table:
            if field_name not in known:
                raise self.fail(f"{key}.{field_name}", "is not a known media key")
        if "calls_per_hour" not in table:
            raise self.fail(f"{key}.calls_per_hour", "is required")
        aht, patience, sl_pct, sl_s = _MEDIA_DEFAULTS[kind]
        return MediaLoad(
            calls_per_hour=self.number(table["calls_per_hour"], f"{key}.calls_per_hour", low=0),
            aht_s=self.number(table.get("aht_s", aht), f"{key}.aht_s", low=0, low_inclusive=False),
            patience_s=self.number(
                table.get("patience_s", patience), f"{key}.patience_s", low=0, low_inclusive=False
            ),
            sl_percentage=self.number(
                table.get("sl_percentage", sl_pct), f"{key}.sl_percentage", low=0, high=1
            ),
            sl_seconds=self.number(
                table.get("sl_seconds", sl_s), f"{key}.sl_seconds", low=0, low_inclusive=False
            ),
        )


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario from a ``.toml`` or ``.json`` file (format in the module docstring)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"{path}: cannot read scenario file ({reason})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text") from None
    doc: object
    if path.suffix.lower() == ".json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    else:
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    reader = _Reader(path)
    if not isinstance(doc, Mapping):
        raise ConfigError(f"{path}: the top level must be a table/object")
    return reader.scenario(doc)


def during_business_hours(scenario: Scenario, now: float | None = None, hour: int = 11) -> Scenario:
    """The same scenario, placed in a time zone where it is about ``hour`` o'clock now.

    The demo uses this so that whoever tries it, whenever, sees a contact centre at work rather
    than an empty one at night. Timestamps stay real; only the local day moves.
    """
    utc_hour = datetime.fromtimestamp(time.time() if now is None else now, UTC).hour
    offset = (hour - utc_hour + 12) % 24 - 12  # -12 .. +11
    # POSIX-style names: Etc/GMT-3 is three hours *ahead* of UTC.
    zone = "Etc/UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"
    return replace(scenario, timezone=zone)
