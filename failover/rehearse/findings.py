"""What a rehearsal found, each with what to do about it. Pure: values in, sentences out.

A finding is blocking when a failover to the standby would fail or take longer than
policy.rto_target: the standby failing a critical check, a set older than its max_age, a
certificate that does not cover a managed name or has expired (when the site is served over
https), a zone that cannot be read, a canary that did not verify or was not put back, and an
RTO estimate over target. Everything else is a warning: worth fixing, not a reason to say
"not ready".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from failover.freshness import DataAge
from failover.model.results import RoundReport
from failover.rehearse.canary import CanaryResult
from failover.rehearse.estimate import Estimate
from failover.rehearse.tls import TlsReport


@dataclass(frozen=True)
class Finding:
    text: str
    fix: str
    blocking: bool

    def __str__(self) -> str:  # the audit's `findings` list
        return f"{self.text}; {self.fix}"

    def line(self) -> str:
        return f"{'NOT READY' if self.blocking else 'warning'}: {self.text}\n    fix: {self.fix}"

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "fix": self.fix, "blocking": self.blocking}


def check_findings(to: str, checks: RoundReport, partial_family: str = "refuse"
                   ) -> list[Finding]:
    """What the standby's checks say; with `policy.partial_family: allow`, checks failing over
    one family only (the other passing) do not block: the failover moves the family that works
    and removes the other's records (engine/steps/check.py)."""
    from failover.families import degraded

    failing, _ = degraded(checks, to)
    out = []
    for r in checks.for_host(to):
        if not r.ok:
            partial = partial_family == "allow" and r.family in failing
            records = "A" if r.family == "ipv4" else "AAAA"
            out.append(Finding(
                f"standby {to} fails check {r.label}: {r.detail}",
                f"policy.partial_family: allow: a failover would remove the {records} records "
                f"instead of moving them; fix {r.label} on {to}" if partial else
                f"a failover would stop at its check step; fix {r.label} on {to} (run "
                f"`failover check --no-act` to see every check)" if r.critical else
                "severity warning: it never blocks a failover, but customers may notice",
                blocking=r.critical and not partial))
        elif r.warning:
            out.append(Finding(f"standby {to}, check {r.label}: {r.warning}",
                               "renew it before it expires", blocking=False))
    return out


def sync_findings(to: str, errors: Sequence[str], ages: Sequence[DataAge]) -> list[Finding]:
    out = [Finding(f"sync failed: {e}", "a failover's own sync may fail the same way; see why "
                   "(`failover -v sync`) and fix it", blocking=False) for e in errors]
    out += [Finding(f"stale standby: {a.describe()}: older than max_age",
                    "a failover would lose that much data (or be refused without "
                    f"--accept-stale); get `failover sync --to {to}` working, and run it from "
                    "cron more often than max_age", blocking=True)
            for a in ages if a.stale]
    return out


def tls_findings(to: str, tls: TlsReport) -> list[Finding]:
    out = []
    where = "the site's https checks use TLS" if tls.blocking else \
        f"the site has no https check, but {to} answers on port 443"
    for cert in tls.certificates:
        if not cert.ok:
            out.append(Finding(
                f"TLS certificate for {cert.name} on {to}:{tls.port}: {cert.error}",
                f"{where}: install a certificate on {to} that covers {cert.name} (an ACME DNS "
                "challenge works before DNS points at it)", blocking=tls.blocking))
        elif cert.days_left is not None and cert.days_left < tls.min_days:
            out.append(Finding(
                f"TLS certificate for {cert.name} on {to} expires in {cert.days_left:.0f} days",
                "renew it on the standby too: it is not serving, so nobody notices it "
                "expiring", blocking=False))
    return out


def dns_findings(plan_error: str | None, canary: CanaryResult | None) -> list[Finding]:
    out = []
    if plan_error:
        out.append(Finding(f"the DNS plan cannot be made: {plan_error}",
                           "a failover's dns step would fail the same way; check the "
                           "provider's API settings (`failover dns show`)", blocking=True))
    if canary is None:
        return out
    if canary.error:
        out.append(Finding(f"canary {canary.name}: {canary.error}",
                           "a failover's dns step would meet the same problem at the provider",
                           blocking=True))
    elif not canary.verified:
        out.append(Finding(f"canary {canary.name}: not every nameserver answered the new "
                           f"value within the time the failover playbook allows",
                           "see the nameservers listed; a failover's dns_verify step would "
                           "fail", blocking=True))
    if not canary.restored:
        out.append(Finding(f"canary {canary.name}: {canary.restore}",
                           "put the canary back by hand (no customer uses it)", blocking=True))
    return out


def rto_findings(estimate: Estimate, has_playbook: bool) -> list[Finding]:
    out = []
    if not has_playbook:
        out.append(Finding("the inventory has no failover playbook",
                           "add playbooks.failover; the estimate counts only detection, DNS "
                           "and caches", blocking=False))
    if estimate.target is None:
        out.append(Finding("no policy.rto_target: the estimate is compared with nothing",
                           "set policy.rto_target to the longest outage the shop accepts",
                           blocking=False))
    elif estimate.over:
        slowest = max(estimate.parts, key=lambda p: p.seconds)
        out.append(Finding(
            f"RTO estimate {estimate.total:.0f}s is over policy.rto_target "
            f"{estimate.target:.0f}s",
            f"shorten the largest part, {slowest.name} ({slowest.seconds:.0f}s): e.g. a "
            "shorter check_interval (watch --interval), a lower failure_threshold or TTL, "
            "or a faster step", blocking=True))
    return out


def blast_findings(warnings: Sequence[str]) -> list[Finding]:
    return [Finding(w, "keep DNS and notifications at a provider no host uses",
                    blocking=False) for w in warnings]
