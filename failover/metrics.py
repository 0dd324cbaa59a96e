"""Prometheus text format (exposition format 0.0.4) for node_exporter's textfile collector.

    write_prom_file(path, report, state, status)

The file is written atomically (temp file + rename, failover.state.files.write_atomic), as the
textfile collector requires: it may read at any moment and must never see half a file. It is
0644 (node_exporter runs as another user) and holds no secrets: host and check names only.

Metrics (gauges):
  failover_check_up{host,check}               1 passed, 0 failed this round
  failover_check_latency_seconds{host,check}  the probe's time, retries included
  failover_host_down{host}                    1 when the host is down by policy (streaks)
  failover_active{host}                       1 for the active host, 0 for the others
  failover_round_timestamp_seconds            when the round finished (unix time)
  failover_status                             the round's exit status: 0 OK .. 3 UNKNOWN
"""

from __future__ import annotations

import logging
from pathlib import Path

from failover.model.results import RoundReport
from failover.model.state import State
from failover.state.files import write_atomic

log = logging.getLogger(__name__)

_HELP = {
    "failover_check_up": "1 if the check passed on the host in the last round, else 0.",
    "failover_check_latency_seconds": "Time the check took in the last round, retries included.",
    "failover_host_down": "1 if the host is down by policy (failure_threshold rounds failed).",
    "failover_active": "1 for the host DNS points at (the active host), 0 for the others.",
    "failover_round_timestamp_seconds": "Unix time the last round finished.",
    "failover_status": "Exit status of the last round: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
}


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{_label(v)}"' for k, v in labels.items()) + "}"


def render(report: RoundReport, state: State, hosts: list[str], status: int) -> str:
    """The text of the metrics file for one round."""
    samples: dict[str, list[str]] = {name: [] for name in _HELP}
    for r in report.results:
        lab = _labels(host=r.host, check=r.check)
        samples["failover_check_up"].append(f"failover_check_up{lab} {int(r.ok)}")
        samples["failover_check_latency_seconds"].append(
            f"failover_check_latency_seconds{lab} {r.latency:.6f}")
    for host in hosts:
        lab = _labels(host=host)
        down = state.hosts[host].down if host in state.hosts else False
        samples["failover_host_down"].append(f"failover_host_down{lab} {int(down)}")
        samples["failover_active"].append(f"failover_active{lab} {int(host == state.active)}")
    samples["failover_round_timestamp_seconds"].append(
        f"failover_round_timestamp_seconds {report.finished_at:.3f}")
    samples["failover_status"].append(f"failover_status {status}")
    lines: list[str] = []
    for name, rows in samples.items():
        lines += [f"# HELP {name} {_HELP[name]}", f"# TYPE {name} gauge", *rows]
    return "\n".join(lines) + "\n"


def write_prom_file(path: Path, report: RoundReport, state: State, hosts: list[str],
                    status: int) -> None:
    """Write the metrics of one round to `path`, atomically (0644)."""
    write_atomic(path, render(report, state, hosts, status), mode=0o644)
    log.info("metrics written: path=%s checks=%d", path, len(report.results))
