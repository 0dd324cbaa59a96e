"""Prometheus text format for node_exporter's textfile collector, one file per round.

    write_prom_file(path, report, state, hosts, status, unknown=None, at=None)

Every round writes the file, including the ones that could not judge (status 3 UNKNOWN: a bad
inventory, the lock held, the checker offline), so dashboards see why rather than only
staleness. The text comes from prometheus_client (escaping, number formatting and the
exposition format are its job), imported here only, and this module is imported only with
--prom-file. The file is written atomically (temp file + rename,
failover.state.files.write_atomic), as the textfile collector requires: it may read at any moment
and must never see half a file. It is 0644 (node_exporter runs as another user) and holds no
secrets: host and check names, and a fixed set of reason words.

Metrics (gauges):
  failover_check_up{host,check,family}        1 passed, 0 failed this round; family is ipv4 or
                                              ipv6 on a host with address6, "" otherwise
  failover_check_latency_seconds{host,check,family}  the probe's time, retries included
  failover_host_down{host}                    1 when the host is down by policy (streaks)
  failover_active{host}                       1 for the active host, 0 for the others
  failover_round_timestamp_seconds            when the round finished (unix time)
  failover_status                             the round's exit status: 0 OK .. 3 UNKNOWN
  failover_unknown_reason{reason}             1, only in a round that could not judge: why
                                              (UNKNOWN_REASONS)
With `services:`, the per-host metrics also carry a `service` label, and failover_status is
the worst service's.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from failover.model.results import RoundReport
from failover.model.state import State
from failover.state.files import write_atomic

log = logging.getLogger(__name__)

UNKNOWN_REASONS = ("inventory", "usage", "lock_held", "checker_offline", "all_hosts_failing",
                   "interrupted", "error")

_HELP = {
    "failover_check_up": "1 if the check passed on the host in the last round, else 0.",
    "failover_check_latency_seconds": "Time the check took in the last round, retries included.",
    "failover_host_down": "1 if the host is down by policy (failure_threshold rounds failed).",
    "failover_active": "1 for the host DNS points at (the active host), 0 for the others.",
    "failover_round_timestamp_seconds": "Unix time the last round finished.",
    "failover_status": "Exit status of the last round: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
    "failover_unknown_reason": "1 when the last round could not judge (status 3), labelled "
                               "with why: " + ", ".join(UNKNOWN_REASONS) + ".",
}


# with `services:`: each service's round, (service, report, state, hosts); every per-host
# metric then has a `service` label too (a host is down for mail and up for web)
Part = tuple[str, RoundReport, State, list[str]]


def render(report: RoundReport | None, state: State | None, hosts: list[str], status: int, *,
           unknown: str | None = None, at: float | None = None,
           services: list[Part] | None = None) -> str:
    """The text of the metrics file for one round.

    `report` is None when no check ran (the round stopped before probing); `state` is None when
    it could not be read; `unknown` is the reason word of an UNKNOWN round; `at` is the round's
    end when there is no report (default: now).
    """
    from prometheus_client import CollectorRegistry, Gauge, generate_latest

    registry = CollectorRegistry(auto_describe=False)

    def gauge(name: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(name, _HELP[name], labels, registry=registry)

    extra = ("service",) if services else ()
    up = gauge("failover_check_up", ("host", "check", "family", *extra))
    latency = gauge("failover_check_latency_seconds", ("host", "check", "family", *extra))
    down = gauge("failover_host_down", ("host", *extra))
    active = gauge("failover_active", ("host", *extra))
    parts: list[tuple[str, RoundReport | None, State | None, list[str]]] = \
        list(services) if services else [("", report, state, hosts)]
    for name, report_, state_, hosts_ in parts:
        tag = (name,) if services else ()
        for r in report_.results if report_ is not None else ():
            up.labels(r.host, r.check, r.family, *tag).set(int(r.ok))
            latency.labels(r.host, r.check, r.family, *tag).set(r.latency)
        for host in hosts_ if state_ is not None else ():
            assert state_ is not None
            down.labels(host, *tag).set(int(host in state_.hosts and state_.hosts[host].down))
            active.labels(host, *tag).set(int(host == state_.active))
    finished = report.finished_at if report is not None else at if at is not None else time.time()
    gauge("failover_round_timestamp_seconds").set(finished)
    gauge("failover_status").set(status)
    if unknown is not None:
        gauge("failover_unknown_reason", ("reason",)).labels(unknown).set(1)
    return generate_latest(registry).decode("utf-8")


def write_prom_file(path: Path, report: RoundReport | None, state: State | None,
                    hosts: list[str], status: int, *, unknown: str | None = None,
                    at: float | None = None, services: list[Part] | None = None) -> None:
    """Write the metrics of one round to `path`, atomically (0644)."""
    write_atomic(path, render(report, state, hosts, status, unknown=unknown, at=at,
                              services=services), mode=0o644)
    log.info("metrics written: path=%s status=%d checks=%d", path, status,
             len(report.results) if report is not None else 0)
