"""The queuewatch exception tree.

Everything that can go wrong talking to Genesys Cloud is turned into one of these inside
``queuewatch.genesys``; nothing above that module sees an SDK or urllib3 exception.

    QueuewatchError
    ├── ConfigError                 bad flags, env or config file            (exit 2)
    └── SourceError                 anything from the Genesys side
        ├── AuthError               credentials rejected                      (exit 3)
        ├── PermissionMissing       403; names the permission to add          (exit 3)
        ├── RateLimited             429; carries Retry-After seconds          (retryable)
        ├── Unavailable             5xx, timeout, connection refused/dropped  (retryable, exit 4)
        └── BadResponse             a reply we could not understand           (exit 4)

Every message is one line, written for the person at the terminal, and never contains a
secret or a token, nor a control character (text quoted from outside is cleaned here).
"""

from __future__ import annotations

from queuewatch.untrusted import clean


class QueuewatchError(Exception):
    """Base of every error queuewatch raises on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        # Messages often quote a server (its error text, a queue name): cleaned here, once, so
        # that no error can carry a control sequence to a terminal or a log.
        message = clean(message, limit=1000)
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(QueuewatchError):
    """Flags, environment or config file are wrong; the message says how to fix them."""

    exit_code = 2


class SourceError(QueuewatchError):
    """Something went wrong on the way to or from Genesys Cloud."""

    exit_code = 4
    #: True when trying the same call again later may succeed.
    retryable = False
    #: Short label for the status bar and the ``errors`` list of a snapshot.
    kind = "error"


class AuthError(SourceError):
    """The OAuth client id/secret were rejected, or a fresh token is refused."""

    exit_code = 3
    kind = "auth"


class PermissionMissing(SourceError):
    """A 403: the OAuth client's role lacks ``permission``."""

    exit_code = 3
    kind = "permission"

    def __init__(self, permission: str, endpoint: str) -> None:
        super().__init__(
            f"permission {permission} is missing for {endpoint}: add it to a role of the OAuth client"
        )
        self.permission = permission
        self.endpoint = endpoint


class RateLimited(SourceError):
    """A 429. ``retry_after`` is the server's Retry-After in seconds, or None if it gave none."""

    retryable = True
    kind = "rate_limited"

    def __init__(self, retry_after: float | None, endpoint: str) -> None:
        wait = f"retry after {retry_after:g} s" if retry_after is not None else "no Retry-After given"
        super().__init__(f"rate limited by Genesys Cloud on {endpoint} ({wait})")
        self.retry_after = retry_after
        self.endpoint = endpoint


class Unavailable(SourceError):
    """5xx, timeout, refused or dropped connection: Genesys (or the path to it) is not answering."""

    retryable = True
    kind = "unavailable"


class BadResponse(SourceError):
    """A reply arrived but it was not what the API promises (malformed JSON, a 4xx we did not expect)."""

    retryable = True
    kind = "bad_response"

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
