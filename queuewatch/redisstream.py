"""The collector's stream in Redis: where it lives, how to reach it, how entries go in and come out.

Keys (``prefix`` ``queuewatch``, one ``org`` per collector, ``default`` unless named):

- ``queuewatch:<org>:stream``: a Redis stream of ``stream`` entries (fields ``v``, ``k``, ``d``),
  trimmed by time (``XADD … MINID ~``, 48 hours by default). Entry ids are the recorded time in
  milliseconds (``<ms>-*``), so a replay seeks by time with ``XREVRANGE``.
- ``queuewatch:<org>:latest``: a hash holding the latest picture whole (the same fields as a
  ``full`` entry, and ``id``, the stream entry it stands for), so a viewer is whole at once and
  then reads the stream after ``id``.

A viewer needs only read commands on ``queuewatch:*`` (README: the ACL). Nothing secret is ever
written: entries hold queue figures and the collector's status words (already redacted).

The URL is ``redis://[user@]host[:port][/db]`` or ``rediss://…`` (TLS, certificates verified;
``?ssl_ca_certs=FILE`` names a private CA). A password never comes from a flag: it comes from
``QUEUEWATCH_REDIS_PASSWORD`` (or from a URL given in ``QUEUEWATCH_REDIS_URL``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from queuewatch.errors import ConfigError
from queuewatch.redact import register
from queuewatch.stream import Encoded

if TYPE_CHECKING:
    import redis

#: Environment variables: the URL (when not given as a flag) and the password.
URL_VAR = "QUEUEWATCH_REDIS_URL"
PASSWORD_VAR = "QUEUEWATCH_REDIS_PASSWORD"  # noqa: S105 - a variable name

DEFAULT_PREFIX = "queuewatch"
DEFAULT_ORG = "default"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_QUERY = frozenset({"ssl_ca_certs"})

#: An entry id as Redis gives it back.
EntryId = bytes
Fields = Mapping[bytes, bytes]


@dataclass(frozen=True, slots=True)
class StreamKeys:
    """The keys of one org's stream."""

    org: str = DEFAULT_ORG
    prefix: str = DEFAULT_PREFIX

    @property
    def stream(self) -> str:
        return f"{self.prefix}:{self.org}:stream"

    @property
    def latest(self) -> str:
        return f"{self.prefix}:{self.org}:latest"

    @property
    def pattern(self) -> str:
        """The keys a viewer must be allowed to read (the ACL's ``~`` pattern)."""
        return f"{self.prefix}:*"


def org_name(text: str) -> str:
    """An org's name as it goes into a key: letters, digits, ``.``, ``_``, ``-``; or ConfigError."""
    if not _NAME.match(text):
        raise ConfigError(
            "--org must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return text


@dataclass(frozen=True, slots=True)
class RedisTarget:
    """Where Redis is, and how to log in (the password is not part of ``shown``)."""

    url: str
    """Without the password."""
    host: str
    port: int
    db: int
    tls: bool
    username: str | None
    password: str | None
    ca_file: str | None

    @property
    def shown(self) -> str:
        """For messages and logs: ``rediss://viewer@redis.example:6380/0``."""
        scheme = "rediss" if self.tls else "redis"
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}/{self.db}"


def parse_target(url: str, env: Mapping[str, str], *, from_flag: bool = True) -> RedisTarget:
    """A Redis URL checked, with the password from the environment; ConfigError saying what is wrong.

    A password in a URL given as a flag is refused (a command line is visible to every user of the
    machine); in ``QUEUEWATCH_REDIS_URL`` it is accepted.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ConfigError("cannot read the Redis URL: redis://host:6379, rediss://user@host:6380") from None
    if parts.scheme not in ("redis", "rediss"):
        raise ConfigError("the Redis URL must start redis:// or rediss:// (TLS)")
    if not parts.hostname:
        raise ConfigError("the Redis URL names no host: redis://host:6379")
    if parts.password is not None and from_flag:
        raise ConfigError(
            f"a password in the Redis URL of a flag is refused (every user of this machine can see it): "
            f"set {PASSWORD_VAR}, or give the whole URL in {URL_VAR}"
        )
    db_text = parts.path.strip("/") or "0"
    if not db_text.isdigit():
        raise ConfigError("the Redis URL's path must be a database number: redis://host:6379/0")
    query = dict(parse_qsl(parts.query))
    unknown = set(query) - _QUERY
    if unknown:
        raise ConfigError(f"the Redis URL takes only ?ssl_ca_certs=FILE, not {', '.join(sorted(unknown))}")
    password = unquote(parts.password) if parts.password is not None else env.get(PASSWORD_VAR) or None
    register(password)
    return RedisTarget(
        url=url,
        host=parts.hostname,
        port=port or 6379,
        db=int(db_text),
        tls=parts.scheme == "rediss",
        username=unquote(parts.username) if parts.username else None,
        password=password,
        ca_file=query.get("ssl_ca_certs"),
    )


def target_from(flag: str | None, env: Mapping[str, str], what: str) -> RedisTarget:
    """The target from a flag, else from ``QUEUEWATCH_REDIS_URL``; ConfigError if neither."""
    if flag:
        return parse_target(flag, env)
    if env.get(URL_VAR):
        return parse_target(env[URL_VAR], env, from_flag=False)
    raise ConfigError(f"{what} needs a Redis URL: redis://host:6379 (or set {URL_VAR})")


def client(target: RedisTarget, *, timeout: float = 5.0, name: str = "queuewatch") -> redis.Redis:
    """A Redis client that never retries on its own (every failure reaches our backoff and the
    status bar) and verifies TLS certificates."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    options: dict[str, Any] = {}
    if target.tls:
        options.update(ssl=True, ssl_cert_reqs="required", ssl_check_hostname=True)
        if target.ca_file:
            options["ssl_ca_certs"] = target.ca_file
    return redis.Redis(
        host=target.host,
        port=target.port,
        db=target.db,
        username=target.username,
        password=target.password,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        client_name=name,
        **options,
    )


def describe_error(error: BaseException, target: RedisTarget) -> tuple[str, str]:
    """``(kind, message)`` of a Redis error, in words for the status bar and the log; the kind is
    ``auth`` (login refused), ``permission`` (the user may not run a command) or ``unavailable``."""
    import redis.exceptions as rx

    where = target.shown
    if isinstance(error, rx.AuthenticationError):
        return "auth", f"Redis at {where} refused the login: check the user and {PASSWORD_VAR}"
    if isinstance(error, rx.NoPermissionError):
        return "permission", f"the Redis user at {where} may not do this: {_first_line(error)}"
    if isinstance(error, rx.ResponseError) and "NOAUTH" in str(error):
        return "auth", f"Redis at {where} needs a password: set {PASSWORD_VAR}"
    if isinstance(error, rx.TimeoutError):
        return "unavailable", f"Redis at {target.host}:{target.port} did not answer in time"
    if isinstance(error, rx.ConnectionError):
        return "unavailable", f"Redis unreachable at {target.host}:{target.port}"
    return "unavailable", f"Redis at {where}: {type(error).__name__}: {_first_line(error)}"


def error_detail(error: BaseException) -> str:
    """An error's type and text on one redacted line, for the log."""
    from queuewatch.redact import one_line

    return one_line(f"{type(error).__name__}: {error}", 160)


def _first_line(error: BaseException) -> str:
    from queuewatch.redact import one_line

    return one_line(str(error), 120)


# --- writing -------------------------------------------------------------------------------------


def entry_id(ms: int) -> str:
    """The id to add an entry with: the recorded time in ms, Redis numbering within the ms."""
    return f"{ms}-*"


def id_ms(entry: bytes | str) -> int:
    """The milliseconds part of an entry id."""
    text = entry.decode() if isinstance(entry, bytes) else entry
    return int(text.split("-", 1)[0])


def add(
    r: redis.Redis,
    keys: StreamKeys,
    entries: Sequence[Encoded],
    latest: Encoded | None,
    *,
    keep_ms: int,
    floor_ms: int,
) -> tuple[int, bytes | None]:
    """Add ``entries`` (and replace the latest picture) in one round trip; trims what is older
    than ``keep_ms`` before the newest. Ids never go below ``floor_ms`` (the last one added), so a
    clock that steps back does not make Redis refuse them. Returns the new floor and the id of the
    last entry added."""
    import redis.exceptions as rx

    try:
        return _add(r, keys, entries, latest, keep_ms=keep_ms, floor_ms=floor_ms)
    except rx.ResponseError as error:
        if "equal or smaller" not in str(error):
            raise
        # The stream's newest id is later than ours (a clock behind, another writer): follow it.
        return _add(r, keys, entries, latest, keep_ms=keep_ms, floor_ms=last_entry_ms(r, keys) + 1)


def _add(
    r: redis.Redis,
    keys: StreamKeys,
    entries: Sequence[Encoded],
    latest: Encoded | None,
    *,
    keep_ms: int,
    floor_ms: int,
) -> tuple[int, bytes | None]:
    pipe = r.pipeline(transaction=False)  # one round trip; no MULTI, so the ACL needs no @transaction
    last_ms = floor_ms
    for entry in entries:
        ms = max(int(entry.at.timestamp() * 1000), last_ms)
        last_ms = ms
        pipe.xadd(
            keys.stream, cast(Any, entry.fields()), id=entry_id(ms), minid=str(ms - keep_ms), approximate=True
        )
    ids = [cast(bytes, found) for found in pipe.execute()]
    # The latest picture stands for its snapshot entry: a viewer reads on from there.
    stands_for = [i for e, i in zip(entries, ids, strict=True) if latest is not None and e.seq == latest.seq]
    if latest is not None and stands_for:
        r.hset(keys.latest, mapping=cast(Any, {**latest.fields(), "id": stands_for[-1]}))
    return last_ms, ids[-1] if ids else None


def last_entry_ms(r: redis.Redis, keys: StreamKeys) -> int:
    """The ms part of the stream's newest id (0 when empty)."""
    newest = cast(list[tuple[bytes, Fields]], r.xrevrange(keys.stream, count=1))
    return id_ms(newest[0][0]) if newest else 0


# --- reading -------------------------------------------------------------------------------------


def read_latest(r: redis.Redis, keys: StreamKeys) -> tuple[bytes, Fields] | None:
    """The latest picture's entry id and fields, or None when there is none yet."""
    found = cast(dict[bytes, bytes], r.hgetall(keys.latest))
    if not found:
        return None
    return found.get(b"id", b"0-0"), {k: v for k, v in found.items() if k != b"id"}


def read_after(
    r: redis.Redis, keys: StreamKeys, after: bytes | str, *, block_ms: int | None, count: int = 200
) -> list[tuple[bytes, Fields]]:
    """Entries after id ``after``, waiting up to ``block_ms`` for the first (None: do not wait)."""
    reply = cast(Any, r.xread({keys.stream: after}, count=count, block=block_ms))
    if not reply:
        return []
    if isinstance(reply, dict):  # RESP3
        return list(next(iter(reply.values()))[0])
    return list(reply[0][1])


def read_range(
    r: redis.Redis, keys: StreamKeys, start: str, end: str, count: int | None = None, *, reverse: bool = False
) -> list[tuple[bytes, Fields]]:
    if reverse:
        return cast(list[tuple[bytes, Fields]], r.xrevrange(keys.stream, max=end, min=start, count=count))
    return cast(list[tuple[bytes, Fields]], r.xrange(keys.stream, min=start, max=end, count=count))
