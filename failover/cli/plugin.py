"""The monitoring-plugin status line of `check` and `watch` (Nagios, Icinga, Zabbix read it).

    FAILOVER CRITICAL - active host primary is down (3 failed rounds in a row); failed over to
    standby (run 20240101T030000-ab12) | 'primary_up'=0 'standby_up'=1 ... 'round_seconds'=2.31s;;;0

(one line). It follows the Monitoring Plugins Development Guidelines
(https://www.monitoring-plugins.org/doc/guidelines.html): the first stdout line is the service
status, `SERVICE STATUS - text`, then `|` and the performance data, space-separated
`'label'=value[UOM];[warn];[crit];[min];[max]`. The text never holds a `|` (it would start the
performance data) nor a line break. Perfdata, per round:

  '<host>_up'                    1 the host passed its critical checks this round, else 0
  '<host>_<family>_up'           the same over one family, for a host with address6 (ipv4, ipv6)
  '<host>_failed_rounds'         the host's failed-round streak; warn 1, crit failure_threshold
  '<host>_<check>_seconds'       each check's time, retries included (UOM s); on a host with
                                 address6, '<host>_<check>_<family>_seconds'
  'control_targets_up'           control targets that answered; crit below 1
  'round_seconds'                the round's wall time (UOM s)
"""

from __future__ import annotations

from typing import Any

import click

from failover.cli.exits import exit_status
from failover.engine.monitor import RoundOutcome
from failover.errors import ConfigError, Interrupted, LockHeld
from failover.model.inventory import Inventory
from failover.policy import Status

SERVICE = "FAILOVER"


def status_line(status: Status, summary: str, perfdata: list[str] | None = None) -> str:
    text = " ".join(summary.replace("|", "/").split())  # one line, no perfdata separator
    line = f"{SERVICE} {status.name} - {text}"
    return f"{line} | {' '.join(perfdata)}" if perfdata else line


def summary(outcome: RoundOutcome, *, no_act: bool) -> str:
    """What the round found and what became of it, in words."""
    d = outcome.decision
    reasons = list(d.reasons)
    if d.action != "none" and reasons:
        if no_act:
            reasons[-1] = f"--no-act: would run the {d.action} playbook ({d.from_} -> {d.to})"
        elif outcome.run_error is not None:
            reasons[-1] = (f"{d.action} to {d.to} FAILED: {outcome.run_error}; active host: "
                           f"{outcome.state.active}")
        elif outcome.run is not None:
            done = "failed over" if d.action == "failover" else "failed back"
            reasons[-1] = f"{done} to {d.to} (run {outcome.run.id})"
    return "; ".join(reasons)


def _label(text: str) -> str:
    return "'" + text.replace("'", "_").replace("=", "_") + "'"


def perfdata(outcome: RoundOutcome, inventory: Inventory) -> list[str]:
    report, state = outcome.report, outcome.state
    from failover.families import family_ok

    out = [f"{_label(h + '_up')}={int(report.host_ok(h))}"
           for h in inventory.hosts if report.for_host(h)]
    out += [f"{_label(f'{h}_{f}_up')}={int(ok)}"
            for h in inventory.hosts for f, ok in family_ok(report, h).items()]
    threshold = inventory.policy.failure_threshold
    out += [f"{_label(h + '_failed_rounds')}={state.hosts[h].fail};1;{threshold};0"
            for h in inventory.hosts if h in state.hosts]
    out += [f"{_label(f'{r.host}_{r.check}' + (f'_{r.family}' if r.family else '') + '_seconds')}"
            f"={r.latency:.3f}s;;;0"
            for r in report.results]
    if report.control:
        up = sum(c.ok for c in report.control)
        out.append(f"{_label('control_targets_up')}={up};;1:;0;{len(report.control)}")
    took = max(0.0, report.finished_at - report.started_at)
    out.append(f"{_label('round_seconds')}={took:.2f}s;;;0")
    return out


def error_summary(error: BaseException) -> str:
    """Why a round could not judge, in one line (the details go to stderr)."""
    if isinstance(error, ConfigError):
        more = len(error.reasons) - 1
        first = str(error.reasons[0]) if error.reasons else str(error)
        return first + (f" (and {more} more problem(s), on stderr)" if more > 0 else "")
    if isinstance(error, click.UsageError):
        return f"usage error: {error.format_message()}"
    if isinstance(error, Interrupted | KeyboardInterrupt):
        return "interrupted"
    return str(error) or type(error).__name__


def unknown_reason(error: BaseException | None, outcome: RoundOutcome | None = None) -> str:
    """The word metrics.py labels an UNKNOWN round with (metrics.UNKNOWN_REASONS)."""
    if error is None:
        return "checker_offline" if outcome is None or not outcome.report.online \
            else "all_hosts_failing"
    if isinstance(error, ConfigError):
        return "inventory"
    if isinstance(error, LockHeld):
        return "lock_held"
    if isinstance(error, click.UsageError):
        return "usage"
    if isinstance(error, Interrupted | KeyboardInterrupt):
        return "interrupted"
    return "error"


def outcome_json(outcome: RoundOutcome, inventory: Inventory, *, no_act: bool) -> dict[str, Any]:
    from failover.cli.render import round_json

    d = outcome.decision
    return {
        "status": d.status.name, "exit_code": exit_status("check", d.status),
        "active": outcome.state.active,
        "summary": summary(outcome, no_act=no_act), "perfdata": perfdata(outcome, inventory),
        "round": round_json(outcome.report), "decision": d.to_json(),
        "run": outcome.run.to_json() if outcome.run else None, "run_error": outcome.run_error,
        "page": outcome.page_note, "notes": outcome.notes,
    }
