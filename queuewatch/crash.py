"""When something still goes wrong: a redacted crash report in a file, and one line saying where.

Every error queuewatch expects is one line on stderr or in the status bar. An error it does not
expect, which would end the program (a bug), is written to a crash report instead of being
printed: the traceback *without* local variables (a frame's locals can hold the client secret),
with every secret removed by ``queuewatch.redact``, in a file created with mode 0600 under the
platform's state directory (``~/.local/state/queuewatch/crash-*.txt`` on Linux). The one line on
stderr names the file.

- ``report(error, where)``: write the report, return the line to show;
- ``guarded(stderr)``: while the CLI runs, ``sys.excepthook``, ``threading.excepthook`` and
  ``sys.unraisablehook`` write a report and one line instead of Python's traceback.

No Textual or Rich here: the dashboard hands its own crashes to ``report`` (see
``QueuewatchApp._handle_exception``), which replaces Textual's traceback with local variables.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import sys
import threading
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

import platformdirs

from queuewatch import __version__
from queuewatch.redact import one_line, redact, unexpected
from queuewatch.untrusted import clean_lines

log = logging.getLogger(__name__)


def report_dir() -> Path:
    """Where crash reports go: the platform's per-user state directory."""
    return Path(platformdirs.user_state_dir("queuewatch"))


def report_text(error: BaseException, where: str, now: datetime | None = None) -> str:
    """The report: what, where, which versions, and the traceback without locals; redacted."""
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    try:
        trace = "".join(traceback.format_exception(error))
    except Exception as failure:  # noqa: BLE001 - a report with less detail beats none
        trace = f"(the traceback could not be formatted: {type(failure).__name__})\n"
    lines = [
        f"queuewatch {__version__} crash report",
        f"time: {stamp}",
        f"where: {where}",
        f"error: {unexpected(error)}",
        f"python: {sys.version.split()[0]} on {platform.platform()}",
        f"command: {' '.join(sys.argv[1:])}",
        "",
        "traceback (local variables are never recorded; secrets are removed):",
        trace.rstrip("\n"),
        "",
    ]
    return clean_lines(redact("\n".join(lines)))


def write_report(error: BaseException, where: str, directory: Path | None = None) -> Path:
    """Write the crash report to a new file (mode 0600) and return its path; OSError if it cannot."""
    folder = directory if directory is not None else report_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = datetime.now(UTC)
    base = f"crash-{now.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    for n in range(1, 100):
        path = folder / (f"{base}.txt" if n == 1 else f"{base}-{n}.txt")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(report_text(error, where, now))
        return path
    raise FileExistsError(f"too many crash reports in {folder} this second")


def report(error: BaseException, where: str, directory: Path | None = None) -> str:
    """Write a crash report for ``error``; the one line that tells the user about it.

    Never raises: if the report cannot be written, the line says so.
    """
    what = unexpected(error)
    try:
        path = write_report(error, where, directory)
    except Exception as failure:  # noqa: BLE001 - the line must be shown whatever happens
        reason = one_line(getattr(failure, "strerror", None) or type(failure).__name__, 80)
        return f"queuewatch: {what} (a bug in queuewatch); no crash report could be written ({reason})"
    log.error("%s: crash report written to %s", what, path)
    return f"queuewatch: {what} (a bug in queuewatch); the details are in {path} (secrets removed)"


def _say(stderr: TextIO, line: str) -> None:
    with contextlib.suppress(Exception):
        stderr.write(line + "\n")
        stderr.flush()


@contextlib.contextmanager
def guarded(stderr: TextIO, where: str = "queuewatch") -> Iterator[None]:
    """While inside, an uncaught exception in any thread gives a crash report, not a traceback."""

    def excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if isinstance(value, KeyboardInterrupt):
            return
        _say(stderr, report(value, where))

    def thread_hook(args: Any) -> None:
        value = args.exc_value
        if value is None or isinstance(value, SystemExit):
            return
        name = getattr(args.thread, "name", "a thread")
        _say(stderr, report(value, f"{where}, thread {name}"))

    def unraisable_hook(unraisable: Any) -> None:
        value = unraisable.exc_value
        if value is None:
            return
        _say(stderr, report(value, f"{where}, ignored exception"))

    saved = sys.excepthook, threading.excepthook, sys.unraisablehook
    sys.excepthook, threading.excepthook, sys.unraisablehook = excepthook, thread_hook, unraisable_hook
    try:
        yield
    finally:
        sys.excepthook, threading.excepthook, sys.unraisablehook = saved
