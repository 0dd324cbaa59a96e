"""Fencing: the old host is put out of the way and marked demoted, so it never wins the site back
on its own or takes orders behind our back.

- `fence_host` runs the inventory's `fence:` commands on the host (maintenance page, stop cron
  and order intake), each with what is left of `policy.fence_timeout`, best effort: every command
  is tried; the host counts as fenced when every one exited 0. A host that does not answer, or
  answers with a host key we do not know, is not fenced and nothing runs there.
- The host is marked demoted either way (`demote`): automation never chooses a demoted host
  (policy.decide), `status` shows the mark, and while the host is not fenced `check` says so
  (WARNING). A round in which an unfenced demoted host answers again fences it then
  (`fence_again`): hosters restore power in their own order, often hours later. When that
  fails otherwise than the last time, the round tells people (fencing_failed: notify/events.py
  fence_changes compares the mark's `detail` before and after the round).
- `failover promote HOST` (a person) or a run that makes the host active again clears the mark.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from failover.errors import FailoverError, HostKeyMismatch
from failover.model.inventory import Inventory
from failover.model.results import RoundReport
from failover.model.state import Demoted, State
from failover.model.templating import TemplateError, fence_variables, render
from failover.state.audit import AuditLog
from failover.state.base import StateBackend

log = logging.getLogger(__name__)


@dataclass
class FenceResult:
    fenced: bool
    detail: str
    lines: list[str] = field(default_factory=list)


def commands_for(inventory: Inventory, host: str) -> list[str]:
    """The `fence:` commands as they run on `host`: {{ host }}, {{ site }}, the inventory's and
    the host's `vars` filled in. Raises TemplateError naming an undefined variable."""
    variables = fence_variables(inventory, host)
    return [render(command, variables) for command in inventory.fence]


def fence_host(inventory: Inventory, host: str, *, unanswered: str | None = None) -> FenceResult:
    """Run the `fence:` commands on `host`; never raises for the host's own failures.
    `unanswered`: why the host's SSH is known not to answer now (nothing is tried)."""
    from failover.remote.ssh import run_command, ssh_target

    if not inventory.fence:
        return FenceResult(False, "no `fence:` commands in the inventory: nothing stops it "
                                  "taking orders if it comes back")
    if unanswered:
        return FenceResult(False, f"not reachable: {unanswered}")
    try:
        commands = commands_for(inventory, host)
    except TemplateError as e:
        return FenceResult(False, f"fence: {e}")
    deadline = time.monotonic() + inventory.policy.fence_timeout
    target = ssh_target(inventory, host)
    lines: list[str] = []
    failed = 0
    for command in commands:
        left = deadline - time.monotonic()
        if left <= 0:
            lines.append(f"{command}: not run (fence_timeout spent)")
            failed += 1
            continue
        try:
            result = run_command(target, command, timeout=left)
        except HostKeyMismatch as e:  # not who we think: run nothing there
            return FenceResult(False, f"not fenced: {e}", lines)
        except FailoverError as e:
            if not lines:  # the first command could not reach it: the host does not answer
                return FenceResult(False, f"not reachable: {e}")
            lines.append(f"{command}: {e}")
            failed += 1
            continue
        lines.append(f"{command}: exit {result.exit_status}")
        failed += result.exit_status != 0
    if failed:
        return FenceResult(False, f"{failed} of {len(commands)} fence command(s) failed", lines)
    return FenceResult(True, f"fenced: {len(commands)} command(s) ran", lines)


def demote(state: State, host: str, result: FenceResult, *, now: float, why: str,
           run_id: str | None) -> State:
    """`state` with `host` marked demoted (the first mark's time and reason are kept)."""
    old = state.demoted.get(host)
    mark = Demoted(since=old.since if old else now, why=old.why if old else why,
                   fenced=result.fenced or bool(old and old.fenced), detail=result.detail,
                   run_id=old.run_id if old else run_id)
    return state.replace(demoted={**state.demoted, host: mark})


def undemote(state: State, host: str) -> State:
    return state.replace(demoted={h: d for h, d in state.demoted.items() if h != host})


def promote(store: StateBackend, audit: AuditLog, host: str, *, wait: float,
            confirm: Callable[[Demoted], None]) -> Demoted | None:
    """`failover promote HOST`: clear HOST's demoted mark under the run lock, audited. Returns
    the mark cleared, None when HOST was not demoted. `confirm(mark)` may raise to stop."""
    with store.lock(wait):
        state = store.load()
        mark = state.demoted.get(host)
        if mark is None:
            return None
        confirm(mark)
        store.save(undemote(state, host))
        audit.write("undemote", host=host, why="failover promote", since=mark.since,
                    fenced=mark.fenced)
    return mark


def fence_again(inventory: Inventory, state: State, report: RoundReport, audit: AuditLog,
                now: float) -> tuple[State, list[str]]:
    """Fence every demoted, unfenced host that answered this round (some check passed).
    Returns the new state and a line per attempt."""
    notes: list[str] = []
    for host, mark in state.demoted.items():
        if mark.fenced or host == state.active or host not in inventory.hosts:
            continue
        if not any(r.ok for r in report.for_host(host)):
            continue
        result = fence_host(inventory, host)
        state = demote(state, host, result, now=now, why=mark.why, run_id=mark.run_id)
        audit.write("fence", host=host, fenced=result.fenced, detail=result.detail,
                    commands=result.lines, retry=True)
        log.info("fence: host=%s fenced=%s detail=%s", host, result.fenced, result.detail)
        notes.append(f"demoted host {host} answers again: {result.detail}")
    return state, notes

