"""The batching threads: a few daemon threads that run blocking calls, and queries split into batches.

Plain threading: nothing here knows of the SDK or of Textual. ``queuewatch.genesys`` runs every
API call here, its batched analytics queries a few at a time, so that a caller that stops
(``Workers.close``) never waits on a socket: whoever is waiting gets ``Unavailable`` at once, and
the threads, being daemons, are left to finish their call and end.
"""

from __future__ import annotations

import functools
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any, NoReturn, TypeVar

from queuewatch.errors import AuthError, PermissionMissing, RateLimited, SourceError, Unavailable
from queuewatch.source import BatchFailure, PartResult

T = TypeVar("T")
R = TypeVar("R")


class Workers:
    """A fixed set of daemon threads running calls; waiting on them ends as soon as they are closed.

    ``what`` names what the calls wait for, in the message of the ``Unavailable`` raised then.
    """

    def __init__(self, size: int, what: str = "a reply") -> None:
        self.what = what
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None] = queue.SimpleQueue()
        self._stopped: Future[None] = Future()
        self._threads = [
            threading.Thread(target=self._work, name=f"queuewatch-http-{i}", daemon=True)
            for i in range(max(1, size))
        ]
        for thread in self._threads:
            thread.start()

    @property
    def size(self) -> int:
        return len(self._threads)

    @property
    def closed(self) -> bool:
        return self._stopped.done()

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

    def gather(self, calls: Sequence[Callable[[], T]]) -> list[T | SourceError]:
        """Run ``calls`` on the threads; each one's result, or the ``SourceError`` it raised, in order.

        Any other exception is raised as it is (a bug, for the caller's boundary to report). Raises
        ``Unavailable`` if the workers are closed, before or while waiting.
        """
        if self.closed:
            raise Unavailable(f"the connection to {self.what} is closed")
        futures = [self.submit(call) for call in calls]
        pending: set[Future[Any]] = set(futures)
        while pending:
            done, _ = wait({*pending, self._stopped}, return_when=FIRST_COMPLETED)
            if self._stopped in done:
                for future in pending:
                    future.cancel()
                raise Unavailable(f"stopped while waiting for {self.what}")
            pending -= done
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

    def run(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """``gather``, raising the first ``SourceError`` instead of returning it."""
        results: list[T] = []
        for outcome in self.gather(calls):
            if isinstance(outcome, SourceError):
                raise outcome
            results.append(outcome)
        return results

    def close(self) -> None:
        """Stop: whoever waits gets ``Unavailable`` now; the threads end after their current call."""
        if self.closed:
            return
        self._stopped.set_result(None)
        for _ in self._threads:
            self._jobs.put(None)


def split(ids: Sequence[str], size: int) -> list[list[str]]:
    """``ids`` in batches of at most ``size`` (at least 1), in order."""
    size = max(1, size)
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


def run_batched(
    workers: Workers, ids: Sequence[str], size: int, query: Callable[[list[str]], dict[str, R]]
) -> PartResult[R]:
    """``query`` over ``ids`` in batches of ``size``, a few at once: every batch's values, and the
    batches that failed. When every batch failed, the error that matters most is raised."""
    batches = split(ids, size)
    if not batches:
        return PartResult()
    outcomes = workers.gather([functools.partial(query, batch) for batch in batches])
    values: dict[str, R] = {}
    failures: list[BatchFailure] = []
    for batch, outcome in zip(batches, outcomes, strict=True):
        if isinstance(outcome, SourceError):
            failures.append(BatchFailure(tuple(batch), outcome))
        else:
            values.update(outcome)
    if failures and len(failures) == len(batches):
        raise_worst([f.error for f in failures])
    return PartResult(values, tuple(failures))


def raise_worst(errors: Sequence[SourceError]) -> NoReturn:
    """Of several batch errors, raise the one that matters most to the person watching: credentials
    rejected, then a permission missing, then the longest ``Retry-After``, else the first."""
    for kind in (AuthError, PermissionMissing):
        for error in errors:
            if isinstance(error, kind):
                raise error
    limited = [e for e in errors if isinstance(e, RateLimited)]
    if limited:
        raise max(limited, key=lambda e: e.retry_after or 0.0)
    raise errors[0]
