"""The Genesys Cloud source: the only module that imports the official SDK.

Importing this module imports ``PureCloudPlatformClientV2`` (about 2.5 s), so callers import it
lazily, from the poller's thread, after the first paint.

What it does to the SDK:
- the SDK's urllib3 pool retries 429/503 up to ten times and sleeps through ``Retry-After``, and
  sets no timeout; we give it our own pool with retries off and a connect/read timeout, so every
  429 and every hang reaches the poller's backoff and the status bar;
- the SDK never renews a client-credentials token; on 401 we fetch a new one once and retry;
- the SDK's own logger would print request headers (the bearer token) on errors; it is silenced;
- every SDK and urllib3 exception becomes a ``queuewatch.errors.SourceError`` here, and so does
  every error that reading a reply can raise (malformed, deeply nested, huge, wrong types:
  ``ValueError``, ``LookupError``, ``TypeError``, ``ArithmeticError``, ``RecursionError`` ...).
  Messages are built from our own words, never from the ``str()`` of an SDK or urllib3 object
  (which can hold request headers). Anything else (a bug) reaches the poller, which reports it as
  ``unexpected <Type>``;
- the client secret, the Basic credentials and every token issued are registered with
  ``queuewatch.redact``, so no log line or crash report can show them;
- the SDK's import starts a watcher of its own config file (``~/.genesyscloudpython/config``).
  Whether it watches anything depends on a race between two threads inside that import; when
  the watcher thread wins, it watches the whole home directory, recursively, and every file
  written anywhere under it costs CPU (on a busy home, most of a core). queuewatch takes its
  settings from its own config, so that watcher is stopped as soon as the SDK is imported.

What it asks and how it reads the answers (request bodies, reply parsers, endpoints and the
permission each needs) is ``queuewatch.wire``, pure and tested without the SDK; every call runs on
``queuewatch.workers``' few daemon threads, so a caller that stops never waits on a socket.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import PureCloudPlatformClientV2 as sdk
import urllib3
from PureCloudPlatformClientV2.logger import LogLevel
from PureCloudPlatformClientV2.rest import ApiException

from queuewatch import redact
from queuewatch.errors import (
    AuthError,
    BadResponse,
    PermissionMissing,
    RateLimited,
    SourceError,
    Unavailable,
)
from queuewatch.model import AgentActivity, QueueInfo, QueueLive, QueueToday
from queuewatch.source import ChannelInfo, PartResult, RateStatus, TopicInfo, TopicState
from queuewatch.untrusted import clean, clean_name
from queuewatch.wire import (
    AGGREGATES_PATH,
    CHANNELS_PATH,
    OBSERVATIONS_PATH,
    PERMISSIONS,
    QUEUES_PATH,
    ROUTING_ACTIVITY_PATH,
    SUBSCRIPTIONS_PATH,
    TOPICS_PATH,
    USERS_PATH,
    USERS_PER_REQUEST,
    aggregates_body,
    distinct_names,
    observations_body,
    parse_aggregates,
    parse_observations,
    parse_routing_activity,
    queue_info,
    routing_activity_body,
    today_interval,
)
from queuewatch.workers import Workers, run_batched

T = TypeVar("T")
R = TypeVar("R")

#: What a readable token looks like: printable ASCII, no spaces (it goes into a header).
_TOKEN = re.compile(r"[\x21-\x7e]{1,4096}")

#: Errors that reading a reply can raise (bad JSON, missing keys, wrong types, numbers out of range,
#: bad encodings, nesting deeper than the parser's recursion limit): a reply we could not read.
_UNREADABLE = (ValueError, LookupError, TypeError, AttributeError, ArithmeticError, RecursionError)

#: Pages of queues read at most (an org holds up to 5,000 queues: 50 pages of 100); a reply that
#: keeps promising another page is not followed for ever.
MAX_PAGES = 1000


@dataclass(frozen=True, slots=True)
class Credentials:
    """An OAuth client. The secret never appears in a repr."""

    client_id: str
    client_secret: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Credentials(client_id={self.client_id!r}, client_secret=<hidden>)"


@dataclass(frozen=True, slots=True)
class SourceSettings:
    base_url: str
    """API base URL, e.g. ``https://api.mypurecloud.ie`` or ``http://127.0.0.1:8765``."""
    label: str = ""
    """What the status bar calls this org; defaults to the host."""
    batch_size: int = 100
    """Queue ids per observation/aggregate query."""
    concurrency: int = 4
    """Batches in flight at once."""
    page_size: int = 100
    """Queues per page when listing."""
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    timezone: str = "UTC"
    """IANA zone whose midnight starts "today"."""
    name_pattern: str | None = None
    """Only queues whose name matches (Genesys semantics: leading/trailing ``*``)."""
    division_ids: tuple[str, ...] = ()


def stop_sdk_config_watcher(configuration: Any) -> None:
    """Stop the SDK's config-file watcher (see the module's docstring), whichever way its race went.

    The SDK schedules its watch only while its configuration is being built (at import) or when its
    ``config_file_path`` is set, which queuewatch never does, so once stopped it stays stopped.
    """
    configuration.live_reload_config = False
    observer = getattr(configuration, "_observer", None)
    if observer is not None:
        with contextlib.suppress(Exception):
            observer.unschedule_all()
            observer.stop()


stop_sdk_config_watcher(sdk.configuration)


class _Unauthorized(Exception):
    """A 401 on an API call: the token is missing, expired or revoked."""


class GenesysSource:
    """Queue statistics from Genesys Cloud (or anything that speaks its API) through the SDK."""

    def __init__(
        self,
        settings: SourceSettings,
        credentials: Credentials,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_close: Callable[[], None] | None = None,
    ) -> None:
        parts = urlsplit(settings.base_url)
        self.settings = settings
        self.label = settings.label or (parts.netloc.rpartition("@")[2] or "Genesys Cloud")
        self.timezone = settings.timezone
        redact.register_credentials(credentials.client_id, credentials.client_secret)
        self._credentials = credentials
        self._clock = clock
        self._on_close = on_close
        self._zone = ZoneInfo(settings.timezone)
        self._token_lock = threading.Lock()
        self._rate_lock = threading.Lock()
        # [second, requests made, of them refused with a 429] per whole second of time.monotonic(),
        # for the last minute: at most 61 entries.
        self._recent: deque[list[int]] = deque()
        self._raw = threading.local()
        self._client = self._make_client(settings)
        self._routing = sdk.RoutingApi(self._client)
        self._users = sdk.UsersApi(self._client)
        # Agents' names by user id, looked up once (None: Genesys would not say).
        self._names: dict[str, str | None] = {}
        self._notifications = sdk.NotificationsApi(self._client)
        self._workers = Workers(settings.concurrency, what="Genesys Cloud")
        try:
            self._run(lambda: self._fetch_token(None))
        except BaseException:
            self._workers.close()
            raise

    def __repr__(self) -> str:
        return f"GenesysSource(label={self.label!r}, base_url={self.settings.base_url!r})"

    # --- the SDK client -----------------------------------------------------------------------------

    def _make_client(self, settings: SourceSettings) -> Any:
        config = sdk.configuration
        config.logger.log_level = LogLevel.LNone
        config.logger.log_to_console = False
        stop_sdk_config_watcher(config)
        client = sdk.ApiClient(host=settings.base_url)
        client.gateway_configuration = None
        http = client.get_http_client()
        http.rest_client.pool_manager = urllib3.PoolManager(
            num_pools=2,
            maxsize=max(1, settings.concurrency),
            block=True,
            retries=False,
            timeout=urllib3.Timeout(connect=settings.connect_timeout, read=settings.read_timeout),
            # Certificates are always verified; plain http is refused unless to loopback (regions.py).
            cert_reqs="CERT_REQUIRED",
        )

        def record(response: Any) -> Any:
            self._raw.response = response
            return response

        http.set_post_request_hook(record)
        return client

    def rate_status(self) -> RateStatus:
        now = time.monotonic()
        with self._rate_lock:
            self._forget_before(int(now) - 60)
            return RateStatus(
                last_minute=sum(entry[1] for entry in self._recent),
                refused_last_minute=sum(entry[2] for entry in self._recent),
            )

    def cost(self, queues: int) -> int:
        return max(1, math.ceil(queues / max(1, self.settings.batch_size)))

    def _count_request(self, refused: bool = False) -> None:
        """Count a request made (or, with ``refused``, one of them that met a 429)."""
        column = 2 if refused else 1
        with self._rate_lock:
            second = int(time.monotonic())
            if not self._recent or self._recent[-1][0] != second:
                self._recent.append([second, 0, 0])
                self._forget_before(second - 60)
            self._recent[-1][column] += 1

    def _forget_before(self, second: int) -> None:
        while self._recent and self._recent[0][0] < second:
            self._recent.popleft()

    # --- errors -------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _translating(self, endpoint: str) -> Iterator[None]:
        """Turn whatever the SDK or urllib3 raise into our own errors."""
        host = self.label
        try:
            yield
        except ApiException as error:
            if error.status == 401:
                raise _Unauthorized from None
            raise _from_status(error, endpoint, host) from None
        except urllib3.exceptions.NewConnectionError as error:
            raise Unavailable(f"cannot reach {host}: {_reason(error)}") from None
        except urllib3.exceptions.TimeoutError:
            limit = max(self.settings.connect_timeout, self.settings.read_timeout)
            raise Unavailable(f"{host} did not answer {endpoint} within {limit:g} s") from None
        except urllib3.exceptions.ProtocolError:
            raise Unavailable(f"{host} dropped the connection during {endpoint}") from None
        except urllib3.exceptions.SSLError as error:
            raise Unavailable(f"TLS to {host} failed: {_first_line(error)}") from None
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise Unavailable(f"cannot reach {host}: {_first_line(error)}") from None
        except _UNREADABLE:
            raise BadResponse(f"{host} sent a reply to {endpoint} that could not be read") from None
        except MemoryError:
            raise BadResponse(f"{host} sent a reply to {endpoint} too large to read") from None

    def _call(self, endpoint: str, call: Callable[[], T]) -> T:
        """One API call, with one token renewal on 401."""
        token = self._client.access_token
        for attempt in (1, 2):
            self._count_request()
            try:
                with self._translating(endpoint):
                    return call()
            except RateLimited:
                self._count_request(refused=True)
                raise
            except _Unauthorized:
                if attempt == 2:
                    raise AuthError(
                        f"Genesys Cloud refused a new token for {endpoint}: "
                        "check the OAuth client is active and its credentials are current"
                    ) from None
                self._fetch_token(token)
        raise AssertionError("unreachable")

    def _fetch_token(self, stale: str | None) -> None:
        """Get a client-credentials token, unless another thread already replaced ``stale``."""
        with self._token_lock:
            if stale is not None and self._client.access_token != stale:
                return
            creds = self._credentials
            self._count_request()
            rejected = AuthError(
                f"Genesys Cloud at {self.label} rejected the OAuth client credentials: check "
                "GENESYSCLOUD_OAUTHCLIENT_ID / GENESYSCLOUD_OAUTHCLIENT_SECRET and the region"
            )
            unreadable = BadResponse(
                f"the token endpoint of {self.label} sent a reply that could not be read: check the "
                "region (a proxy or gateway may be answering instead of Genesys Cloud)"
            )
            try:
                with self._translating("/oauth/token"):
                    self._client.get_client_credentials_token(creds.client_id, creds.client_secret)
            except _Unauthorized:
                raise rejected from None
            except (BadResponse, PermissionMissing) as error:
                if isinstance(error, PermissionMissing) or error.status in (400, 403):
                    raise rejected from None
                if error.status is None:
                    raise unreadable from None
                raise
            token = self._client.access_token
            if not isinstance(token, str) or not _TOKEN.fullmatch(token):
                self._client.access_token = None
                raise unreadable
            redact.register(token)

    # --- running calls on the workers ---------------------------------------------------------------

    def _run(self, call: Callable[[], T]) -> T:
        return self._workers.run([call])[0]

    def _batched(
        self, queues: Sequence[QueueInfo], query: Callable[[list[str]], dict[str, R]]
    ) -> PartResult[R]:
        return run_batched(self._workers, [q.id for q in queues], self.settings.batch_size, query)

    # --- the three queries --------------------------------------------------------------------------

    def list_queues(self) -> list[QueueInfo]:
        """Every page of the queue listing: the first, then, once it says how many there are, all
        the others at once on the workers (at 5,000 queues, 50 pages one after the other would be
        most of the wait for the first data)."""
        first = self._run(functools.partial(self._list_page, 1))
        found = _listed(first)
        pages = first.get("pageCount")
        if not first.get("entities") or (not isinstance(pages, int) and not first.get("nextUri")):
            return distinct_names(found)
        if isinstance(pages, int):
            if pages > MAX_PAGES:
                raise BadResponse(
                    f"{self.label} listed more than {MAX_PAGES} pages of queues: is the reply right?"
                )
            for listing in self._workers.run(
                [functools.partial(self._list_page, n) for n in range(2, pages + 1)]
            ):
                found.extend(_listed(listing))
            return distinct_names(found)
        page = 2  # no page count: follow the pages one by one
        while page <= MAX_PAGES:
            listing = self._run(functools.partial(self._list_page, page))
            found.extend(_listed(listing))
            if not listing.get("entities") or not listing.get("nextUri"):
                return distinct_names(found)
            page += 1
        raise BadResponse(f"{self.label} listed more than {MAX_PAGES} pages of queues: is the reply right?")

    def _list_page(self, page: int) -> dict[str, Any]:
        query: dict[str, Any] = {"pageNumber": page, "pageSize": self.settings.page_size}
        if self.settings.name_pattern:
            query["name"] = self.settings.name_pattern
        if self.settings.division_ids:
            query["divisionId"] = list(self.settings.division_ids)
        return self._call(QUEUES_PATH, functools.partial(self._request_json, QUEUES_PATH, "GET", query=query))

    def observe(self, queues: Sequence[QueueInfo]) -> PartResult[QueueLive]:
        return self._batched(queues, self._observe_batch)

    def _observe_batch(self, ids: list[str]) -> dict[str, QueueLive]:
        reply = self._post_json(OBSERVATIONS_PATH, observations_body(ids))
        with self._translating(OBSERVATIONS_PATH):
            return parse_observations(reply, self._clock())

    def _post_json(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST an analytics query through the SDK's client; the reply as parsed JSON."""
        return self._call(path, functools.partial(self._request_json, path, "POST", body=body))

    def _request_json(
        self, path: str, method: str, *, query: dict[str, Any] | None = None, body: Any = None
    ) -> dict[str, Any]:
        """A request through the SDK's client; the reply as parsed JSON.

        The SDK's own model deserialisation costs about 1 ms of interpreter time per queue (an
        ``eval`` per attribute): at 5,000 queues, 2 s for the listing alone, holding the interpreter
        lock the UI thread needs. The request still goes through the SDK (auth, URL, query, HTTP
        client, errors); only the reply is read with ``json``, and the simulator's tests check the
        same replies against the SDK's models.
        """
        self._raw.response = None
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        self._client.call_api(
            path,
            method,
            path_params={},
            query_params=query or {},
            header_params=headers,
            body=body,
            post_params=[],
            files={},
            response_type=None,
            auth_settings=["PureCloud OAuth"],
        )
        response = self._raw.response
        data = json.loads(response.data) if response is not None else None
        if not isinstance(data, dict):
            raise BadResponse(f"{self.label} sent a reply to {path} that is not a JSON object")
        return data

    def today(self, queues: Sequence[QueueInfo]) -> PartResult[QueueToday]:
        interval = today_interval(self._clock(), self._zone)
        targets = {q.id: q.sl_targets for q in queues}
        return self._batched(queues, lambda ids: self._today_batch(ids, interval, targets))

    def _today_batch(self, ids: list[str], interval: str, targets: dict[str, Any]) -> dict[str, QueueToday]:
        reply = self._post_json(AGGREGATES_PATH, aggregates_body(ids, interval, self.settings.timezone))
        with self._translating(AGGREGATES_PATH):
            return parse_aggregates(reply, targets)

    def agent_activity(self, queue_ids: Sequence[str]) -> PartResult[tuple[AgentActivity, ...]]:
        """The queues' logged-in members one by one (routing activity query, details on), with
        their names (looked up once per agent, ``GET /api/v2/users``)."""
        queues = [QueueInfo(id=queue_id, name=queue_id) for queue_id in queue_ids]
        result = self._batched(queues, self._activity_batch)
        self._look_up_names({a.user_id for agents in result.values.values() for a in agents})
        named = {
            queue_id: tuple(replace(a, name=self._names.get(a.user_id)) for a in agents)
            for queue_id, agents in result.values.items()
        }
        return PartResult(named, result.failures)

    def _activity_batch(self, ids: list[str]) -> dict[str, tuple[AgentActivity, ...]]:
        reply = self._post_json(ROUTING_ACTIVITY_PATH, routing_activity_body(ids))
        with self._translating(ROUTING_ACTIVITY_PATH):
            found = parse_routing_activity(reply, self._clock())
        return {queue_id: found.get(queue_id, ()) for queue_id in ids}

    def _look_up_names(self, user_ids: set[str]) -> None:
        """Names of agents not seen before; a name that cannot be had is not asked for again,
        unless the failure was passing (a throttle, an outage)."""
        unknown = sorted(user_id for user_id in user_ids if user_id not in self._names)
        for start in range(0, len(unknown), USERS_PER_REQUEST):
            chunk = unknown[start : start + USERS_PER_REQUEST]
            get = functools.partial(self._users.get_users, id=chunk, page_size=USERS_PER_REQUEST)
            listing: Any = None
            try:
                listing = self._run(functools.partial(self._call, USERS_PATH, get))
            except SourceError as error:
                if error.retryable:
                    return
            for user in getattr(listing, "entities", None) or []:
                if user.id:
                    self._names[clean(user.id)] = clean_name(user.name) if user.name is not None else None
            for user_id in chunk:
                self._names.setdefault(user_id, None)

    # --- the Notifications API (channels and subscriptions; the WebSocket is push.py's) ------------

    def create_channel(self) -> ChannelInfo:
        """``POST /api/v2/notifications/channels``: a new channel and its WebSocket address."""

        def create() -> ChannelInfo:
            channel = self._call(CHANNELS_PATH, self._notifications.post_notifications_channels)
            if not isinstance(channel, sdk.Channel) or not channel.id or not channel.connect_uri:
                raise BadResponse(f"{self.label} sent a channel that could not be read")
            expires = channel.expires.timestamp() if isinstance(channel.expires, datetime) else None
            return ChannelInfo(clean(channel.id, limit=100), str(channel.connect_uri), expires)

        return self._run(create)

    def subscribe(self, channel_id: str, topics: Sequence[str]) -> list[TopicState]:
        """``PUT …/channels/{id}/subscriptions``: the channel's topics become ``topics``."""

        def put() -> list[TopicState]:
            body = []
            for topic in topics:
                item = sdk.ChannelTopic()
                item.id = topic
                body.append(item)
            call = functools.partial(
                self._notifications.put_notifications_channel_subscriptions,
                channel_id,
                body,
                ignore_errors=True,
            )
            listing = self._call(SUBSCRIPTIONS_PATH, call)
            if not isinstance(listing, sdk.ChannelTopicEntityListing):
                raise BadResponse(f"{self.label} sent a subscription reply that could not be read")
            return [
                TopicState(
                    topic=str(entity.id or ""),
                    permitted=entity.state != "Rejected",
                    reason=clean(entity.rejection_reason or "", limit=200),
                    missing_permissions=tuple(clean(p, limit=100) for p in entity.missing_permissions or ()),
                )
                for entity in listing.entities or []
            ]

        return self._run(put)

    def available_topics(self) -> list[TopicInfo]:
        """``GET /api/v2/notifications/availabletopics``, with permissions and schemas."""

        def get() -> list[TopicInfo]:
            call = functools.partial(
                self._notifications.get_notifications_availabletopics,
                expand=["description", "requiresPermissions", "schema"],
            )
            listing = self._call(TOPICS_PATH, call)
            if not isinstance(listing, sdk.AvailableTopicEntityListing):
                raise BadResponse(f"{self.label} sent a topic list that could not be read")
            found = []
            for topic in listing.entities or []:
                schema = topic.schema if isinstance(topic.schema, dict) else {}
                title = schema.get("title") or schema.get("id")
                found.append(
                    TopicInfo(
                        id=clean(topic.id or "", limit=200),
                        permissions=tuple(clean(p, limit=100) for p in topic.requires_permissions or ()),
                        schema_title=clean(str(title), limit=200) if title else None,
                        description=clean(topic.description or "", limit=200),
                    )
                )
            return found

        return self._run(get)

    def close(self) -> None:
        if not self._workers.closed:
            self._workers.close()
            if self._on_close is not None:
                self._on_close()


def _listed(listing: Mapping[str, Any]) -> list[QueueInfo]:
    """The queues of one page of the listing (``QueueEntityListing`` as JSON)."""
    entities = listing.get("entities")
    if not isinstance(entities, list):
        return []
    return [queue_info(queue) for queue in entities if isinstance(queue, dict) and queue.get("id")]


# --- error translation ----------------------------------------------------------------------------


def _reason(error: urllib3.exceptions.NewConnectionError) -> str:
    """Why a connection could not be made, without urllib3's object reprs."""
    if isinstance(error, urllib3.exceptions.NameResolutionError):
        return "the host name does not resolve"
    text = str(error)
    return redact.one_line(text.split(": ", 1)[-1], 200) if ": " in text else "connection failed"


def _first_line(error: BaseException) -> str:
    try:
        text = str(error).strip().splitlines()
    except Exception:  # noqa: BLE001 - a broken __str__ still gets a message
        text = []
    return redact.one_line(text[0], 200) if text else type(error).__name__


def _error_body(error: ApiException) -> dict[str, Any]:
    try:
        body = json.loads(error.body or "")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def _retry_after(error: ApiException) -> float | None:
    headers = error.headers or {}
    value = headers.get("Retry-After")
    try:
        seconds = float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
    return max(0.0, seconds) if seconds is not None and math.isfinite(seconds) else None


def _from_status(error: ApiException, endpoint: str, host: str) -> SourceError:
    status = int(error.status or 0)
    body = _error_body(error)
    if status == 403:
        return PermissionMissing(PERMISSIONS.get(endpoint, "unknown"), endpoint)
    if status == 429:
        return RateLimited(_retry_after(error), endpoint)
    if status == 0 or status >= 500 or status == 408:
        return Unavailable(f"Genesys Cloud at {host} is unavailable (HTTP {status or 'error'} on {endpoint})")
    message = str(body.get("message") or error.reason or "").splitlines()
    detail = f": {redact.one_line(message[0], 200)}" if message and message[0] else ""
    return BadResponse(f"Genesys Cloud at {host} rejected {endpoint} (HTTP {status}){detail}", status)
