"""The one redaction function, and the one line an unexpected error is reported with (pure units)."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from queuewatch import redact
from queuewatch.redact import HIDDEN, one_line, unexpected

SECRET = "S3CRET-redact-0d9f-DoNotLeak"


@pytest.fixture(autouse=True)
def _registered() -> Iterator[None]:
    redact.register_credentials("watcher", SECRET)
    yield


def test_a_registered_secret_is_removed_wherever_it_is() -> None:
    text = redact.redact(f"x{SECRET}y and again: {SECRET}")
    assert SECRET not in text
    assert text == f"x{HIDDEN}y and again: {HIDDEN}"


def test_the_basic_credentials_built_from_it_are_removed_even_without_their_header() -> None:
    basic = base64.b64encode(f"watcher:{SECRET}".encode()).decode()
    assert basic not in redact.redact(f"sent {basic} somewhere")


def test_url_encoded_secret_is_removed() -> None:
    redact.register("pa ss/word+1")
    assert "pa%20ss%2Fword%2B1" not in redact.redact("body=pa%20ss%2Fword%2B1")


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("{'Authorization': 'Basic d2F0Y2hlcjpzZWNyZXQ='}", "d2F0Y2hlcjpzZWNyZXQ="),
        ("Authorization: Bearer eyJhbGciOi.abc-def_ghi", "eyJhbGciOi.abc-def_ghi"),
        ("header bearer tok_ABC123xyz sent", "tok_ABC123xyz"),
        ('{"access_token": "tok-98765-abc", "expires_in": 86400}', "tok-98765-abc"),
        ("grant_type=client_credentials&client_secret=hunter2hunter2", "hunter2hunter2"),
        ("password=letmein99 user=x", "letmein99"),
        ("GET https://admin:pw0rd@api.example.com/x", "admin:pw0rd"),
        ("http://user@127.0.0.1:8765/api", "user@"),
    ],
)
def test_tokens_headers_fields_and_url_passwords_are_removed(text: str, gone: str) -> None:
    assert gone not in redact.redact(text)


def test_a_weak_secret_does_not_break_the_patterns() -> None:
    redact.register("client_secret")
    text = redact.redact("grant_type=client_credentials&client_secret=hunter2hunter2")
    assert "hunter2hunter2" not in text


def test_ordinary_text_is_left_alone() -> None:
    text = "Genesys Cloud at api.mypurecloud.ie is unavailable (HTTP 503 on /api/v2/routing/queues)"
    assert redact.redact(text) == text


def test_short_values_are_not_registered() -> None:
    redact.register("demo")
    assert redact.redact("connected to demo") == "connected to demo"


def test_one_line_is_printable_single_and_short() -> None:
    line = one_line(f"first\nsecond\x1b[31m red\r\u2028{SECRET} " + "x" * 500, 80)
    assert "\n" not in line and "\x1b" not in line and "\r" not in line and "\u2028" not in line
    assert len(line) <= 80 and line.endswith("…")
    assert line.startswith("first second␛[31m red <hidden> xxx"), "ESC shown, never obeyed"


def test_unexpected_names_the_type_and_redacts_the_text() -> None:
    assert unexpected(OverflowError("timestamp out of range")) == (
        "unexpected OverflowError: timestamp out of range"
    )
    assert unexpected(KeyError()) == "unexpected KeyError"
    line = unexpected(RuntimeError(f"token {SECRET}\nAuthorization: Basic abcdefgh"))
    assert SECRET not in line and "abcdefgh" not in line and "\n" not in line


def test_unexpected_survives_a_broken_str() -> None:
    class Broken(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert unexpected(Broken()) == "unexpected Broken"
