"""The Check contract: one probe of one host, always answered with a CheckResult.

A check type is a subclass of `Check` in the module `failover.checks.<type>`, where `<type>` is the
inventory's `type:` value (`http` -> `failover.checks.http`), listed in failover.checks.registry,
which imports that module on first use: `failover check` only pays for the types it names.

Template method: the base class owns the timeout, the latency measurement and the translation of
every probe failure into `CheckResult(ok=False, detail=...)`. A subclass writes only `_probe()`,
which returns a short summary when the host passes and raises `ProbeFailed` (or lets an `OSError`
or `TimeoutError` through, or raises `NoAnswer`) when it does not. Anything else escaping
`_probe()` is a bug in the check and is raised, not hidden in a result. A result also says
whether the host answered at all (`no_answer`: a timeout, an OSError, NoAnswer): a playbook run
that the round starts does not wait again for an SSH port that gave none (engine/monitor.py).

Probes are coroutines on one event loop: a round of 1,000 checks is 1,000 tasks, not 1,000 threads.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from abc import ABC, abstractmethod
from typing import ClassVar, Generic, TypeVar

import msgspec

from failover.model.inventory import CheckBase, Host, Inventory
from failover.model.results import CheckResult

log = logging.getLogger(__name__)

M = TypeVar("M", bound=CheckBase)

# The few errno values an operator meets in practice, in the words they would use themselves.
_ERRNO_WORDS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset by peer",
    errno.EHOSTUNREACH: "no route to host",
    errno.ENETUNREACH: "network is unreachable",
    errno.ECONNABORTED: "connection aborted",
    errno.EPIPE: "connection closed by peer",
    errno.EMFILE: "too many open files on the checker",
}


class ProbeFailed(Exception):
    """Raised inside `_probe()` when the host answered, but wrongly. The message is the detail."""


class NoAnswer(Exception):
    """Raised inside `_probe()` when the host did not answer at all (a client library's own
    timeout or refused connection). The message is the detail."""


class Passed(msgspec.Struct, frozen=True):
    """What `_probe()` may return instead of a plain summary: a pass that carries a warning."""

    detail: str
    warning: str = ""


class Check(ABC, Generic[M]):
    """One configured check (an inventory `checks:` entry), runnable against any host.

    Contract of `run()`: never raises for a failing host (refused, timeout, wrong status, bad TLS);
    it returns `CheckResult(ok=False, detail=<short reason>)` naming the host and the check, with
    `no_answer` set when the host did not answer at all. Each attempt finishes within `timeout`
    seconds (plus the time to close the socket). A check never puts what it sends (headers, a
    command's arguments) or the inventory's secrets into a detail or a log line (a command's own
    output is the command's business). Instances hold no per-host state and may run concurrently
    against many hosts on one event loop. A probe changes nothing on the host (a `command` check
    runs what the inventory says: it should be read-only).

    Building one (`__init__`, `bind()`) raises ValueError for settings that cannot be probed as
    written: bad configuration, reported before any probe runs. tests/contract/check_contract.py
    holds every check type to this contract against live servers.
    """

    type: ClassVar[str]  # the inventory `type:` value; the registry key and the module name

    def __init__(self, model: M) -> None:
        self.model = model

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def timeout(self) -> float:
        return self.model.timeout

    def bind(self, inventory: Inventory) -> None:
        """Take what the check needs from the inventory (SSH settings); ValueError if unusable.

        Called once per round before any probe; the default needs nothing.
        """
        del inventory

    async def run(self, host_name: str, host: Host) -> CheckResult:
        """Probe `host`, retrying at once up to `retries` times; the outcome is always a result.

        Each attempt is bounded by the check's timeout, so a result takes at most
        (1 + retries) x timeout.
        """
        loop = asyncio.get_running_loop()
        started = loop.time()
        attempts = 0
        while True:
            attempts += 1
            ok, detail, warning, no_answer = await self._attempt(host_name, host)
            if ok or attempts > self.model.retries:
                break
            log.debug("retrying: host=%s check=%s attempt=%d detail=%r",
                      host_name, self.name, attempts, detail)
        latency = loop.time() - started
        log.debug(
            "probed: host=%s check=%s ok=%s latency=%.3fs attempts=%d detail=%r",
            host_name,
            self.name,
            ok,
            latency,
            attempts,
            detail,
        )
        return CheckResult(host=host_name, check=self.name, ok=ok, latency=latency, detail=detail,
                           severity=self.model.severity, warning=warning, attempts=attempts,
                           no_answer=no_answer)

    async def _attempt(self, host_name: str, host: Host) -> tuple[bool, str, str, bool]:
        """(passed, detail, warning, no answer at all)."""
        try:
            passed = await asyncio.wait_for(self.probe(host_name, host), self.timeout)
        except TimeoutError:
            return False, f"timeout after {seconds(self.timeout)}", "", True
        except ProbeFailed as exc:
            return False, str(exc), "", False
        except NoAnswer as exc:
            return False, str(exc), "", True
        except EOFError:
            return False, "connection closed by peer", "", False
        except OSError as exc:
            return False, describe_os_error(exc), "", True
        if isinstance(passed, Passed):
            return True, passed.detail, passed.warning, False
        return True, passed, "", False

    async def probe(self, host_name: str, host: Host) -> str | Passed:
        """One attempt; checks that need the host's inventory name (SSH) override this."""
        del host_name
        return await self._probe(host)

    @abstractmethod
    async def _probe(self, host: Host) -> str | Passed:
        """Probe `host.address`; return a short summary on success, raise ProbeFailed otherwise.

        Must release every socket it opened, also when cancelled by the timeout.
        """


def seconds(value: float) -> str:
    """`5.0` -> `5s`, `0.5` -> `0.5s`: durations as an operator writes them."""
    return f"{value:g}s"


def describe_os_error(exc: OSError) -> str:
    """A short, lower-case reason for a socket error ("connection refused")."""
    if exc.errno in _ERRNO_WORDS:
        return _ERRNO_WORDS[exc.errno]
    text = exc.strerror or str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]


async def close_stream(writer: asyncio.StreamWriter) -> None:
    """Drop the connection now and wait until the socket is closed.

    `abort()`, not `close()`: a probe has sent everything it needs and read what it wants, and a
    TLS `close()` would wait for the peer's close_notify (up to 30 s) on a server that misbehaves.
    """
    writer.transport.abort()
    try:
        await writer.wait_closed()
    except OSError as exc:  # the peer's reset, reported again on the way out
        log.debug("closed: error=%s", describe_os_error(exc))
