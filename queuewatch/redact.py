"""Keeping secrets out of text: the one function every log line and crash report goes through.

Messages are built so that they hold no secret in the first place (from exception type names and
our own words, never from the ``str()`` of an SDK object); ``redact`` is the second guard. It
removes:

- every value registered with ``register`` (the OAuth client secret, the Basic credentials built
  from it, each bearer token issued), wherever it appears;
- the value after ``Bearer`` / ``Basic`` and after an ``Authorization`` header name;
- the value of ``access_token``, ``client_secret``, ``refresh_token``, ``password`` fields
  (JSON, form or ``key=value``);
- the ``user:password@`` part of a URL.

``one_line`` makes any text fit a status bar or a line on stderr: redacted, single line, short,
and cleaned by ``queuewatch.untrusted.clean`` (nothing a terminal obeys).

Pure and thread-safe: no I/O.
"""

from __future__ import annotations

import base64
import re
import threading
from urllib.parse import quote

from queuewatch.untrusted import clean

HIDDEN = "<hidden>"

#: Values shorter than this are not registered: replacing every "demo" in a log would hide nothing
#: worth hiding and garble the rest (Genesys's client secrets and tokens are some 40 characters).
MIN_SECRET_LENGTH = 8

#: The registry keeps this many values (the client secret and the tokens of the last few days).
MAX_SECRETS = 64

_lock = threading.Lock()
_secrets: dict[str, None] = {}

_SCHEMES = re.compile(r"(?i)\b(bearer|basic)(\s+|%20)[^\s\"',;&}\]\)]+")
_HEADER = re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)[^\"'\r\n,}]+")
_FIELDS = re.compile(
    r"(?i)([\"']?\b(?:access_token|refresh_token|id_token|client_secret|password|secret)[\"']?"
    r"\s*[:=]\s*[\"']?)[^\"'\s&,;}\]]+"
)
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@?#]*@")


def register(value: str | None) -> None:
    """From now on, ``redact`` removes ``value`` (and its URL-encoded form) from any text."""
    if not value or len(value) < MIN_SECRET_LENGTH:
        return
    with _lock:
        for form in {value, quote(value, safe="")}:
            _secrets.pop(form, None)
            _secrets[form] = None
        while len(_secrets) > MAX_SECRETS:
            del _secrets[next(iter(_secrets))]


def register_credentials(client_id: str, client_secret: str) -> None:
    """Register a client secret and the Basic credentials the SDK builds from it."""
    register(client_secret)
    with_id = f"{client_id}:{client_secret}".encode("utf-8", "replace")
    register(base64.b64encode(with_id).decode("ascii"))


def forget_all() -> None:
    """Empty the registry (for tests)."""
    with _lock:
        _secrets.clear()


def redact(text: str) -> str:
    """``text`` with every secret, token, Authorization value and URL password replaced."""
    # The patterns first: a registered value that happens to be a word of a pattern's key (a
    # secret "secret" in "client_secret=...") must not stop the pattern from hiding the value.
    text = _USERINFO.sub(r"\1", text)
    text = _HEADER.sub(rf"\1{HIDDEN}", text)
    text = _SCHEMES.sub(rf"\1 {HIDDEN}", text)
    text = _FIELDS.sub(rf"\1{HIDDEN}", text)
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, HIDDEN)
    return text


def one_line(text: str, limit: int = 160) -> str:
    """``text`` redacted, on one clean line of at most ``limit`` characters."""
    return clean(" ".join(redact(text).split()), limit)


def unexpected(error: BaseException) -> str:
    """The one line an unexpected error is reported with: its type, and its text, redacted."""
    name = type(error).__name__
    try:
        text = one_line(str(error), 120)
    except Exception:  # noqa: BLE001 - a broken __str__ must not break the report
        text = ""
    return f"unexpected {name}: {text}" if text else f"unexpected {name}"
