"""Results of checks and rounds: values, never exceptions."""

from __future__ import annotations

import msgspec


class CheckResult(msgspec.Struct, frozen=True):
    host: str
    check: str
    ok: bool
    latency: float  # seconds
    detail: str = ""  # why it failed, or a short summary when it passed
    severity: str = "critical"  # "warning": a failure is reported but never makes a host down
    warning: str = ""  # a concern that is not a failure (a certificate that expires soon)
    attempts: int = 1  # 1 + the retries this result took
    no_answer: bool = False  # failed without an answer: timed out, or refused/reset/no route

    @property
    def critical(self) -> bool:
        return self.severity == "critical"


class ControlResult(msgspec.Struct, frozen=True):
    target: str
    ok: bool
    detail: str = ""


class RoundReport(msgspec.Struct, frozen=True):
    """Every host's results of one round, gathered before anything is decided."""

    started_at: float
    finished_at: float
    results: tuple[CheckResult, ...]
    control: tuple[ControlResult, ...] = ()

    def host_ok(self, host: str) -> bool:
        """The host was checked and passed every critical check (warning checks do not count)."""
        mine = [r for r in self.results if r.host == host]
        return bool(mine) and all(r.ok for r in mine if r.critical)

    def host_all_failed(self, host: str) -> bool:
        """The host was checked and failed every one of its critical checks."""
        mine = [r for r in self.results if r.host == host and r.critical]
        return bool(mine) and not any(r.ok for r in mine)

    def warnings(self) -> list[str]:
        """Concerns to report without acting: failing warning checks, passing checks' warnings."""
        found = [f"{r.host}/{r.check}: {r.detail} (severity: warning)"
                 for r in self.results if not r.ok and not r.critical]
        found += [f"{r.host}/{r.check}: {r.warning}" for r in self.results if r.warning]
        return found

    def for_host(self, host: str) -> list[CheckResult]:
        return [r for r in self.results if r.host == host]

    @property
    def online(self) -> bool:
        """The checker can reach at least one control target (true when none are configured)."""
        return not self.control or any(c.ok for c in self.control)
