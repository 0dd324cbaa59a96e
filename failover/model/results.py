"""Results of checks and rounds: values, never exceptions."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CheckResult:
    host: str
    check: str
    ok: bool
    latency: float  # seconds
    detail: str = ""  # why it failed, or a short summary when it passed


@dataclass(frozen=True)
class ControlResult:
    target: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class RoundReport:
    """Every host's results of one round, gathered before anything is decided."""

    started_at: float
    finished_at: float
    results: tuple[CheckResult, ...]
    control: tuple[ControlResult, ...] = field(default=())

    def host_ok(self, host: str) -> bool:
        mine = [r for r in self.results if r.host == host]
        return bool(mine) and all(r.ok for r in mine)

    def for_host(self, host: str) -> list[CheckResult]:
        return [r for r in self.results if r.host == host]

    @property
    def online(self) -> bool:
        """The checker can reach at least one control target (true when none are configured)."""
        return not self.control or any(c.ok for c in self.control)
