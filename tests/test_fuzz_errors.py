"""Every call queuewatch makes to the SDK and urllib3, made to raise every exception type they can.

For each call site and each exception type Python and urllib3 define (and the SDK's own
``ApiException`` at the statuses that matter), through the real SDK against the simulator:

- ``snapshot`` exits non-zero with its error on one line of stderr, and no traceback;
- the dashboard stays up and says what is wrong in the status bar, on one line;
- the distinctive client secret appears nowhere: stdout, stderr, the log file, the screen, the
  status bar, and no crash report is written, since nothing crashed.

Each exception carries the secret, a Basic header built from it and control characters in its
message, and the frame that raises it holds the secret in a local variable, as an SDK frame would.
"""

from __future__ import annotations

import base64
import builtins
import io
import itertools
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
import urllib3.exceptions
from textual.widgets import Label

from queuewatch.cli import CleanFormatter, log_event, main, make_connect
from queuewatch.config import build_settings
from queuewatch.poller import PollerSettings
from queuewatch.simulator import ContactCentre, SimulatorServer
from queuewatch.thresholds import Thresholds
from queuewatch.tui.app import QueuewatchApp
from tests.fakes import wait_for

SECRET = "S3CRET-fuzz-5b1e0c9a-DoNotLeak"
CLIENT_ID = "fuzzer"
BASIC = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
ENV = {"GENESYSCLOUD_OAUTHCLIENT_ID": CLIENT_ID, "GENESYSCLOUD_OAUTHCLIENT_SECRET": SECRET}
MESSAGE = f"boom {SECRET}\nAuthorization: Basic {BASIC}\x1b[31m {{'client_secret': '{SECRET}'}}"


def _exception_types(module: Any, prefix: str) -> list[type[Exception]]:
    found = {
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, Exception) and value.__module__.startswith(prefix)
    }
    return sorted(found, key=lambda kind: kind.__name__)


def _invalid_chunk_length() -> Exception:
    response: Any = io.BytesIO()  # all the exception reads of its response is tell()
    return urllib3.exceptions.InvalidChunkLength(response, MESSAGE.encode())


def _build(kind: type[Exception]) -> Exception:
    """An instance of ``kind`` whose message carries the secret (when its constructor takes one)."""
    special: dict[type[Exception], Callable[[], Exception]] = {
        ExceptionGroup: lambda: ExceptionGroup(MESSAGE, [ValueError(MESSAGE)]),
        UnicodeDecodeError: lambda: UnicodeDecodeError("utf-8", MESSAGE.encode(), 0, 1, MESSAGE),
        UnicodeEncodeError: lambda: UnicodeEncodeError("ascii", MESSAGE, 0, 1, MESSAGE),
        UnicodeTranslateError: lambda: UnicodeTranslateError(MESSAGE, 0, 1, MESSAGE),
        urllib3.exceptions.IncompleteRead: lambda: urllib3.exceptions.IncompleteRead(5, 10),
        urllib3.exceptions.InvalidChunkLength: _invalid_chunk_length,
    }
    if kind in special:
        return special[kind]()
    for count in range(1, 5):
        try:
            error = kind(*[MESSAGE] * count)
            str(error)
        except Exception:
            continue
        return error
    raise AssertionError(f"cannot build {kind.__name__}")


def _api_exception(status: int) -> Callable[[], Exception]:
    def build() -> Exception:
        from PureCloudPlatformClientV2.rest import ApiException

        error: Exception = ApiException(status=status, reason=MESSAGE)
        error.headers = {"Authorization": f"Basic {BASIC}", "Retry-After": "1"}  # type: ignore[attr-defined]
        error.body = f'{{"message": "{SECRET}"}}'  # type: ignore[attr-defined]
        return error

    return build


#: name -> a factory of a fresh exception (a raised exception keeps its traceback).
EXCEPTIONS: dict[str, Callable[[], Exception]] = {
    **{
        f"py-{kind.__name__}": (lambda kind=kind: _build(kind))  # type: ignore[misc]
        for kind in _exception_types(builtins, "builtins")
    },
    **{
        f"urllib3-{kind.__name__}": (lambda kind=kind: _build(kind))  # type: ignore[misc]
        for kind in _exception_types(urllib3.exceptions, "urllib3")
    },
    **{f"sdk-ApiException-{status}": _api_exception(status) for status in (0, 400, 401, 403, 404, 429, 500)},
}


def _site(name: str) -> tuple[Any, str, Callable[[tuple[Any, ...], dict[str, Any]], bool]]:
    """(owner, attribute, which calls to break) for each call the adapter makes."""
    import PureCloudPlatformClientV2 as sdk
    from PureCloudPlatformClientV2.rest import RESTResponse

    def every(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        return True

    def analytics(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        return "/analytics/" in str(args[1] if len(args) > 1 else kwargs.get("resource_path"))

    def listing(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        return "/routing/queues" in str(args[1] if len(args) > 1 else kwargs.get("resource_path"))

    sites = {
        "sdk-client": (sdk.ApiClient, "__init__", every),
        "sdk-token": (sdk.ApiClient, "get_client_credentials_token", every),
        "sdk-queues": (sdk.ApiClient, "call_api", listing),  # the listing, read as JSON
        "sdk-analytics": (sdk.ApiClient, "call_api", analytics),
        "urllib3-request": (urllib3.PoolManager, "request", every),
        "urllib3-headers": (RESTResponse, "getheaders", every),
    }
    return sites[name]


SITES = ["sdk-client", "sdk-token", "sdk-queues", "sdk-analytics", "urllib3-request", "urllib3-headers"]


class Breaker:
    """Makes one call site raise: one chosen exception, or each of them in turn."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, site: str, errors: list[str]) -> None:
        owner, attribute, applies = _site(site)
        original = getattr(owner, attribute)
        self.raised: list[str] = []
        self._errors = itertools.cycle(errors)
        self._lock = threading.Lock()

        def broken(*args: Any, **kwargs: Any) -> Any:
            if not applies(args, kwargs):
                return original(*args, **kwargs)
            with self._lock:
                name = next(self._errors)
                self.raised.append(name)
            client_secret = SECRET  # a frame local holding the secret, as the SDK's frames do
            authorization = f"Basic {BASIC}"
            raise EXCEPTIONS[name]() from RuntimeError(f"{client_secret} {authorization}")

        monkeypatch.setattr(owner, attribute, broken)


@pytest.fixture(scope="module")
def guarded() -> Iterator[SimulatorServer]:
    """A simulator that accepts only the distinctive secret."""
    from queuewatch.simulator import default_scenario
    from queuewatch.simulator.scenario import during_business_hours

    centre = ContactCentre(during_business_hours(default_scenario()), seed=3)
    with SimulatorServer(centre, port=0, client_id=CLIENT_ID, client_secret=SECRET) as server:
        yield server


@pytest.fixture(autouse=True)
def _state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Crash reports, if any, land here."""
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return state


def jumping_clock(step: float = 1000.0) -> Callable[[], float]:
    """A monotonic clock that moves ``step`` seconds at every reading: no backoff is waited out."""
    counter = itertools.count(step=step)
    return lambda: float(next(counter))


def leaks(*texts: str) -> list[str]:
    """The secret or its Basic form, wherever found."""
    return [text for text in texts if SECRET in text or BASIC in text]


def crash_reports(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "state").rglob("crash-*"))


@pytest.mark.parametrize("error", sorted(EXCEPTIONS))
@pytest.mark.parametrize("site", SITES)
def test_snapshot_says_one_line_and_leaks_nothing(
    site: str,
    error: str,
    guarded: SimulatorServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    breaker = Breaker(monkeypatch, site, [error])
    log = tmp_path / "queuewatch.log"
    argv = ["snapshot", "--region", guarded.base_url, "--format", "json", "--log-file", str(log)]
    code = main(argv, env=ENV, clock=jumping_clock())
    out, err = capsys.readouterr()
    assert breaker.raised, "the broken call was made"
    assert code in (1, 3, 4), err
    lines = err.splitlines()
    final = [line for line in lines if "; retrying in " not in line]
    assert len(final) == 1, err
    assert all(line.startswith("queuewatch: ") for line in lines), err
    assert "Traceback" not in err and "\x1b" not in err
    assert out == ""
    assert not leaks(out, err, log.read_text())
    assert not crash_reports(tmp_path), "nothing crashed"


@pytest.mark.parametrize("site", SITES)
async def test_the_dashboard_stays_up_through_every_exception(
    site: str, guarded: SimulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = sorted(EXCEPTIONS)
    breaker = Breaker(monkeypatch, site, names)
    settings = build_settings({"region": guarded.base_url}, ENV)
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(CleanFormatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("queuewatch")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    problems: set[str] = set()
    app = QueuewatchApp(
        connect=make_connect(settings),
        label=settings.region_label,
        poller_settings=PollerSettings(interval=settings.interval),
        thresholds=Thresholds(),
        clock=jumping_clock(),
        on_event=log_event,
    )

    def problem() -> str:
        label = app.query_one("#status-problem", Label)
        return str(label.content) if label.display else ""

    try:
        async with app.run_test(size=(120, 30)) as pilot:

            def seen_all() -> bool:
                problems.add(problem())
                return len(set(breaker.raised)) == len(names)

            await wait_for(pilot, seen_all, timeout=120)
            await pilot.pause()
            problems.add(problem())
            screen = app.export_screenshot()
            assert app.is_running and app.return_code is None, "the dashboard stayed up"
            assert app.crash_line is None
    finally:
        logger.removeHandler(handler)
    shown = {p for p in problems if p}
    assert shown, "the status bar said what was wrong"
    assert all("\n" not in p and "\x1b" not in p for p in shown)
    if site != "urllib3-headers":
        assert any(p.startswith("unexpected ") for p in shown), shown
    assert not leaks(screen, *problems, written.getvalue())
    assert "Traceback" in written.getvalue(), "the log has the detail"
    assert not crash_reports(tmp_path)
