"""The batching threads: results in order, errors per batch, the worst error when all fail, and a
close that frees whoever waits. Plain threading, no SDK; every wait here ends on an event."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from queuewatch.errors import AuthError, BadResponse, PermissionMissing, RateLimited, SourceError, Unavailable
from queuewatch.workers import Workers, raise_worst, run_batched, split


@pytest.fixture
def workers() -> Iterator[Workers]:
    pool = Workers(3, what="the test server")
    yield pool
    pool.close()


def test_split_keeps_order_and_never_makes_an_empty_batch() -> None:
    assert split(["a", "b", "c", "d", "e"], 2) == [["a", "b"], ["c", "d"], ["e"]]
    assert split([], 100) == []
    assert split(["a", "b"], 0) == [["a"], ["b"]]


def test_gather_gives_results_and_source_errors_in_order(workers: Workers) -> None:
    refused = Unavailable("down")

    def fail() -> int:
        raise refused

    outcomes = workers.gather([lambda: 1, fail, lambda: 3])
    assert outcomes == [1, refused, 3]


def test_calls_run_at_once_on_several_threads(workers: Workers) -> None:
    all_in = threading.Barrier(3, timeout=30)
    names = workers.run([lambda: (all_in.wait(), threading.current_thread().name)[1] for _ in range(3)])
    assert len(set(names)) == 3 and all(name.startswith("queuewatch-http-") for name in names)


def test_run_raises_the_first_source_error(workers: Workers) -> None:
    def fail() -> int:
        raise BadResponse("garbled")

    with pytest.raises(BadResponse, match="garbled"):
        workers.run([lambda: 1, fail])


def test_a_bug_in_a_call_reaches_the_caller_as_it_is(workers: Workers) -> None:
    def bug() -> int:
        raise ZeroDivisionError("oops")

    with pytest.raises(ZeroDivisionError):
        workers.gather([lambda: 1, bug])


def test_close_frees_a_caller_waiting_on_a_call_that_hangs(workers: Workers) -> None:
    started, release = threading.Event(), threading.Event()
    caught: list[BaseException] = []

    def hang() -> int:
        started.set()
        release.wait(30)
        return 1

    def call() -> None:
        try:
            workers.run([hang])
        except Unavailable as error:
            caught.append(error)

    caller = threading.Thread(target=call)
    caller.start()
    assert started.wait(30)
    workers.close()
    caller.join(30)
    release.set()
    assert not caller.is_alive()
    assert [str(e) for e in caught] == ["stopped while waiting for the test server"]


def test_closed_workers_refuse_new_calls(workers: Workers) -> None:
    workers.close()
    workers.close()
    assert workers.closed
    with pytest.raises(Unavailable, match="closed"):
        workers.run([lambda: 1])


def by_batch(fail: Callable[[list[str]], SourceError | None]) -> Callable[[list[str]], dict[str, int]]:
    def query(ids: list[str]) -> dict[str, int]:
        error = fail(ids)
        if error is not None:
            raise error
        return {queue_id: len(queue_id) for queue_id in ids}

    return query


def test_batches_that_fail_are_listed_and_the_rest_kept(workers: Workers) -> None:
    down = Unavailable("down")
    query = by_batch(lambda ids: down if "a" in ids else None)
    result = run_batched(workers, ["a", "bb", "ccc", "dddd"], 2, query)
    assert result.values == {"ccc": 3, "dddd": 4}
    assert [(f.queue_ids, f.error) for f in result.failures] == [(("a", "bb"), down)]
    assert result.failed_ids == {"a", "bb"}


def test_no_queues_ask_nothing(workers: Workers) -> None:
    def never(ids: list[str]) -> dict[str, int]:
        raise AssertionError("asked")

    assert run_batched(workers, [], 100, never).values == {}


def test_when_every_batch_fails_the_worst_error_is_raised(workers: Workers) -> None:
    errors: dict[str, SourceError] = {
        "a": RateLimited(4.0, "/q"),
        "b": PermissionMissing("analytics:queueObservation:view", "/q"),
        "c": Unavailable("down"),
    }
    with pytest.raises(PermissionMissing):
        run_batched(workers, ["a", "b", "c"], 1, by_batch(lambda ids: errors[ids[0]]))


def test_the_worst_error_is_auth_then_permission_then_the_longest_wait() -> None:
    auth, permission = AuthError("rejected"), PermissionMissing("routing:queue:view", "/q")
    short, long = RateLimited(2.0, "/q"), RateLimited(30.0, "/q")
    down = Unavailable("down")
    for errors, worst in (
        ([down, permission, auth], auth),
        ([down, short, permission], permission),
        ([short, down, long], long),
        ([down, BadResponse("garbled")], down),
    ):
        with pytest.raises(SourceError) as raised:
            raise_worst(errors)
        assert raised.value is worst
