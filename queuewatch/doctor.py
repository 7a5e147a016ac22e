"""``queuewatch doctor``: is everything in place to watch this org's queues?

Checks, in order, and prints a checklist: the region, reaching Genesys Cloud with the OAuth
client's credentials, each permission the dashboard needs (by calling the endpoint that needs it),
the request allowance it plans for (assumed, and said so: Genesys does not report it), how many
queues are visible, and whether live figures can come by push (the org offers the queue observation
topic, and the OAuth client may subscribe to it: a channel is created for that, and left to
expire). The exit code says whether all passed: 0 yes, 3 credentials or permissions, 4 unreachable,
1 an unexpected error (its line says which; the log, if any, has the detail). Push is optional
(``--live auto`` polls without it), so its checks warn (``!``) rather than fail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from queuewatch.config import Settings
from queuewatch.errors import PermissionMissing, SourceError
from queuewatch.events import QUEUE_TOPIC, queue_topic
from queuewatch.model import QueueInfo
from queuewatch.redact import unexpected
from queuewatch.source import DOCUMENTED_ALLOWANCE, NotificationChannels, QueueSource
from queuewatch.wire import AGGREGATES_PATH, OBSERVATIONS_PATH, PERMISSIONS, QUEUES_PATH

PASS, FAIL, INFO, WARN = "✓", "✗", "·", "!"
#: The exit code of a check that failed in a way nobody expected.
EXIT_INTERNAL = 1

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Check:
    mark: str
    text: str
    exit_code: int = 0


def _permission_check(permission: str, call: Callable[[], object]) -> Check:
    try:
        call()
    except PermissionMissing:
        return Check(FAIL, f"{permission}: missing — add it to a role of the OAuth client", 3)
    except SourceError as error:
        return Check(FAIL, f"{permission}: could not check ({error.message})", error.exit_code)
    except Exception as error:
        log.error("checking %s failed unexpectedly", permission, exc_info=error)
        return Check(FAIL, f"{permission}: could not check ({unexpected(error)})", EXIT_INTERNAL)
    return Check(PASS, f"{permission}")


def checks(settings: Settings, connect: Callable[[], QueueSource]) -> list[Check]:
    where = settings.base_url or "the built-in simulator"
    found = [Check(PASS, f"region {settings.region_label} ({where})")]
    try:
        source = connect()
    except SourceError as error:
        return [*found, Check(FAIL, error.message, error.exit_code)]
    except Exception as error:
        log.error("connecting failed unexpectedly", exc_info=error)
        return [*found, Check(FAIL, f"could not connect: {unexpected(error)}", EXIT_INTERNAL)]
    try:
        found.append(Check(PASS, "credentials accepted (client-credentials token issued)"))
        queues: list[QueueInfo] = []

        def list_queues() -> None:
            queues.extend(source.list_queues())

        found.append(_permission_check(PERMISSIONS[QUEUES_PATH], list_queues))
        sample = queues[:1]
        found.append(
            _permission_check(PERMISSIONS[OBSERVATIONS_PATH], lambda: _strict(source.observe(sample)))
        )
        found.append(_permission_check(PERMISSIONS[AGGREGATES_PATH], lambda: _strict(source.today(sample))))
        found.append(Check(INFO, allowance_line(settings.requests_per_minute)))
        if queues:
            found.append(Check(PASS, f"{len(queues)} queues visible"))
        elif found[2].mark == PASS:
            found.append(Check(FAIL, "no queues visible: check the role's divisions and the queue filter", 3))
        if isinstance(source, NotificationChannels):
            found.extend(push_checks(source, sample))
    except Exception as error:
        log.error("doctor failed unexpectedly", exc_info=error)
        found.append(Check(FAIL, unexpected(error), EXIT_INTERNAL))
    finally:
        try:
            source.close()
        except Exception as error:
            log.error("closing the source failed", exc_info=error)
    return found


def allowance_line(per_minute: int) -> str:
    """What the cadence is planned against, said to be assumed: Genesys stopped reporting the
    allowance (the ``inin-ratelimit-*`` headers) in June 2021; a 429 is the only sign of it."""
    where = (
        "Genesys's documented per-token default"
        if per_minute == DOCUMENTED_ALLOWANCE
        else "requests_per_minute in the config file"
    )
    return (
        f"request allowance: {per_minute} per minute assumed ({where}; "
        "the API no longer reports it, and a 429 lowers it)"
    )


def push_checks(source: NotificationChannels, sample: list[QueueInfo]) -> list[Check]:
    """Does the org offer the queue observation topic, and may this client subscribe to it?"""
    fallback = "live figures will be polled (--live auto does so by itself)"
    found: list[Check] = []
    try:
        topics = source.available_topics()
    except SourceError as error:
        return [Check(WARN, f"notification topics: could not list them ({error.message}); {fallback}")]
    offered = {t.id: t for t in topics}
    topic = offered.get(QUEUE_TOPIC)
    if topic is None:
        found.append(Check(WARN, f"notification topic {QUEUE_TOPIC} not offered: {fallback}"))
    else:
        schema = f" (event schema {topic.schema_title})" if topic.schema_title else ""
        found.append(Check(PASS, f"notification topic {QUEUE_TOPIC} offered{schema}"))
    others = sorted(t for t in offered if t.startswith("v2.analytics.queues.") and t != QUEUE_TOPIC)
    if others:
        found.append(Check(INFO, f"other queue analytics topics offered: {', '.join(others)}"))
    if topic is None or not sample:
        return found
    try:
        channel = source.create_channel()
        states = source.subscribe(channel.id, [queue_topic(sample[0].id)])
    except SourceError as error:
        return [*found, Check(WARN, f"notification channel: {error.message}; {fallback}")]
    refused = [s for s in states if not s.permitted]
    if not states or refused:
        missing = sorted({p for s in refused for p in s.missing_permissions})
        why = f"missing {', '.join(missing)}" if missing else (refused[0].reason if refused else "no reply")
        found.append(Check(WARN, f"subscribing to queue observations refused ({why}): {fallback}"))
    else:
        found.append(Check(PASS, "may subscribe to queue observations (live figures by push)"))
    return found


def _strict(result: object) -> None:
    failures = getattr(result, "failures", ())
    if failures:
        raise failures[0].error


def run_doctor(settings: Settings, out: TextIO, connect: Callable[[], QueueSource]) -> int:
    results = checks(settings, connect)
    for check in results:
        out.write(f"{check.mark} {check.text}\n")
    worst = max((c.exit_code for c in results), default=0)
    out.write("all checks passed\n" if worst == 0 else "some checks failed\n")
    return worst
