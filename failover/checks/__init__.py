"""Health checks: is each host serving? Probes as values, one round at a time, nothing decided here.

    from failover.checks import run_round
    report = run_round(inventory)                  # every host, every check, control targets

One job per module:
  base.py      the Check contract (template method: timeout, retries, latency, failures as
               results) that every check type implements
  registry.py  the check types by name (inventory `type:` = module name), imported on first use
  round.py     run_round / gather_round: every (host, check) probed at once, one RoundReport
  control.py   the control targets: is the checker itself online?
  limits.py    how many probes may hold a socket at once
  http.py, tcp.py, smtp.py, ssh.py, dns.py, command.py: one module per check type

Is a host down? Not a question for this package: a round reports, policy decides
(failover.policy.record_round counts the report into the streaks and thresholds).

Importing this package imports only the standard library, msgspec, the models and errors: each
check type's module (and its heavy library: paramiko, dnspython) is imported when a round needs it.
"""

from __future__ import annotations

from failover.checks.base import Check
from failover.checks.control import CONTROL_TIMEOUT, gather_control, parse_target, probe_control
from failover.checks.registry import available_types, check_for
from failover.checks.round import gather_round, run_round

__all__ = [
    "CONTROL_TIMEOUT",
    "Check",
    "available_types",
    "check_for",
    "gather_control",
    "gather_round",
    "parse_target",
    "probe_control",
    "run_round",
]
