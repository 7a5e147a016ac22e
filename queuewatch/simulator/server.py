"""A loopback HTTP stand-in for Genesys Cloud: OAuth login, the three queue APIs, faults on demand.

:class:`SimulatorServer` serves a :class:`~queuewatch.simulator.engine.ContactCentre` over
HTTP/1.1 keep-alive (stdlib ``ThreadingHTTPServer``, one thread per connection), so the real
``PureCloudPlatformClientV2`` SDK can talk to it unchanged (``ApiClient(host=server.base_url)``).

Endpoints
    ``POST /oauth/token``                                    client-credentials login (Basic auth)
    ``GET  /api/v2/routing/queues``                          routing:queue:view
    ``POST /api/v2/analytics/queues/observations/query``     analytics:queueObservation:view
    ``POST /api/v2/analytics/conversations/aggregates/query`` analytics:conversationAggregate:view
    ``POST /api/v2/analytics/routing/activity/query``      analytics:queueObservation:view
    ``GET  /api/v2/users``                                   (no permission; ``id=`` picks users)
    ``/api/v2/notifications/...``                            channels, subscriptions, topics; their
                                                             WebSockets on a second port (notifications.py)

Each ``/api`` request goes through: bearer-token check (401), faults (drop, hang, latency, 5xx,
malformed body, forced 429), the per-token rate limit (429 with ``Retry-After``), the permission
check (403 for permissions in ``faults.deny``), then the handler (400 for invalid requests). Every
``/api`` reply carries ``inin-correlation-id``; every error body has the Genesys shape
``{"message", "code", "status", "contextId", "details", "errors"}``, with the codes and messages the
API pairs (``missing.any.permissions`` / "… You must have at least one of the following permissions
assigned: […]", ``not.found`` / "The requested resource was not found.").

Genesys removed the ``inin-ratelimit-count``/``-allowed``/``-reset`` headers in June 2021, so by
default the simulator sends none; ``rate_limit_headers=True`` (``--ratelimit-headers``) brings them
back, for anything that wants to see the old behaviour.

A hostile token endpoint (a gateway or proxy answering in Genesys's place) is the fault
``token_reply``: ``/oauth/token`` then answers 200 with one of the bodies in :data:`TOKEN_REPLIES`
(deeply nested JSON, a huge body, wrong types, an HTML page, nothing ...), until set back to null.

Admin endpoints (no auth, never rate limited or faulted), for tests and demos:
    ``GET|POST /admin/faults``          read / merge-update the :class:`Faults` (JSON, snake_case keys)
    ``POST /admin/reset``               all faults off, logins accepted again, nothing staged
    ``POST /admin/revoke-tokens``       every token issued so far is now rejected (401)
    ``POST /admin/credentials``         ``{"accept": false}`` refuses new logins until set back true
    ``POST /admin/queues/<id>/delete``  the queue disappears from listings and queries
    ``POST /admin/queues/<id>/stage``   set some of the queue's figures by hand, on this server
                                        (``{"waiting": 30, "longest_wait_s": 720, "idle": 0}``; see
                                        :mod:`~queuewatch.simulator.staging`); ``{}`` hands them back
    The next three change the model itself (so every query sees them, the routing activity
    query's agents one by one included), and ``/admin/reset`` does not undo them:
    ``POST /admin/queues/<id>/waiting`` ``{"media": "email", "waited_s": 5400}``: a conversation
                                        that has waited that long, and stays waiting
    ``POST /admin/queues/<id>/today``   ``{"media": "message", "answered": 1, "answered_late": 11,
                                        "abandoned": 0}``: added to today's figures
    ``POST /admin/queues/<id>/agents``  ``{"status": "NOT_RESPONDING", "count": 2, "for_s": 600,
                                        "since_s": 130}``: agents put in that routing status
    ``GET  /admin/stats``               request counts (see :meth:`SimulatorServer.stats`)
    ``GET|POST /admin/notifications[/…]`` the notification service's faults and actions (``notifications.py``)
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import math
import random
import secrets
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from queuewatch.simulator.engine import ContactCentre
from queuewatch.simulator.notifications import NotificationHub, NotificationSettings
from queuewatch.simulator.query import SimulatorValidationError
from queuewatch.simulator.replies import MAX_OBSERVATIONS, TRUNCATIONS
from queuewatch.simulator.scenario import Scenario, default_scenario, during_business_hours
from queuewatch.simulator.staging import Stage, stage_aggregates, stage_observations

QUEUES_PATH = "/api/v2/routing/queues"
OBSERVATIONS_PATH = "/api/v2/analytics/queues/observations/query"
AGGREGATES_PATH = "/api/v2/analytics/conversations/aggregates/query"
ROUTING_ACTIVITY_PATH = "/api/v2/analytics/routing/activity/query"
USERS_PATH = "/api/v2/users"
LOGIN_PATH = "/oauth/token"

#: Permission each API endpoint needs ("": none, any token will do).
PERMISSIONS = {
    ("GET", QUEUES_PATH): "routing:queue:view",
    ("POST", OBSERVATIONS_PATH): "analytics:queueObservation:view",
    ("POST", AGGREGATES_PATH): "analytics:conversationAggregate:view",
    ("POST", ROUTING_ACTIVITY_PATH): "analytics:queueObservation:view",
    ("GET", USERS_PATH): "",
}

#: Bodies a hostile ``/oauth/token`` answers 200 with (fault ``token_reply``), and their content type.
TOKEN_REPLIES: dict[str, tuple[bytes, str]] = {
    "nested": (b'{"access_token":' + b"[" * 100_000 + b"]" * 100_000 + b"}", "application/json"),
    "huge": (b'{"padding":"' + b"x" * (8 << 20) + b'","token_type":"bearer"}', "application/json"),
    "wrong_types": (b'{"access_token":12345,"token_type":[1],"expires_in":"soon"}', "application/json"),
    "not_object": (b'[["access_token"]]', "application/json"),
    "null": (b"null", "application/json"),
    "html": (b"<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>", "text/html"),
    "empty": (b"", "application/json"),
    "not_utf8": (b'\xff\xfe{"access_token":"\xe9t\xe9"}', "application/json"),
    "bad_token": (b'{"access_token":"abc\\r\\nX-Injected: 1","token_type":"bearer"}', "application/json"),
    "huge_number": (b'{"access_token":' + b"9" * 5000 + b"}", "application/json"),
}

_SERVER_ERRORS = {
    500: (
        "internal.server.error",
        "The server encountered an unexpected condition which prevented it from fulfilling the request.",
    ),
    502: ("bad.gateway", "The server received an invalid response from an upstream server."),
    503: (
        "service.unavailable",
        "Service Unavailable - The server is currently unavailable "
        "(because it is overloaded or down for maintenance).",
    ),
    504: ("request.timeout", "The request timed out."),
}
#: The 403 of a role that lacks a permission the endpoint needs (any one of those listed would do).
MISSING_PERMISSION_CODE = "missing.any.permissions"
MISSING_PERMISSION_MESSAGE = (
    "Unable to perform the requested action. You must have at least one of the following "
    "permissions assigned: {perms}"
)
NOT_FOUND_MESSAGE = "The requested resource was not found."


@dataclass
class Faults:
    """Faults injected into replies; all off by default. Change them through :meth:`update`."""

    #: Probability that a request gets a 5xx.
    fail_rate: float = 0.0
    #: Status of those failures; None picks one of 500/502/503/504 at random.
    fail_status: int | None = None
    #: Extra delay before every reply, in milliseconds.
    latency_ms: int = 0
    #: Sleep this many seconds before replying (long enough to trip a client's read timeout).
    hang_s: float = 0.0
    #: Probability of closing the connection without any reply.
    drop_rate: float = 0.0
    #: Probability of a 200 whose JSON body is cut short.
    malformed_rate: float = 0.0
    #: The next N API requests get a 429.
    rate_limit_next: int = 0
    #: Retry-After (seconds) on those forced 429s; None leaves the header out.
    retry_after: int | None = None
    #: Permissions the OAuth client lacks: requests needing one get a 403.
    deny: set[str] = field(default_factory=set)
    #: If not empty, faults apply only to request paths containing one of these strings.
    paths: tuple[str, ...] = ()
    #: If set, the fail/hang/drop/malformed faults apply to the next N matching requests, then switch off.
    remaining: int | None = None
    #: If set, ``/oauth/token`` answers 200 with this body of :data:`TOKEN_REPLIES` (whatever the paths).
    token_reply: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The faults as a JSON-ready dict (snake_case keys)."""
        with self._lock:
            return self._snapshot()

    def _snapshot(self) -> dict[str, Any]:
        data: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self) if f.init}
        data["deny"] = sorted(self.deny)
        data["paths"] = list(self.paths)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Faults:
        """Faults from a JSON dict such as :meth:`to_json` gives (missing keys stay off)."""
        faults = cls()
        faults.update(data)
        return faults

    def update(self, changes: Mapping[str, Any]) -> None:
        """Merge the given keys in; raises ValueError (one line) for an unknown key or bad value."""
        parsed = {key: _parse_fault(key, value) for key, value in changes.items()}
        with self._lock:
            for key, value in parsed.items():
                setattr(self, key, value)

    def reset(self) -> None:
        """Switch every fault off."""
        with self._lock:
            for f in fields(self):
                if f.init:
                    setattr(self, f.name, f.default_factory() if callable(f.default_factory) else f.default)

    def decide(self, path: str, rng: random.Random) -> _Decision:
        """What to do to one request for ``path`` (consumes ``remaining`` and ``rate_limit_next``)."""
        with self._lock:
            decision = _Decision(latency_s=0.0)
            if path == LOGIN_PATH:
                applies = any(p and "oauth" in p and p in path for p in self.paths)
            else:
                applies = not self.paths or any(p in path for p in self.paths)
            if not applies:
                return decision
            decision.latency_s = self.latency_ms / 1000
            heavy = self.fail_rate > 0 or self.hang_s > 0 or self.drop_rate > 0 or self.malformed_rate > 0
            if heavy and (self.remaining is None or self.remaining > 0):
                if rng.random() < self.drop_rate:
                    decision.drop = True
                decision.hang_s = self.hang_s
                if rng.random() < self.fail_rate:
                    decision.fail_status = self.fail_status or rng.choice(sorted(_SERVER_ERRORS))
                elif rng.random() < self.malformed_rate:
                    decision.malformed = True
                if self.remaining is not None:
                    self.remaining -= 1
                    if self.remaining <= 0:
                        self.fail_rate = self.drop_rate = self.malformed_rate = self.hang_s = 0.0
                        self.remaining = None
            if self.rate_limit_next > 0 and not decision.drop and decision.fail_status is None:
                self.rate_limit_next -= 1
                decision.force_429 = True
                decision.retry_after = self.retry_after
            return decision


def _parse_fault(key: str, value: Any) -> Any:
    def number(low: float, high: float | None = None) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or value < low
            or (high is not None and value > high)
        ):
            limit = f"from {low:g} to {high:g}" if high is not None else f">= {low:g}"
            raise ValueError(f"fault {key} must be a number {limit}")
        return float(value)

    def integer(low: int, optional: bool = False) -> int | None:
        if optional and value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"fault {key} must be an integer >= {low}" + (" or null" if optional else ""))
        return value

    def strings() -> list[str]:
        if not isinstance(value, list | tuple | set) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"fault {key} must be a list of strings")
        return list(value)

    if key in ("fail_rate", "drop_rate", "malformed_rate"):
        return number(0, 1)
    if key == "hang_s":
        return number(0)
    if key == "latency_ms":
        return integer(0)
    if key in ("rate_limit_next",):
        return integer(0)
    if key in ("retry_after", "remaining"):
        return integer(0, optional=True)
    if key == "fail_status":
        status = integer(400, optional=True)
        if status is not None and status > 599:
            raise ValueError("fault fail_status must be an HTTP error status (400-599) or null")
        return status
    if key == "deny":
        return set(strings())
    if key == "paths":
        return tuple(strings())
    if key == "token_reply":
        if value is not None and value not in TOKEN_REPLIES:
            raise ValueError(f"fault token_reply must be null or one of {', '.join(sorted(TOKEN_REPLIES))}")
        return value
    raise ValueError(f"unknown fault {key!r}")


@dataclass
class _Decision:
    latency_s: float
    drop: bool = False
    hang_s: float = 0.0
    fail_status: int | None = None
    malformed: bool = False
    force_429: bool = False
    retry_after: int | None = None


@dataclass
class _Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=UTF-8"


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _error(status: int, code: str, message: str, context_id: str, **extra: Any) -> _Reply:
    body = {
        "message": message,
        "code": code,
        "status": status,
        "contextId": context_id,
        "details": [],
        "errors": [],
        **extra,
    }
    return _Reply(status, _json_bytes(body))


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sim: SimulatorServer) -> None:
        self.sim = sim
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: a client hanging up mid-reply is routine here."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """No request logging."""

    def do_GET(self) -> None:
        self.server.sim._serve(self)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET


class SimulatorServer:
    """Serves a :class:`ContactCentre` as the Genesys Cloud API on loopback (see the module docstring).

    ``clock`` (seconds; only differences matter) times token expiry and the rate-limit windows;
    tests pass a fake one to expire a token without waiting for it.
    """

    def __init__(
        self,
        centre: ContactCentre,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: int = 300,
        token_ttl: int = 86400,
        client_id: str | None = None,
        client_secret: str | None = None,
        faults: Faults | None = None,
        max_predicates: int = 100,
        rate_limit_headers: bool = False,
        detail_limit: int = MAX_OBSERVATIONS,
        truncation: str = "ends",
        clock: Callable[[], float] = time.monotonic,
        notifications: NotificationSettings | None = None,
        notification_clocks: tuple[Callable[[], float], Callable[[], float]] | None = None,
        on_publish: Callable[[str, float, float], None] | None = None,
    ) -> None:
        if detail_limit < 1:
            raise ValueError("detail_limit must be 1 or more")
        if truncation not in TRUNCATIONS:
            raise ValueError(f"truncation must be one of {', '.join(TRUNCATIONS)}")
        self.centre = centre
        self.faults = faults if faults is not None else Faults()
        self.rate_limit = rate_limit
        self.token_ttl = token_ttl
        self.client_id = client_id
        self.client_secret = client_secret
        self.max_predicates = max_predicates
        #: Send the ``inin-ratelimit-*`` headers Genesys removed in June 2021 (off, as in a real org).
        self.rate_limit_headers = rate_limit_headers
        #: Detail observations per metric before a list is truncated, and which of them it keeps.
        self.detail_limit = detail_limit
        self.truncation = truncation
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}
        self._windows: dict[str, list[float]] = {}
        self._accept_logins = True
        self._stages: dict[str, Stage] = {}
        self._by_path: Counter[str] = Counter()
        self._by_status: Counter[str] = Counter()
        self._rng = random.Random()
        self._httpd = _HTTPServer((host, port), self)
        self._thread: threading.Thread | None = None
        hub_clock, hub_wall = notification_clocks or (clock, time.time)
        #: The Notifications API: channels, subscriptions and WebSockets (see ``notifications.py``).
        self.notifications = NotificationHub(
            centre,
            notifications or NotificationSettings(host=host),
            clock=hub_clock,
            wall_clock=hub_wall,
            denied=self._denied,
            on_publish=on_publish,
        )

    # ----------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the running server."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> SimulatorServer:
        """Serve in a daemon thread; returns self."""
        if self._thread is None:
            self.notifications.start()
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.1},
                name="queuewatch-simulator",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()
        self.notifications.stop()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ----------------------------------------------------------------- admin operations

    def stats(self) -> dict[str, Any]:
        """Counts of API and login requests: ``by_path`` ("GET /path"), ``by_status`` ("200",
        "dropped") and ``total``. Admin requests are not counted."""
        with self._lock:
            return {
                "by_path": dict(self._by_path),
                "by_status": dict(self._by_status),
                "total": sum(self._by_path.values()),
            }

    def revoke_tokens(self) -> None:
        """Every token issued so far is rejected from now on."""
        with self._lock:
            self._tokens.clear()
            self._windows.clear()

    def accept_logins(self, accept: bool) -> None:
        """Refuse (False) or accept again (True) new token requests."""
        with self._lock:
            self._accept_logins = accept

    def stage(self, queue_id: str, **figures: Any) -> None:
        """Set some of a queue's figures by hand, in this server's replies (see
        :mod:`~queuewatch.simulator.staging`); none hands the queue back to the model.

        Raises KeyError for an unknown queue, ValueError (one line) for a figure that cannot be staged.
        """
        if queue_id not in self.centre.queue_ids():
            raise KeyError(queue_id)
        stage = Stage.from_json(figures)
        with self._lock:
            if stage == Stage():
                self._stages.pop(queue_id, None)
            else:
                self._stages[queue_id] = stage

    # ----------------------------------------------------------------- request handling

    def _serve(self, handler: _Handler) -> None:
        split = urlsplit(handler.path)
        path = split.path
        try:
            body = self._read_body(handler)
        except ValueError:
            self._send(
                handler, _error(400, "bad.request", "Invalid Content-Length", str(uuid.uuid4())), count=None
            )
            return
        if path.startswith("/admin/"):
            self._send(handler, self._admin(handler.command, path, body), count=None)
            return
        count = f"{handler.command} {path}"
        if path == LOGIN_PATH:
            decision = self.faults.decide(path, self._rng)
            if decision.drop:
                self._drop(handler, count)
                return
            self._delay(decision)
            with self.faults._lock:
                hostile = self.faults.token_reply
            if decision.fail_status is not None:
                reply = self._server_error(decision.fail_status, str(uuid.uuid4()))
            elif hostile is not None:
                content, content_type = TOKEN_REPLIES[hostile]
                reply = _Reply(200, content, content_type=content_type)
            else:
                reply = self._login(handler, body)
            self._send(handler, reply, count=count)
            return
        if not path.startswith("/api/"):
            self._send(handler, self._not_found(str(uuid.uuid4())), count=count)
            return
        self._api(handler, path, split.query, body, count)

    def _api(self, handler: _Handler, path: str, query: str, body: bytes, count: str) -> None:
        correlation = str(uuid.uuid4())
        token, auth_error = self._authenticate(handler.headers.get("Authorization"), correlation)
        if auth_error is not None:
            auth_error.headers.update(self._limit_headers(None, correlation))
            self._send(handler, auth_error, count=count)
            return
        decision = self.faults.decide(path, self._rng)
        if decision.drop:
            self._drop(handler, count)
            return
        self._delay(decision)
        if decision.fail_status is not None:
            reply = self._server_error(decision.fail_status, correlation)
        elif decision.force_429:
            wait = decision.retry_after if decision.retry_after is not None else self._reset_in(token)
            reply = self._too_many(wait, correlation)
            if decision.retry_after is not None:
                reply.headers["Retry-After"] = str(decision.retry_after)
        else:
            over, wait = self._count_request(token)
            if over:
                reply = self._too_many(wait, correlation)
                reply.headers["Retry-After"] = str(wait)
            else:
                reply = self._route(handler.command, path, query, body, correlation)
                if decision.malformed and reply.status == 200:
                    reply.body = reply.body[: max(1, len(reply.body) // 2)]
        reply.headers.update(self._limit_headers(token, correlation))
        self._send(handler, reply, count=count)

    def _denied(self, permission: str) -> bool:
        with self.faults._lock:
            return permission in self.faults.deny

    def _route(self, method: str, path: str, query: str, body: bytes, correlation: str) -> _Reply:
        if path.startswith("/api/v2/notifications/"):
            answer = self.notifications.route(method, path, body)
            if answer is None:
                return self._not_found(correlation)
            if answer.code is not None:
                return _error(answer.status, answer.code, answer.message, correlation)
            return _Reply(answer.status, _json_bytes(answer.body) if answer.body is not None else b"")
        permission = PERMISSIONS.get((method, path))
        if permission is None:
            return self._not_found(correlation)
        with self.faults._lock:
            denied = permission in self.faults.deny
        if denied:
            perms = f"[{permission}]"
            return _error(
                403,
                MISSING_PERMISSION_CODE,
                MISSING_PERMISSION_MESSAGE.format(perms=perms),
                correlation,
                messageWithParams=MISSING_PERMISSION_MESSAGE,
                messageParams={"perms": perms},
            )
        try:
            if path == USERS_PATH:
                params = parse_qs(query)
                data = self.centre.users(
                    _multi_param(params, "id"),
                    page_size=_int_param(params, "pageSize", 25),
                    page_number=_int_param(params, "pageNumber", 1),
                )
            elif path == QUEUES_PATH:
                params = parse_qs(query)
                data = self.centre.list_queues(
                    page_number=_int_param(params, "pageNumber", 1),
                    page_size=_int_param(params, "pageSize", 25),
                    name=params.get("name", [None])[0],
                    division_ids=_multi_param(params, "divisionId"),
                    ids=_multi_param(params, "id"),
                )
            else:
                try:
                    request = json.loads(body or b"null")
                except (json.JSONDecodeError, UnicodeDecodeError):
                    raise SimulatorValidationError("The request body is not valid JSON") from None
                if not isinstance(request, dict):
                    raise SimulatorValidationError("The request body must be a JSON object")
                if path == OBSERVATIONS_PATH:
                    data = self.centre.observations(
                        request,
                        max_predicates=self.max_predicates,
                        detail_limit=self.detail_limit,
                        truncation=self.truncation,
                    )
                elif path == ROUTING_ACTIVITY_PATH:
                    data = self.centre.routing_activity(request, max_predicates=self.max_predicates)
                else:
                    data = self.centre.aggregates(request, max_predicates=self.max_predicates)
                with self._lock:
                    stages = dict(self._stages)
                if stages and path == OBSERVATIONS_PATH:
                    data = stage_observations(request, data, stages, self.centre.sim_time())
                elif stages:
                    data = stage_aggregates(request, data, stages)
        except SimulatorValidationError as exc:
            return _error(400, exc.code, exc.message, correlation)
        return _Reply(200, _json_bytes(data))

    # ----------------------------------------------------------------- auth and rate limits

    def _login(self, handler: _Handler, body: bytes) -> _Reply:
        def refuse(description: str) -> _Reply:
            return _Reply(
                401,
                _json_bytes(
                    {"error": "invalid_client", "description": description, "error_description": description}
                ),
            )

        with self._lock:
            accepting = self._accept_logins
        if not accepting:
            return refuse("client credentials are not accepted")
        client_id, client_secret = _basic_credentials(handler.headers.get("Authorization"))
        if not client_id or not client_secret:
            return refuse("client authentication with HTTP Basic credentials is required")
        if (self.client_id is not None and client_id != self.client_id) or (
            self.client_secret is not None and client_secret != self.client_secret
        ):
            return refuse("client not found or secret does not match")
        form = parse_qs(body.decode("utf-8", "replace"))
        grant = form.get("grant_type", [""])[0]
        if grant != "client_credentials":
            description = f"grant type {grant!r} is not supported; use client_credentials"
            return _Reply(
                400,
                _json_bytes(
                    {
                        "error": "unsupported_grant_type",
                        "description": description,
                        "error_description": description,
                    }
                ),
            )
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = self._clock() + self.token_ttl
        return _Reply(
            200, _json_bytes({"access_token": token, "token_type": "bearer", "expires_in": self.token_ttl})
        )

    def _authenticate(self, header: str | None, correlation: str) -> tuple[str, _Reply | None]:
        if not header or not header.lower().startswith("bearer ") or not header[7:].strip():
            message = "No authentication bearer token specified in authorization header."
            return "", _error(401, "authentication.required", message, correlation)
        token = header[7:].strip()
        with self._lock:
            expiry = self._tokens.get(token)
            if expiry is not None and expiry <= self._clock():
                del self._tokens[token]
                expiry = None
        if expiry is None:
            return "", _error(401, "bad.credentials", "Invalid login credentials.", correlation)
        return token, None

    def _count_request(self, token: str) -> tuple[bool, int]:
        """Count one request in the token's window; (over the limit?, seconds until the window resets)."""
        now = self._clock()
        with self._lock:
            window = self._windows.get(token)
            if window is None or now >= window[0] + 60:
                window = self._windows[token] = [now, 0.0]
            window[1] += 1
            over = window[1] > self.rate_limit
            return over, max(1, math.ceil(window[0] + 60 - now))

    def _reset_in(self, token: str) -> int:
        with self._lock:
            window = self._windows.get(token)
            now = self._clock()
            if window is None or now >= window[0] + 60:
                return 60
            return max(1, math.ceil(window[0] + 60 - now))

    def _limit_headers(self, token: str | None, correlation: str) -> dict[str, str]:
        if not self.rate_limit_headers:
            return {"inin-correlation-id": correlation}
        now = self._clock()
        with self._lock:
            window = self._windows.get(token) if token else None
            if window is None or now >= window[0] + 60:
                used, reset = 0, 60
            else:
                used, reset = int(window[1]), max(1, math.ceil(window[0] + 60 - now))
        return {
            "inin-ratelimit-count": str(used),
            "inin-ratelimit-allowed": str(self.rate_limit),
            "inin-ratelimit-reset": str(reset),
            "inin-correlation-id": correlation,
        }

    # ----------------------------------------------------------------- replies

    @staticmethod
    def _too_many(wait: int, correlation: str) -> _Reply:
        return _error(
            429,
            "too.many.requests.retry.after",
            f"Rate limit exceeded the maximum. Retry the request in [{wait}] seconds",
            correlation,
        )

    @staticmethod
    def _server_error(status: int, correlation: str) -> _Reply:
        code, message = _SERVER_ERRORS.get(status, ("error", "The request failed."))
        return _error(status, code, message, correlation)

    @staticmethod
    def _not_found(correlation: str) -> _Reply:
        return _error(404, "not.found", NOT_FOUND_MESSAGE, correlation)

    def _admin(self, method: str, path: str, body: bytes) -> _Reply:
        try:
            payload = json.loads(body) if body.strip() else {}
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _Reply(400, _json_bytes({"message": "the body is not valid JSON"}))
        if not isinstance(payload, dict):
            return _Reply(400, _json_bytes({"message": "the body must be a JSON object"}))
        if path == "/admin/faults" and method in ("GET", "POST"):
            if method == "POST":
                try:
                    self.faults.update(payload)
                except ValueError as exc:
                    return _Reply(400, _json_bytes({"message": str(exc)}))
            return _Reply(200, _json_bytes(self.faults.to_json()))
        if path == "/admin/notifications" or path.startswith("/admin/notifications/"):
            answer = self.notifications.admin(method, path, payload)
            return _Reply(answer.status, _json_bytes(answer.body))
        if method == "GET" and path == "/admin/stats":
            return _Reply(200, _json_bytes(self.stats()))
        if method != "POST":
            return _Reply(404, _json_bytes({"message": f"no admin endpoint {method} {path}"}))
        if path == "/admin/reset":
            self.faults.reset()
            self.notifications.reset()
            self.accept_logins(True)
            with self._lock:
                self._stages.clear()
            return _Reply(200, _json_bytes(self.faults.to_json()))
        if path == "/admin/revoke-tokens":
            self.revoke_tokens()
            return _Reply(200, _json_bytes({"revoked": True}))
        if path == "/admin/credentials":
            accept = payload.get("accept")
            if not isinstance(accept, bool):
                return _Reply(400, _json_bytes({"message": 'credentials needs {"accept": true|false}'}))
            self.accept_logins(accept)
            return _Reply(200, _json_bytes({"accept": accept}))
        parts = path.split("/")
        if len(parts) == 5 and parts[2] == "queues" and parts[4] == "delete":
            if self.centre.delete_queue(parts[3]):
                return _Reply(200, _json_bytes({"deleted": parts[3]}))
            return _Reply(404, _json_bytes({"message": f"no queue {parts[3]}"}))
        if len(parts) == 5 and parts[2] == "queues" and parts[4] == "stage":
            try:
                self.stage(parts[3], **payload)
            except KeyError:
                return _Reply(404, _json_bytes({"message": f"no queue {parts[3]}"}))
            except ValueError as exc:
                return _Reply(400, _json_bytes({"message": str(exc)}))
            return _Reply(200, _json_bytes({"staged": parts[3], **payload}))
        if len(parts) == 5 and parts[2] == "queues" and parts[4] in ("waiting", "today", "agents"):
            return self._stage_in_model(parts[3], parts[4], payload)
        return _Reply(404, _json_bytes({"message": f"no admin endpoint {method} {path}"}))

    def _stage_in_model(self, queue_id: str, what: str, payload: Mapping[str, Any]) -> _Reply:
        """The admin endpoints that stage in the model (see the module docstring)."""

        def number(key: str, default: float | None = None) -> float:
            value = payload.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise SimulatorValidationError(f"{key} must be a number >= 0")
            return float(value)

        try:
            if what == "waiting":
                conversation = self.centre.stage_waiting(
                    queue_id, str(payload.get("media", "voice")), number("waited_s")
                )
                return _Reply(200, _json_bytes({"conversationId": conversation}))
            if what == "today":
                counts = {key: int(number(key, 0)) for key in ("answered", "answered_late", "abandoned")}
                self.centre.stage_today(queue_id, str(payload.get("media", "voice")), **counts)
                return _Reply(200, _json_bytes(counts))
            agents = self.centre.force_status(
                queue_id,
                str(payload.get("status", "NOT_RESPONDING")),
                int(number("count", 1)),
                for_s=number("for_s", 300.0),
                since_s=number("since_s", 0.0),
            )
            return _Reply(200, _json_bytes({"agents": agents}))
        except KeyError:
            return _Reply(404, _json_bytes({"message": f"no queue {queue_id}"}))
        except SimulatorValidationError as error:
            return _Reply(400, _json_bytes({"message": error.message}))

    # ----------------------------------------------------------------- plumbing

    @staticmethod
    def _read_body(handler: _Handler) -> bytes:
        length = int(handler.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        return handler.rfile.read(length) if length else b""

    @staticmethod
    def _delay(decision: _Decision) -> None:
        pause = decision.hang_s + decision.latency_s
        if pause > 0:
            time.sleep(pause)

    def _record(self, count: str | None, status: str) -> None:
        if count is None:
            return
        with self._lock:
            self._by_path[count] += 1
            self._by_status[status] += 1

    def _drop(self, handler: _Handler, count: str) -> None:
        self._record(count, "dropped")
        handler.close_connection = True
        with contextlib.suppress(OSError):
            handler.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, handler: _Handler, reply: _Reply, count: str | None) -> None:
        self._record(count, str(reply.status))
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", reply.content_type)
            handler.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(reply.body)
        except OSError:
            handler.close_connection = True


def _basic_credentials(header: str | None) -> tuple[str, str]:
    if not header or not header.lower().startswith("basic "):
        return "", ""
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    client_id, _, client_secret = decoded.partition(":")
    return client_id, client_secret


def _int_param(params: Mapping[str, list[str]], name: str, default: int) -> int:
    values = params.get(name)
    if not values:
        return default
    try:
        return int(values[0])
    except ValueError:
        raise SimulatorValidationError(f"{name} must be an integer, not {values[0]!r}") from None


def _multi_param(params: Mapping[str, list[str]], name: str) -> tuple[str, ...]:
    return tuple(v for value in params.get(name, []) for v in value.split(",") if v)


def start_demo(
    seed: int = 7,
    speed: float = 1.0,
    port: int = 0,
    scenario: Scenario | None = None,
    *,
    daytime: bool = False,
    clock: Callable[[], float] | None = None,
    **server_kwargs: Any,
) -> SimulatorServer:
    """A started server over the default scenario (or ``scenario``); stop it with ``.stop()``.

    With ``daytime`` the scenario runs in a time zone where it is late morning now, so the
    demo always shows a contact centre at work. ``clock`` (Unix seconds) drives both the contact
    centre and the server's tokens; by default they follow the real time.
    """
    chosen = scenario or default_scenario()
    if daytime:
        chosen = during_business_hours(chosen, now=clock() if clock else None)
    if clock is None:
        centre = ContactCentre(chosen, seed=seed, speed=speed)
        return SimulatorServer(centre, port=port, **server_kwargs).start()
    centre = ContactCentre(chosen, seed=seed, speed=speed, clock=clock)
    return SimulatorServer(centre, port=port, clock=clock, **server_kwargs).start()


__all__ = ["Faults", "SimulatorServer", "start_demo"]
