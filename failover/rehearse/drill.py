"""One fire drill: everything a failover to the standby would do, except moving customers.

    rehearsal = rehearse(inventory, store, audit, state, to=None, canary=False, emit=print)

In order: a real sync of every set from the active host to the standby (sync/cycle.py, as
`failover sync --to HOST`: the standby is warmed, the mirror and state.json updated, `sync`
audit events written); every check against the standby's own address (checks/round.py, as the
playbook's check step); its TLS certificates for every managed name (rehearse/tls.py); the DNS
plan of a flip to it, read from the providers and not applied (dns/flip.py `plan_flip`); the
blast-radius lint (config/blast.py); with `canary`, the canary record's real flip and put-back
(rehearse/canary.py); then the RTO estimate (rehearse/estimate.py) and the findings.

Contract: the caller holds the run lock. No managed DNS record changes. The standby's content
changes (the sync), as `failover sync` changes it; the active host is only read. A failed
transfer, check or certificate is a finding, not an exception; exceptions are bad input
(UsageError, ConfigError), a host key mismatch (HostKeyMismatch), and Ctrl-C (after the canary
is put back).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from failover.config.blast import blast_radius
from failover.dns.flip import plan_flip
from failover.dns.records import ZonePlan
from failover.errors import FailoverError
from failover.freshness import DataAge, data_ages
from failover.model.inventory import Inventory
from failover.model.playbook import Playbook
from failover.model.results import RoundReport
from failover.model.state import State
from failover.rehearse.canary import CanaryResult, flip_canary
from failover.rehearse.estimate import Estimate, Measured, estimate, last_failover
from failover.rehearse.findings import (
    Finding,
    blast_findings,
    check_findings,
    dns_findings,
    rto_findings,
    sync_findings,
    tls_findings,
)
from failover.rehearse.tls import TlsReport, check_certificates
from failover.state.audit import AuditLog
from failover.state.base import StateBackend

log = logging.getLogger(__name__)

CANARY_TIMEOUT = 120.0  # when the failover playbook has no dns_verify step to take it from


@dataclass
class Rehearsal:
    site: str
    active: str
    to: str
    started_at: float
    transfers: list[dict[str, Any]] = field(default_factory=list)
    ages_before: list[DataAge] = field(default_factory=list)
    ages: list[DataAge] = field(default_factory=list)
    checks: RoundReport | None = None
    tls: TlsReport | None = None
    plans: list[ZonePlan] = field(default_factory=list)
    plan_error: str | None = None
    canary: CanaryResult | None = None
    estimate: Estimate | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not any(f.blocking for f in self.findings)


def rehearse(inventory: Inventory, store: StateBackend, audit: AuditLog, state: State,
             to: str, *, canary: bool, playbook: Playbook | None,
             emit: Callable[[str], None], clock: Callable[[], float] = time.time) -> Rehearsal:
    """The drill (see the module docstring) from `state.active` to `to`."""
    assert state.active is not None
    drill = Rehearsal(inventory.site, state.active, to, clock())
    drill.ages_before = data_ages(inventory, state, to, clock())
    synced: dict[str, float] = {}
    errors: list[str] = []
    if inventory.sync:
        emit(f"syncing {', '.join(s.name for s in inventory.sync)} from {state.active} to {to}")
        state, synced, errors = _sync(inventory, store, audit, state, to, drill, clock)
    drill.ages = data_ages(inventory, state, to, clock())
    emit(f"checking {to}")
    drill.checks = _checks(inventory, to)
    drill.tls = check_certificates(inventory, to)
    try:
        drill.plans = [plan for _, plan in plan_flip(inventory, to)]
    except FailoverError as exc:
        drill.plan_error = str(exc)
    if canary:
        emit(f"flipping the canary {inventory.canary} to {to}")
        drill.canary = flip_canary(inventory, to, _verify_timeout(playbook))
    flipped = drill.canary
    measured = Measured(
        check=drill.checks.finished_at - drill.checks.started_at, sync=synced,
        dns_write=flipped.write if flipped and not flipped.error else None,
        dns_propagation=flipped.propagation if flipped and flipped.verified else None)
    drill.estimate = estimate(inventory, playbook, measured, last_failover(inventory))
    drill.findings = [*check_findings(to, drill.checks, inventory.policy.partial_family),
                      *sync_findings(to, errors, drill.ages),
                      *tls_findings(to, drill.tls),
                      *dns_findings(drill.plan_error, drill.canary),
                      *rto_findings(drill.estimate, playbook is not None),
                      *blast_findings(blast_radius(inventory))]
    log.info("rehearsed: to=%s ready=%s findings=%d", to, drill.ready, len(drill.findings))
    return drill


def _sync(inventory: Inventory, store: StateBackend, audit: AuditLog, state: State, to: str,
          drill: Rehearsal, clock: Callable[[], float]
          ) -> tuple[State, dict[str, float], list[str]]:
    """What `failover sync --to TO --yes` does: (new state, seconds per set, errors)."""
    from failover.sync.cycle import SyncRun, plan_sync, record, run_sync

    assert state.active is not None
    plan = plan_sync(inventory, state.active, [], None, [to])
    run = SyncRun(plan)
    started = clock()
    try:
        run_sync(inventory, plan, dry_run=False, run=run)
    except BaseException:  # also after Ctrl-C: what was transferred is recorded
        record(store, audit, state, run, started, interrupted=True)
        raise
    state = record(store, audit, state, run, started, interrupted=False)
    seconds: dict[str, float] = {}
    for t in run.transfers:
        seconds[t.set] = seconds.get(t.set, 0.0) + t.seconds
    drill.transfers = [t.to_json() for t in run.transfers]
    errors = [f"{t.direction} {t.set} {'from' if t.direction == 'pull' else 'to'} {t.host}: "
              f"{t.error}" for t in run.transfers if t.error]
    failed = {t.set for t in run.transfers if t.error}
    return state, {k: v for k, v in seconds.items() if k not in failed}, errors


def _checks(inventory: Inventory, to: str) -> RoundReport:
    from failover.checks import run_round

    return run_round(inventory, hosts=[to], control=False)


def _verify_timeout(playbook: Playbook | None) -> float:
    """The failover playbook's dns_verify timeout: the canary gets what a failover gets."""
    for step in playbook.steps if playbook else []:
        if step.action == "dns_verify":
            return float(getattr(step.params, "timeout", CANARY_TIMEOUT))
    return CANARY_TIMEOUT
