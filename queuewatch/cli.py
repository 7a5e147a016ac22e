"""The ``queuewatch`` command: wiring only.

    queuewatch [--demo] [--region R] [--interval S] [--filter P] ...   the live dashboard
    queuewatch snapshot [--demo] [--format table|json|csv|ndjson] [--watch]  one-shot (or streamed) figures
    queuewatch simulate [--port N] ...                                 the local Genesys Cloud simulator
    queuewatch collect --to redis://… [--demo] ...                     the org's one client, into Redis
    queuewatch --from redis://… | --record FILE                        the dashboard on a collector / recorded
    queuewatch replay (FILE | --from redis://…) [--at 10:42]           the dashboard over a recording
    queuewatch config path|init                                        where the config file lives

Exit codes: 0 ok, 1 unexpected error (a bug), 2 usage or configuration, 3 credentials or
permissions, 4 Genesys unavailable, 130 interrupted (Ctrl+C).

Nothing here ever prints a traceback: an error we expect is one line; an unexpected one is one line
too, and its detail goes to the log (``--log-file``), or, when it would end the program, to a crash
report (``queuewatch.crash``) whose path that line gives. Both are redacted.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NoReturn, Protocol, TextIO, runtime_checkable

from queuewatch import __version__, crash
from queuewatch.config import (
    BOUNDS,
    CONFIG_VAR,
    ID_VARS,
    REGION_VAR,
    SECRET_VARS,
    SETTINGS_BY_NAME,
    Settings,
    build_settings,
    default_config_path,
)
from queuewatch.cpuwatch import ENV_VAR as CPU_WATCH_VAR
from queuewatch.errors import ConfigError, QueuewatchError
from queuewatch.poller import (
    INTERNAL,
    BackingOff,
    Connected,
    Connecting,
    Poller,
    PollerEvent,
    PollerSettings,
    PollFailed,
    SnapshotReceived,
)
from queuewatch.redact import redact
from queuewatch.source import LIVE_MODES, QueueSource
from queuewatch.untrusted import clean_lines

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_AUTH, EXIT_UNAVAILABLE = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130
#: The width of ``snapshot``'s table when the output is no terminal and ``COLUMNS`` is not set.
PLAIN_WIDTH = 80
#: PollFailed.kind -> exit code.
EXIT_BY_KIND = {"auth": EXIT_AUTH, "permission": EXIT_AUTH, "config": EXIT_USAGE, INTERNAL: EXIT_INTERNAL}

log = logging.getLogger("queuewatch")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _bounded(name: str) -> Callable[[str], float | int]:
    """An argparse type: the number within ``config.BOUNDS[name]``, or one line saying the range."""

    def parse(text: str) -> float | int:
        try:
            return BOUNDS[name].check(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def _setting_flag(parser: argparse.ArgumentParser, name: str, **options: Any) -> None:
    """The flag of a setting (``config.Settings``), its help and default said as the setting says
    them, and its number checked against the setting's range. The default is SUPPRESSed, so that a
    flag not given leaves the environment and the config file to speak."""
    spec = SETTINGS_BY_NAME[name]
    assert spec.flag is not None
    if spec.bound is not None:
        options.setdefault("type", _bounded(name))
    elif isinstance(spec.default, bool):
        options.setdefault("action", "store_true")
    parser.add_argument(
        spec.flag,
        dest=name,
        default=argparse.SUPPRESS,
        help=f"{spec.described} (default: {spec.default_shown})",
        **options,
    )


def _source_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by the dashboard, snapshot and doctor (defaults SUPPRESSed so they merge
    with the config file's, so each help text says its default itself)."""
    add = parser.add_argument
    s = argparse.SUPPRESS
    add(
        "--demo",
        action="store_true",
        default=s,
        help="use the built-in Genesys Cloud simulator (default: off)",
    )
    _setting_flag(parser, "region")
    add(
        "--config",
        default=s,
        metavar="FILE",
        help="config file (default: $QUEUEWATCH_CONFIG, else `queuewatch config path`)",
    )
    _setting_flag(parser, "filter", metavar="PATTERN")
    _setting_flag(parser, "timezone", metavar="TZ")
    _setting_flag(parser, "interval", metavar="S")
    _setting_flag(parser, "batch_size", metavar="N")
    _setting_flag(parser, "timeout", metavar="S")
    _setting_flag(parser, "seed", type=int, metavar="N")
    _setting_flag(parser, "live", choices=LIVE_MODES)
    add(
        "--log-file",
        dest="log_file",
        default=s,
        metavar="FILE",
        help="write a log, created mode 0600 (default: none)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="queuewatch", description="Live Genesys Cloud queue dashboard.")
    parser.add_argument("--version", action="version", version=f"queuewatch {__version__}")
    _source_options(parser)
    _setting_flag(parser, "bell")
    _setting_flag(parser, "desktop_notify")
    _stream_options(
        parser, "from_url", "--from", "read a collector's stream instead of Genesys (no credentials)"
    )
    parser.add_argument(
        "--record",
        default=None,
        metavar="FILE",
        help="also keep the session in a SQLite file (default: none)",
    )
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    snapshot = commands.add_parser("snapshot", help="print the queues' figures once and exit")
    _source_options(snapshot)
    snapshot.add_argument(
        "--format",
        choices=("table", "json", "csv", "ndjson"),
        default="table",
        help="output format (default: %(default)s)",
    )
    snapshot.add_argument(
        "--watch", action="store_true", help="keep polling; one line per poll (default: off)"
    )

    simulate = commands.add_parser("simulate", help="serve the local Genesys Cloud simulator")
    from queuewatch.simulator.cli import add_arguments

    add_arguments(simulate)

    config = commands.add_parser("config", help="the config file")
    config.add_argument("action", choices=("path", "init"))
    config.add_argument(
        "--force", action="store_true", help="init: overwrite an existing file (default: off)"
    )

    doctor = commands.add_parser("doctor", help="check credentials, region, permissions and reach")
    _source_options(doctor)

    collect = commands.add_parser("collect", help="poll Genesys once for every screen, publishing to Redis")
    _source_options(collect)
    _stream_options(
        collect, "to_url", "--to", "the Redis to publish to: redis://host:6379 or rediss://user@host"
    )
    collect.add_argument(
        "--retention",
        type=float,
        default=48.0,
        metavar="HOURS",
        help="hours of history the stream keeps, 1 to 720 (default: %(default)g)",
    )
    collect.add_argument(
        "--full-every",
        dest="full_every",
        type=int,
        default=20,
        metavar="N",
        help="a full picture every N snapshots, deltas between, 1 to 10000 (default: %(default)d)",
    )

    replay = commands.add_parser(
        "replay", help="the dashboard over a recording (a --record file, or a stream)"
    )
    replay.add_argument("file", nargs="?", default=None, help="a file written with --record")
    _stream_options(replay, "from_url", "--from", "replay the collector's stream instead of a file")
    replay.add_argument("--at", default=None, metavar="TIME", help="start at 10:42 (default: the beginning)")
    replay.add_argument(
        "--config",
        default=argparse.SUPPRESS,
        metavar="FILE",
        help="config file (default: as for the dashboard)",
    )
    replay.add_argument(
        "--timezone",
        default=argparse.SUPPRESS,
        metavar="TZ",
        help="clock times' zone (default: the recording's)",
    )
    return parser


def _stream_options(parser: argparse.ArgumentParser, dest: str, flag: str, text: str) -> None:
    parser.add_argument(
        flag,
        dest=dest,
        nargs="?",
        const="",
        default=None,
        metavar="URL",
        help=f"{text}; without URL, $QUEUEWATCH_REDIS_URL's (default: none)",
    )
    parser.add_argument(
        "--org", default=None, metavar="NAME", help="whose stream: one per org (default: default)"
    )


# --- wiring ----------------------------------------------------------------------------------------


@runtime_checkable
class Clock(Protocol):
    """A clock that can be waited on: Unix seconds, and a wait that ends early when ``event`` is set.

    Tests hand ``snapshot`` a fake one (so a backoff or the demo's movement costs no real time);
    without one, the real clocks are used.
    """

    def __call__(self) -> float: ...

    def wait(self, event: threading.Event, seconds: float) -> bool: ...


def _wall_clock(clock: Clock | None) -> Callable[[], datetime]:
    if clock is None:
        return lambda: datetime.now(UTC)
    return lambda: datetime.fromtimestamp(clock(), UTC)


def make_connect(settings: Settings, *, clock: Clock | None = None) -> Callable[[], QueueSource]:
    """A callable that builds the source. It imports the SDK, so call it off the UI thread.

    ``clock``, if given, is the time the demo simulator runs on and the source reads.
    ``settings.live``: ``poll`` gives the REST source alone, ``push`` and ``auto`` wrap it in a
    ``PushSource``.
    """

    def connect() -> QueueSource:
        from queuewatch.genesys import Credentials, GenesysSource, SourceSettings

        stop_demo: Callable[[], None] | None = None
        if settings.demo:
            from queuewatch.simulator import start_demo

            server = start_demo(seed=settings.seed, daytime=True, clock=clock)
            stop_demo = server.stop
            base_url, credentials = server.base_url, Credentials("demo", "demo")
            timezone = settings.timezone if settings.timezone_chosen else server.centre.scenario.timezone
        else:
            if not (settings.base_url and settings.client_id and settings.client_secret):
                raise ConfigError(
                    f"no region or credentials: set {REGION_VAR}, {ID_VARS[0]} and {SECRET_VARS[0]}, "
                    "or try `queuewatch --demo`"
                )
            base_url = settings.base_url
            credentials = Credentials(settings.client_id, settings.client_secret.value)
            timezone = settings.timezone
        source_settings = SourceSettings(
            base_url=base_url,
            label=settings.region_label,
            batch_size=settings.batch_size,
            concurrency=settings.concurrency,
            read_timeout=settings.timeout,
            timezone=timezone,
            name_pattern=settings.queue_name_pattern,
            division_ids=settings.divisions,
        )
        try:
            source = GenesysSource(source_settings, credentials, clock=_wall_clock(clock), on_close=stop_demo)
        except BaseException:
            if stop_demo is not None:
                stop_demo()
            raise
        if settings.live not in ("push", "auto"):
            return source
        from queuewatch.push import PushSettings, PushSource

        push_mode: Literal["push", "auto"] = "push" if settings.live == "push" else "auto"
        return PushSource(
            source,
            PushSettings(mode=push_mode, connect_timeout=settings.timeout),
            clock=clock or time.monotonic,
            wall_clock=clock or time.time,
        )

    return connect


class CleanFormatter(logging.Formatter):
    """A log line holds no secret (``redact``) and no control character, whatever a message quoted
    (``cat`` of the log is safe), tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return clean_lines(redact(super().format(record)))


def _open_log(path: str) -> logging.Handler:
    """Log to ``path``, created with mode 0600 (it may name queues and hosts, never secrets).

    Returns the handler, for ``main`` to close.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.chmod(path, 0o600)
    except OSError as error:
        raise ConfigError(f"--log-file {path}: {error.strerror}") from None
    handler = logging.StreamHandler(os.fdopen(fd, "a", encoding="utf-8", errors="backslashreplace"))
    handler.setFormatter(CleanFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("queuewatch")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


def log_event(event: PollerEvent) -> None:
    if isinstance(event, Connecting):
        log.info("connecting")
    elif isinstance(event, Connected):
        log.info("connected to %s", event.label)
    elif isinstance(event, BackingOff):
        log.warning("%s: %s; retry %d in %.1f s", event.part, event.message, event.attempt, event.delay)
    elif isinstance(event, PollFailed):
        log.error("%s: %s", event.part, event.message)
    elif isinstance(event, SnapshotReceived):
        snap = event.snapshot
        log.info("snapshot: %d queues, %d errors", len(snap.queues), len(snap.errors))


# --- commands --------------------------------------------------------------------------------------


def run_dashboard(
    settings: Settings,
    *,
    feed: Callable[[Callable[[Any], None]], Any] | None = None,
    label: str | None = None,
    record: str | None = None,
    replay: bool = False,
    tz: Any = None,
) -> int:
    """The dashboard: on Genesys (``make_connect``), or on another ``feed`` (a collector, a replay)."""
    from queuewatch.tui.app import QueuewatchApp

    on_event: Callable[[PollerEvent], None] = log_event
    hook = None
    if record:
        from queuewatch.remote import RecordingHook

        hook = on_event = RecordingHook(Path(record), settings, log_event)
    app_class = QueuewatchApp
    if replay:
        from queuewatch.tui.replay import ReplayApp

        app_class = ReplayApp
    app = app_class(
        on_crash=crash.report,
        connect=make_connect(settings) if feed is None else None,
        feed=feed,
        tz=tz,
        label=label or settings.region_label,
        poller_settings=PollerSettings(
            interval=settings.interval,
            assumed_allowance=settings.requests_per_minute,
            push_today_every=settings.push_today_every,
        ),
        thresholds=settings.thresholds,
        initial_filter=settings.filter,
        on_event=on_event,
        theme=settings.theme,
        bell=settings.bell,
        desktop_notify=settings.desktop_notify,
        in_tmux="TMUX" in os.environ,
        pinned=settings.pinned,
        columns=settings.columns,
        cpu_watch=os.environ.get(CPU_WATCH_VAR, "") not in ("", "0"),
    )
    try:
        app.run()
    finally:
        if hook is not None:
            hook.close()
    if app.crash_line is not None:
        sys.stderr.write(app.crash_line + "\n")
    return app.return_code or EXIT_OK


def table_width(environ: Mapping[str, str], out: TextIO) -> int:
    """How wide ``snapshot``'s table may be: ``COLUMNS`` if set, else the terminal's width, else 80."""
    columns = environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if out.isatty():
        try:
            return os.get_terminal_size(out.fileno()).columns
        except (OSError, ValueError):
            pass
    return PLAIN_WIDTH


def run_snapshot(
    settings: Settings,
    fmt: str,
    watch: bool,
    out: TextIO,
    err: TextIO,
    clock: Callable[[], float] = time.monotonic,
    *,
    width: int = PLAIN_WIDTH,
) -> int:
    """Print the queues' figures once (or at every poll with ``watch``, until Ctrl+C: exit 130).

    ``clock`` paces the poller's retries; one that can be waited on (a ``Clock``: tests pass a fake
    one) also runs the demo, stamps the snapshots and is what the poller sleeps on.

    ``width`` is the table's; CSV has its header once, however many polls follow.
    """
    from queuewatch.columns import choose_columns
    from queuewatch.export import compact_table, to_csv, to_json
    from queuewatch.names import name_matcher

    matches = name_matcher(settings.filter)
    status = EXIT_OK
    header = True

    def emit(event: PollerEvent) -> None:
        nonlocal status, header
        log_event(event)
        if isinstance(event, BackingOff):
            err.write(f"queuewatch: {event.message}; retrying in {event.delay:.0f} s\n")
        elif isinstance(event, PollFailed):
            err.write(f"queuewatch: {event.message}\n")
            status = EXIT_BY_KIND.get(event.kind, EXIT_UNAVAILABLE)
        elif isinstance(event, SnapshotReceived):
            status = EXIT_OK
            snap = event.snapshot
            visible = tuple(q for q in snap.queues if matches(q.name))
            snap = replace(snap, queues=visible)
            for failure in snap.errors:
                err.write(f"queuewatch: partial: {failure.message}\n")
            if fmt == "json":
                out.write(to_json(snap) + "\n")
            elif fmt == "ndjson":
                out.write(to_json(snap, indent=None) + "\n")
            elif fmt == "csv":
                out.write(to_csv(visible, taken_at=snap.taken_at, header=header))
                header = False
            else:
                columns = choose_columns(settings.columns)
                out.write(compact_table(snap, settings.thresholds, width=width, columns=columns))
            out.flush()

    poller_settings = PollerSettings(
        interval=settings.interval,
        max_attempts=None if watch else 4,
        max_backoff=30,
        assumed_allowance=settings.requests_per_minute,
        push_today_every=settings.push_today_every,
    )
    # A one-shot snapshot polls: a channel would cost more requests than the query it saves.
    settings = settings if watch else replace(settings, live="poll")
    if isinstance(clock, Clock):
        poller = Poller(
            make_connect(settings, clock=clock),
            emit,
            poller_settings,
            clock=clock,
            wall_clock=_wall_clock(clock),
            wait=clock.wait,
        )
    else:
        poller = Poller(make_connect(settings), emit, poller_settings, clock=clock)
    try:
        poller.run(once=not watch)
    except KeyboardInterrupt:
        poller.stop()
        return EXIT_INTERRUPTED
    return status


def _run_remote_screen(args: argparse.Namespace, flags: dict[str, Any], environ: dict[str, str]) -> int:
    """``--from`` (a collector's stream, live) and ``replay``: no Genesys, no credentials, no SDK."""
    from zoneinfo import ZoneInfo

    from queuewatch.remote import replay_feed, stream_options, viewer_feed
    from queuewatch.tui.app import theme_names

    if flags.get("demo") or flags.get("region"):
        raise ConfigError("--from reads a collector's stream: it takes no --demo or --region")
    # The screen's settings (thresholds, theme, columns ...) without a region or credentials.
    settings = build_settings({**flags, "demo": True}, environ, themes=theme_names())
    tz = ZoneInfo(settings.timezone) if settings.timezone_chosen else None
    if args.command == "replay":
        from_stream = args.from_url is not None
        stream = stream_options(args.from_url, args.org, environ, "replay") if from_stream else None
        chosen = settings.timezone if settings.timezone_chosen else None
        feed = replay_feed(args.file, stream, args.at, chosen)
        return run_dashboard(settings, feed=feed, label="REPLAY", replay=True, tz=tz)
    stream = stream_options(args.from_url, args.org, environ, "--from")
    return run_dashboard(settings, feed=viewer_feed(stream), label="via collector", record=args.record, tz=tz)


def run_config(action: str, force: bool, out: TextIO) -> int:
    path = default_config_path()
    if action == "path":
        out.write(f"{path}\n")
        return EXIT_OK
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists: edit it, or pass --force to overwrite it")
    from queuewatch.config import EXAMPLE_CONFIG

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(EXAMPLE_CONFIG, encoding="utf-8")
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ConfigError(
            f"cannot write {path}: {reason}: make its directory writable, or set {CONFIG_VAR} elsewhere"
        ) from None
    out.write(f"wrote {path}\n")
    return EXIT_OK


def main(
    argv: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """The ``queuewatch`` command; returns the exit code. ``env`` replaces ``os.environ``; ``clock``
    paces ``snapshot``'s retries (and, a ``Clock``, stands for every clock it reads: see
    ``run_snapshot``)."""
    args = build_parser().parse_args(argv)
    environ = dict(os.environ if env is None else env)
    flags: dict[str, Any] = vars(args)
    command = f"queuewatch {args.command or 'dashboard'}"
    handler: logging.Handler | None = None
    with crash.guarded(sys.stderr, command):
        try:
            if getattr(args, "log_file", None):
                handler = _open_log(args.log_file)
            return _run(args, flags, environ, clock)
        except QueuewatchError as error:
            sys.stderr.write(f"queuewatch: {error.message}\n")
            return error.exit_code
        except KeyboardInterrupt:
            return EXIT_INTERRUPTED
        except Exception as error:  # noqa: BLE001 - the last boundary: a report, one line, never a traceback
            sys.stderr.write(crash.report(error, command) + "\n")
            return EXIT_INTERNAL
        finally:
            if handler is not None:
                logging.getLogger("queuewatch").removeHandler(handler)
                handler.close()


def _run(
    args: argparse.Namespace, flags: dict[str, Any], environ: dict[str, str], clock: Callable[[], float]
) -> int:
    if args.command == "simulate":
        from queuewatch.simulator.cli import run

        return run(args)
    if args.command == "config":
        return run_config(args.action, args.force, sys.stdout)
    if args.command == "replay" or (args.command is None and args.from_url is not None):
        return _run_remote_screen(args, flags, environ)
    if args.command is None:
        from queuewatch.tui.app import theme_names

        settings = build_settings(flags, environ, themes=theme_names())
        return run_dashboard(settings, record=args.record)
    settings = build_settings(flags, environ)
    if args.command == "collect":
        from queuewatch.remote import run_collect, stream_options

        stream = stream_options(args.to_url, args.org, environ, "collect")
        low, high = 1.0, 720.0
        if not low <= args.retention <= high:
            raise ConfigError(f"--retention must be from {low:g} to {high:g} hours, not {args.retention:g}")
        if not 1 <= args.full_every <= 10_000:
            raise ConfigError(f"--full-every must be from 1 to 10000, not {args.full_every}")
        return run_collect(
            settings,
            stream,
            retention_hours=args.retention,
            full_every=args.full_every,
            connect=make_connect(settings),
        )
    if args.command == "snapshot":
        width = table_width(environ, sys.stdout)
        return run_snapshot(settings, args.format, args.watch, sys.stdout, sys.stderr, clock, width=width)
    from queuewatch.doctor import run_doctor

    return run_doctor(settings, sys.stdout, make_connect(replace(settings, live="poll")))
