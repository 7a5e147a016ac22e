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

Batched queries run on a few daemon threads, so a caller that stops never waits on a socket.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import queue
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn, TypeVar
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
from queuewatch.model import (
    ROUTING_STATUSES,
    AgentActivity,
    Agents,
    Live,
    QueueInfo,
    QueueLive,
    QueueToday,
    ServiceLevelTarget,
    Today,
)
from queuewatch.source import BatchFailure, PartResult, RateStatus
from queuewatch.untrusted import clean, clean_name, distinguish

T = TypeVar("T")
R = TypeVar("R")

#: What a readable token looks like: printable ASCII, no spaces (it goes into a header).
_TOKEN = re.compile(r"[\x21-\x7e]{1,4096}")

#: Errors that reading a reply can raise (bad JSON, missing keys, wrong types, numbers out of range,
#: bad encodings, nesting deeper than the parser's recursion limit): a reply we could not read.
_UNREADABLE = (ValueError, LookupError, TypeError, AttributeError, ArithmeticError, RecursionError)

QUEUES_PATH = "/api/v2/routing/queues"
OBSERVATIONS_PATH = "/api/v2/analytics/queues/observations/query"
AGGREGATES_PATH = "/api/v2/analytics/conversations/aggregates/query"
ROUTING_ACTIVITY_PATH = "/api/v2/analytics/routing/activity/query"
USERS_PATH = "/api/v2/users"

#: The permission each endpoint needs on the OAuth client's role (the users listing needs none).
PERMISSIONS = {
    QUEUES_PATH: "routing:queue:view",
    OBSERVATIONS_PATH: "analytics:queueObservation:view",
    AGGREGATES_PATH: "analytics:conversationAggregate:view",
    ROUTING_ACTIVITY_PATH: "analytics:queueObservation:view",
}
#: Users looked up by id per request.
USERS_PER_REQUEST = 100

OBSERVATION_METRICS = (
    "oWaiting",
    "oInteracting",
    "oAlerting",
    "oOnQueueUsers",
    "oOffQueueUsers",
    "oMemberUsers",
    "oUserRoutingStatuses",
)
#: Pages of queues read at most (an org holds up to 5,000 queues: 50 pages of 100); a reply that
#: keeps promising another page is not followed for ever.
MAX_PAGES = 1000

AGGREGATE_METRICS = ("nOffered", "tAnswered", "tAbandon", "tHandle", "oServiceLevel")

#: Queue configuration names media differently from analytics.
CONFIG_MEDIA = {
    "call": "voice",
    "callback": "callback",
    "chat": "chat",
    "email": "email",
    "message": "message",
}


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


class _Workers:
    """A fixed set of daemon threads running calls; waiting on them can be abandoned."""

    def __init__(self, size: int) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"queuewatch-http-{i}", daemon=True)
            for i in range(max(1, size))
        ]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            call, future = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(call())
            except BaseException as error:  # noqa: BLE001 - handed to the waiting caller
                future.set_exception(error)

    def submit(self, call: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        self._jobs.put((call, future))
        return future

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)


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
        self._closed = threading.Event()
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
        self._workers = _Workers(settings.concurrency)
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
        return self._gather([call])[0]

    def _gather(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """Run calls on the workers; the results in order. Raises the first error."""
        outcomes = self._gather_outcomes(calls)
        results: list[T] = []
        for outcome in outcomes:
            if isinstance(outcome, SourceError):
                raise outcome
            results.append(outcome)
        return results

    def _gather_outcomes(self, calls: Sequence[Callable[[], T]]) -> list[T | SourceError]:
        if self._closed.is_set():
            raise Unavailable("the connection to Genesys Cloud is closed")
        futures = [self._workers.submit(call) for call in calls]
        pending = set(futures)
        while pending:
            _, pending = wait(pending, timeout=0.2, return_when=FIRST_EXCEPTION)
            if self._closed.is_set():
                for future in pending:
                    future.cancel()
                raise Unavailable("stopped while waiting for Genesys Cloud")
        outcomes: list[T | SourceError] = []
        for future in futures:
            error = future.exception()
            if error is None:
                outcomes.append(future.result())
            elif isinstance(error, SourceError):
                outcomes.append(error)
            else:
                raise error
        return outcomes

    def _batched(
        self, queues: Sequence[QueueInfo], query: Callable[[list[str]], dict[str, R]]
    ) -> PartResult[R]:
        ids = [q.id for q in queues]
        size = max(1, self.settings.batch_size)
        batches = [ids[i : i + size] for i in range(0, len(ids), size)]
        if not batches:
            return PartResult()
        outcomes = self._gather_outcomes([functools.partial(query, batch) for batch in batches])
        values: dict[str, R] = {}
        failures: list[BatchFailure] = []
        for batch, outcome in zip(batches, outcomes, strict=True):
            if isinstance(outcome, SourceError):
                failures.append(BatchFailure(tuple(batch), outcome))
            else:
                values.update(outcome)
        if failures and len(failures) == len(batches):
            _raise_worst([f.error for f in failures])
        return PartResult(values, tuple(failures))

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
            for listing in self._gather([functools.partial(self._list_page, n) for n in range(2, pages + 1)]):
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
        body = {
            "filter": {"type": "or", "predicates": [{"dimension": "queueId", "value": q} for q in ids]},
            "metrics": list(OBSERVATION_METRICS),
            "detailMetrics": ["oWaiting"],
        }
        reply = self._post_json(OBSERVATIONS_PATH, body)
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
        now = self._clock().astimezone(self._zone)
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        if now - midnight < timedelta(seconds=1):
            now = midnight + timedelta(seconds=1)
        interval = f"{midnight.isoformat(timespec='milliseconds')}/{now.isoformat(timespec='milliseconds')}"
        targets = {q.id: q.sl_targets for q in queues}
        return self._batched(queues, lambda ids: self._today_batch(ids, interval, targets))

    def _today_batch(self, ids: list[str], interval: str, targets: dict[str, Any]) -> dict[str, QueueToday]:
        body = {
            "interval": interval,
            "timeZone": self.settings.timezone,
            "groupBy": ["queueId", "mediaType"],
            "filter": {"type": "or", "predicates": [{"dimension": "queueId", "value": q} for q in ids]},
            "metrics": list(AGGREGATE_METRICS),
        }
        reply = self._post_json(AGGREGATES_PATH, body)
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
        body = {
            "metrics": [{"metric": "oUserRoutingStatuses", "details": True}],
            "groupBy": ["queueId"],
            "filter": {"type": "or", "predicates": [{"dimension": "queueId", "value": q} for q in ids]},
        }
        reply = self._post_json(ROUTING_ACTIVITY_PATH, body)
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

    def close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            self._workers.close()
            if self._on_close is not None:
                self._on_close()


# --- parsing: SDK models -> our model -------------------------------------------------------------


def _listed(listing: Mapping[str, Any]) -> list[QueueInfo]:
    """The queues of one page of the listing (``QueueEntityListing`` as JSON)."""
    entities = listing.get("entities")
    if not isinstance(entities, list):
        return []
    return [_queue_info(queue) for queue in entities if isinstance(queue, dict) and queue.get("id")]


def _queue_info(queue: Mapping[str, Any]) -> QueueInfo:
    targets: dict[str, ServiceLevelTarget] = {}
    settings = queue.get("mediaSettings")
    for config_name, media in CONFIG_MEDIA.items():
        media_settings = settings.get(config_name) if isinstance(settings, dict) else None
        level = media_settings.get("serviceLevel") if isinstance(media_settings, dict) else None
        if isinstance(level, dict):
            percentage, duration_ms = level.get("percentage"), level.get("durationMs")
            if isinstance(percentage, int | float) and isinstance(duration_ms, int | float):
                targets[media] = ServiceLevelTarget(float(percentage), duration_ms / 1000)
    division = queue.get("division")
    division = division if isinstance(division, dict) else {}
    members = queue.get("memberCount")
    return QueueInfo(
        id=clean(str(queue["id"])),
        name=clean_name(queue.get("name") if isinstance(queue.get("name"), str) else None),
        division=clean_name(division["name"]) if isinstance(division.get("name"), str) else None,
        division_id=clean(division["id"]) if isinstance(division.get("id"), str) else None,
        member_count=members if isinstance(members, int) and not isinstance(members, bool) else None,
        sl_targets=targets,
    )


def distinct_names(queues: list[QueueInfo]) -> list[QueueInfo]:
    """The queues, with names that would look alike on screen told apart by their ids."""
    shown = distinguish({q.id: q.name for q in queues})
    return [q if shown[q.id] == q.name else replace(q, name=shown[q.id]) for q in queues]


@dataclass
class _LiveAcc:
    statuses: dict[str, int] = field(default_factory=dict)
    on_queue: int = 0
    off_queue_users: int | None = None
    members: int = 0
    media: dict[str, dict[str, int]] = field(default_factory=dict)
    detail: list[tuple[datetime, str, str]] = field(default_factory=list)
    #: Media types whose list of waiting conversations Genesys truncated.
    truncated: set[str] = field(default_factory=set)
    user_group: bool = False


def _count(data: dict[str, Any]) -> int:
    count = (data.get("stats") or {}).get("count")
    return int(count) if count is not None else 0


def _when(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def parse_observations(reply: dict[str, Any], now: datetime) -> dict[str, QueueLive]:
    """A queue observation reply -> live figures per queue id.

    Zero counts may be omitted by the API, so a metric absent for a queue that has results is 0;
    a group with zero counts is kept as zeros (a real reply has one for every media type of every
    queue: ``model.combine`` decides which the queue handles).

    Longest wait is now minus the oldest ``observationDate`` of the ``oWaiting`` details. When
    Genesys truncated that list (``truncated``), no published source says for certain that the
    oldest conversation is still in it, so the figure is only a lower bound:
    ``longest_wait_exact`` is False.
    """
    accs: dict[str, _LiveAcc] = {}
    for container in reply.get("results") or []:
        group = container.get("group") or {}
        queue_id = group.get("queueId")
        if not queue_id:
            continue
        acc = accs.setdefault(queue_id, _LiveAcc())
        media = clean(group["mediaType"]) if group.get("mediaType") is not None else None
        for data in container.get("data") or []:
            metric = data.get("metric")
            if media is None:
                acc.user_group = True
                qualifier = data.get("qualifier")
                if metric == "oUserRoutingStatuses" and qualifier in ROUTING_STATUSES:
                    name = ROUTING_STATUSES[qualifier]
                    acc.statuses[name] = acc.statuses.get(name, 0) + _count(data)
                elif metric == "oOnQueueUsers":
                    acc.on_queue += _count(data)
                elif metric == "oOffQueueUsers":
                    acc.off_queue_users = (acc.off_queue_users or 0) + _count(data)
                elif metric == "oMemberUsers":
                    acc.members += _count(data)
            elif metric in ("oWaiting", "oInteracting", "oAlerting"):
                counts = acc.media.setdefault(media, {})
                counts[metric] = counts.get(metric, 0) + _count(data)
                if metric == "oWaiting":
                    if data.get("truncated") is True:
                        acc.truncated.add(media)
                    for obs in data.get("observations") or []:
                        when = _when(obs.get("observationDate"))
                        if when is not None:
                            acc.detail.append((when, clean(obs.get("conversationId") or ""), media))
    return {queue_id: _live(acc, now) for queue_id, acc in accs.items()}


def _live(acc: _LiveAcc, now: datetime) -> QueueLive:
    acc.detail.sort()
    oldest: dict[str, datetime] = {}
    for when, _, media in acc.detail:
        oldest.setdefault(media, when)
    by_media: dict[str, Live] = {}
    for media, counts in acc.media.items():
        waiting = counts.get("oWaiting", 0)
        first = oldest.get(media)
        longest = max(0.0, (now - first).total_seconds()) if first is not None else None
        by_media[media] = Live(
            waiting=waiting,
            longest_wait_s=0.0 if waiting == 0 else longest,
            interacting=counts.get("oInteracting", 0),
            alerting=counts.get("oAlerting", 0),
            longest_wait_exact=waiting == 0 or media not in acc.truncated,
        )
    waiting = sum(m.waiting or 0 for m in by_media.values())
    waits = [m.longest_wait_s for m in by_media.values() if m.waiting]
    longest_wait: float | None = 0.0
    if waiting:
        longest_wait = None if None in waits else max(w or 0.0 for w in waits)
    live = Live(
        waiting=waiting,
        longest_wait_s=longest_wait,
        interacting=sum(m.interacting or 0 for m in by_media.values()),
        alerting=sum(m.alerting or 0 for m in by_media.values()),
        # A bound on one media type bounds the queue's too: its oldest may be the one not listed.
        longest_wait_exact=all(m.longest_wait_exact for m in by_media.values()),
    )
    agents = Agents()
    members = None
    if acc.user_group:
        statuses = {name: acc.statuses.get(name, 0) for name in ROUTING_STATUSES.values()}
        if acc.off_queue_users is not None:
            statuses["off_queue"] = max(statuses["off_queue"], acc.off_queue_users)
        agents = Agents(**statuses, on_queue=acc.on_queue)
        members = acc.members
    detail = tuple(
        (conversation, media, max(0.0, (now - when).total_seconds()))
        for when, conversation, media in acc.detail
    )
    return QueueLive(live=live, agents=agents, members=members, by_media=by_media, waiting_detail=detail)


@dataclass
class _TodayAcc:
    offered: int = 0
    answered: int = 0
    answered_ms: float = 0.0
    abandoned: int = 0
    handled: int = 0
    handle_ms: float = 0.0
    sl_num: float = 0.0
    sl_den: float = 0.0
    sl_target: float | None = None

    def add(self, other: _TodayAcc) -> None:
        for name in ("offered", "answered", "answered_ms", "abandoned", "handled", "handle_ms"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.sl_num += other.sl_num
        self.sl_den += other.sl_den

    def today(self, sl_target: float | None) -> Today:
        return Today(
            offered=self.offered,
            answered=self.answered,
            abandoned=self.abandoned,
            abandon_rate=self.abandoned / self.offered if self.offered else None,
            service_level=self.sl_num / self.sl_den if self.sl_den else None,
            sl_target=self.sl_target if self.sl_target is not None else sl_target,
            asa_s=self.answered_ms / self.answered / 1000 if self.answered else None,
            aht_s=self.handle_ms / self.handled / 1000 if self.handled else None,
        )


def _add_metric(acc: _TodayAcc, metric: Any, stats: dict[str, Any]) -> None:
    count = int(stats.get("count") or 0)
    if metric == "nOffered":
        acc.offered += count
    elif metric == "tAnswered":
        acc.answered += count
        acc.answered_ms += float(stats.get("sum") or 0)
    elif metric == "tAbandon":
        acc.abandoned += count
    elif metric == "tHandle":
        acc.handled += count
        acc.handle_ms += float(stats.get("sum") or 0)
    elif metric == "oServiceLevel":
        acc.sl_num += float(stats.get("numerator") or 0)
        acc.sl_den += float(stats.get("denominator") or 0)
        if stats.get("target") is not None:
            acc.sl_target = float(stats["target"])


def parse_aggregates(reply: dict[str, Any], targets: dict[str, Any]) -> dict[str, QueueToday]:
    """A conversation aggregates reply grouped by queue and media -> today's figures per queue id."""
    per_queue: dict[str, dict[str, _TodayAcc]] = {}
    for container in reply.get("results") or []:
        group = container.get("group") or {}
        queue_id = group.get("queueId")
        if not queue_id:
            continue
        acc = per_queue.setdefault(queue_id, {}).setdefault(
            clean(group.get("mediaType") or "all"), _TodayAcc()
        )
        for interval in container.get("data") or []:
            for metric in interval.get("metrics") or []:
                _add_metric(acc, metric.get("metric"), metric.get("stats") or {})
    result: dict[str, QueueToday] = {}
    for queue_id, media in per_queue.items():
        queue_targets = targets.get(queue_id) or {}
        total = _TodayAcc()
        by_media: dict[str, Today] = {}
        for name, acc in media.items():
            total.add(acc)
            target = queue_targets.get(name)
            by_media[name] = acc.today(target.percentage if target is not None else None)
        # The queue's service level blends its media types: it has a target only when every media
        # type in the blend has the same one (never the first media type's, compared with the blend).
        blended = {by_media[name].sl_target for name, acc in media.items() if acc.sl_den}
        if not blended:
            blended = {t.percentage for t in queue_targets.values()}
        total.sl_target = blended.pop() if len(blended) == 1 else None
        today = total.today(None)
        result[queue_id] = QueueToday(today=today, by_media={k: v for k, v in by_media.items() if k != "all"})
    return result


def parse_routing_activity(reply: dict[str, Any], now: datetime) -> dict[str, tuple[AgentActivity, ...]]:
    """A routing activity reply (``oUserRoutingStatuses`` with details) -> each queue's agents,
    by routing status (as ``ROUTING_STATUSES`` orders them), the longest in it first."""
    order = {name: n for n, name in enumerate(ROUTING_STATUSES.values())}
    found: dict[str, tuple[AgentActivity, ...]] = {}
    for result in reply.get("results") or []:
        queue_id = (result.get("group") or {}).get("queueId")
        if not queue_id:
            continue
        agents: dict[str, AgentActivity] = {}
        for entity in result.get("entities") or []:
            user_id, status = entity.get("userId"), ROUTING_STATUSES.get(entity.get("routingStatus"))
            if not user_id or status is None:
                continue
            when = _when(entity.get("routingStatusDate"))
            seconds = max(0.0, (now - when).total_seconds()) if when is not None else None
            agents[clean(user_id)] = AgentActivity(clean(user_id), status, seconds)
        for data in result.get("data") or []:
            status = ROUTING_STATUSES.get(data.get("qualifier"))
            if data.get("metric") != "oUserRoutingStatuses" or status is None:
                continue
            for user_id in data.get("entityIds") or []:
                agents.setdefault(clean(user_id), AgentActivity(clean(user_id), status))
        found[clean(queue_id)] = tuple(
            sorted(agents.values(), key=lambda a: (order[a.status], -(a.seconds or 0.0), a.user_id))
        )
    return found


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


def _raise_worst(errors: Sequence[SourceError]) -> NoReturn:
    """Of several batch errors, raise the one that matters most to the person watching."""
    for kind in (AuthError, PermissionMissing):
        for error in errors:
            if isinstance(error, kind):
                raise error
    limited = [e for e in errors if isinstance(e, RateLimited)]
    if limited:
        raise max(limited, key=lambda e: e.retry_after or 0.0)
    raise errors[0]
