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
    family: str = ""  # "ipv4" | "ipv6" on a host with address6 (issue 20); "" on an IPv4-only one

    @property
    def critical(self) -> bool:
        return self.severity == "critical"

    @property
    def label(self) -> str:
        """`storefront`, or `storefront/ipv6` on a dual-stack host: the streak's key."""
        return f"{self.check}/{self.family}" if self.family else self.check


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
    # families the checker itself cannot reach (no IPv6 connectivity): family -> why, said once
    # per round; their results are shown but judge nothing (checks/family.py)
    unjudged: dict[str, str] = msgspec.field(default_factory=dict)

    def judged(self, host: str) -> list[CheckResult]:
        """The host's results that count: not of a family the checker cannot reach."""
        return [r for r in self.results if r.host == host and r.family not in self.unjudged]

    def host_ok(self, host: str) -> bool:
        """The host was checked and passed every critical check (warning checks do not count),
        over every family it was checked on."""
        mine = self.judged(host)
        return bool(mine) and all(r.ok for r in mine if r.critical)

    def host_all_failed(self, host: str) -> bool:
        """The host was checked and failed every one of its critical checks."""
        mine = [r for r in self.judged(host) if r.critical]
        return bool(mine) and not any(r.ok for r in mine)

    def warnings(self) -> list[str]:
        """Concerns to report without acting: failing warning checks, passing checks' warnings."""
        found = [f"{r.host}/{r.label}: {r.detail} (severity: warning)"
                 for r in self.results if not r.ok and not r.critical]
        found += [f"{r.host}/{r.label}: {r.warning}" for r in self.results if r.warning]
        return found

    def for_host(self, host: str) -> list[CheckResult]:
        return [r for r in self.results if r.host == host]

    @property
    def online(self) -> bool:
        """The checker can reach at least one control target (true when none are configured);
        of its IPv4 ones when it has some (an IPv6 target's failure is checks/family.py's)."""
        v4 = [c for c in self.control if not c.target.startswith("tcp://[")]
        return not self.control or any(c.ok for c in v4 or self.control)
