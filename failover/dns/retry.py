"""One retry loop for every provider call that goes over the network.

A provider wraps one request in an `attempt` callable. The attempt returns the answer, raises
`Transient` for a failure worth another try (a refused connection, a timeout, a 5xx), or raises
anything else, which ends the loop at once (a 4xx, a bad TSIG signature: trying again would only
repeat it). After the last try the loop raises one error that says what went wrong and how many
tries were made; `ApplyUncertain` when a write may have reached the provider, so a flip restores
that zone too.

Why a small helper and not tenacity: the loop is twenty lines, and what it must carry between
tries (did a write perhaps land?) is ours; tenacity 9.2 costs ~18 ms to import (measured with
`python -X importtime -c "import tenacity"`), it would be one more dependency, and it would still
need the same wrapper to build our messages. route53 needs neither: botocore's "standard" retry
mode already retries throttling and 5xx inside the client.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from failover.dns.base import ApplyUncertain
from failover.errors import ProviderError

log = logging.getLogger(__name__)

T = TypeVar("T")


class Transient(Exception):
    """Raised inside an attempt: this try failed in a way another try may fix.

    `problem` is the words for the message; `maybe_sent` says the request may have reached the
    provider (a write whose answer was lost), which makes the final error ApplyUncertain.
    """

    def __init__(self, problem: str, *, maybe_sent: bool = False) -> None:
        super().__init__(problem)
        self.problem = problem
        self.maybe_sent = maybe_sent


def with_retries(attempt: Callable[[], T], *, delays: Sequence[float], where: str, zone: str,
                 what: str, sleep: Callable[[float], None] = time.sleep) -> T:
    """`attempt()`'s answer, trying again after each delay in `delays` while it raises Transient.

    Not idempotent by itself: only wrap requests that are safe to send twice (a GET, a REPLACE
    PATCH, a DNS UPDATE with prerequisites). Any other exception from `attempt` propagates at
    once. After `len(delays) + 1` failed tries raises ProviderError
    `"{where}: {problem} ({n} tries)"`, or ApplyUncertain (the same text, then "the change may or
    may not have been applied") when any try may have sent a write.
    """
    problem = ""
    uncertain = False
    for index in range(len(delays) + 1):
        if index:
            log.warning("retry: zone=%s what=%s attempt=%d after=%s delay=%.1fs",
                        zone, what, index + 1, problem, delays[index - 1])
            sleep(delays[index - 1])
        try:
            return attempt()
        except Transient as exc:
            problem = exc.problem
            uncertain = uncertain or exc.maybe_sent
    message = f"{where}: {problem} ({len(delays) + 1} tries)"
    if uncertain:
        raise ApplyUncertain(message + "; the change may or may not have been applied")
    raise ProviderError(message)
