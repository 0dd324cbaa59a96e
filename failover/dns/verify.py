"""Verify a flip: every authoritative nameserver answers each managed rrset with the new values.

Nameservers come from the zone's `nameservers` ("host[:port]", port 53) or, when that list is
empty, from the zone's NS set at the provider, each name resolved to its A/AAAA addresses with
the system resolver. Each nameserver is asked directly (UDP, TCP when truncated), all in parallel,
every `interval` seconds until all agree or `timeout` passes. Failures are results, not exceptions.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver

from failover.dns.plan import desired_for
from failover.dns.records import canonical_values
from failover.dns.registry import provider_for
from failover.errors import FailoverError
from failover.interrupt import checkpoint
from failover.model.inventory import Inventory, ZoneBase

log = logging.getLogger(__name__)

QUERY_TIMEOUT = 2.0  # seconds per query; a round never waits longer than this per nameserver
Check = tuple[str, str, tuple[str, ...]]  # (fqdn, type, wanted values; empty = absent)


@dataclass(frozen=True)
class NameserverResult:
    address: str
    port: int
    ok: bool
    mismatches: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "port": self.port, "ok": self.ok,
                "mismatches": list(self.mismatches)}


@dataclass(frozen=True)
class VerifyReport:
    """`caches_until`: epoch seconds until which resolvers may still serve the old answers."""

    ok: bool
    nameservers: list[NameserverResult]
    elapsed: float
    caches_until: float

    def lines(self) -> list[str]:
        lines = []
        for ns in self.nameservers:
            where = f"[{ns.address}]:{ns.port}" if ":" in ns.address else f"{ns.address}:{ns.port}"
            if ns.ok:
                lines.append(f"{where}: ok")
            else:
                lines.extend(f"{where}: {m}" for m in ns.mismatches)
        until = datetime.fromtimestamp(self.caches_until, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        verdict = "every nameserver answers" if self.ok else "not every nameserver answers"
        lines.append(f"{verdict} (after {self.elapsed:.1f}s); resolvers may serve cached old "
                     f"answers until {until}")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "elapsed": round(self.elapsed, 3),
                "caches_until": self.caches_until,
                "caches_until_iso": datetime.fromtimestamp(self.caches_until, UTC).isoformat(),
                "nameservers": [ns.to_json() for ns in self.nameservers]}


def parse_nameserver(text: str) -> tuple[str, int]:
    """"host[:port]" (also "[v6]:port" or a bare IPv6 address) -> (host, port); port 53."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else 53
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host, int(port)
    return text, 53


def _addresses(host: str) -> list[str]:
    """`host` if it is an address, else its A and AAAA addresses from the system resolver."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    found: list[str] = []
    for rtype in ("A", "AAAA"):
        try:
            answer = dns.resolver.resolve(host, rtype, lifetime=QUERY_TIMEOUT * 2)
        except dns.exception.DNSException:
            continue
        found.extend(r.to_text() for r in answer)
    return found


def _targets(zone: ZoneBase) -> tuple[list[tuple[str, int]], list[NameserverResult]]:
    """The (address, port) pairs to ask for `zone`, and results for names that did not resolve."""
    problems: list[NameserverResult] = []
    if zone.nameservers:
        named = [parse_nameserver(ns) for ns in zone.nameservers]
    else:
        try:
            named = [(name, 53) for name in provider_for(zone).nameserver_names()]
        except FailoverError as exc:
            return [], [NameserverResult(f"NS of {zone.zone}", 53, False,
                                         [f"cannot list nameservers: {exc}"])]
        if not named:
            problems.append(NameserverResult(f"NS of {zone.zone}", 53, False,
                                             ["the zone has no NS records at the provider"]))
    targets: list[tuple[str, int]] = []
    for host, port in named:
        addresses = _addresses(host)
        if not addresses:
            problems.append(NameserverResult(host, port, False, [f"cannot resolve {host}"]))
        targets.extend((a, port) for a in addresses)
    return targets, problems


def _ask(address: str, port: int, check: Check, timeout: float) -> str | None:
    """None when the nameserver answers exactly the wanted values, else what is wrong."""
    name, rtype, want = check
    query = dns.message.make_query(name, rtype)
    query.flags &= ~dns.flags.RD
    try:
        response = dns.query.udp(query, address, port=port, timeout=timeout)
        if response.flags & dns.flags.TC:
            response = dns.query.tcp(query, address, port=port, timeout=timeout)
    except dns.exception.Timeout:
        return f"{name} {rtype}: no answer: timeout"
    except (OSError, dns.exception.DNSException) as exc:
        return f"{name} {rtype}: no answer: {type(exc).__name__}: {exc}"
    rcode = response.rcode()
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        return f"{name} {rtype}: answered {dns.rcode.to_text(rcode)}"
    if not response.flags & dns.flags.AA:
        return f"{name} {rtype}: answer is not authoritative (AA flag not set)"
    got: tuple[str, ...] = ()
    for rrset in response.answer:
        if rrset.name.to_text().lower() == name and dns.rdatatype.to_text(rrset.rdtype) == rtype:
            got = canonical_values(rtype, [r.to_text() for r in rrset])
    if got == want:
        return None
    return f"{name} {rtype}: got {', '.join(got) or '(none)'}, want {', '.join(want) or '(none)'}"


def verify(inventory: Inventory, target_host: str, timeout: float, interval: float,
           on_progress: Callable[[VerifyReport], None] | None = None,
           old_ttl: int | None = None, drop: Collection[str] = ()) -> VerifyReport:
    """Ask every nameserver of every zone until all answer `target_host`'s values or `timeout`.

    Every managed rrset is asked for, AAAA like A; those of the families in `drop` (a flip that
    moved one family only) must be absent.

    `old_ttl` is the largest TTL the records had before the flip (default: the largest managed
    TTL in the inventory); `caches_until` is the time of the last round plus that. `on_progress`
    gets the report of each round. A nameserver name that does not resolve (or a zone whose NS
    set cannot be listed) fails the report after one round: waiting would not fix it. Raises
    UsageError/ConfigError for a bad host or record only; everything else is in the report.
    """
    started = time.monotonic()
    checks: dict[tuple[str, int], list[Check]] = {}
    unresolved: list[NameserverResult] = []
    for zone in inventory.dns:
        desired = desired_for(inventory, zone, target_host, drop)
        targets, problems = _targets(zone)
        unresolved.extend(problems)
        for target in targets:
            checks.setdefault(target, []).extend((n, t, v) for (n, t), (_, v) in desired.items())
    max_ttl = old_ttl if old_ttl is not None else max(
        (r.ttl for z in inventory.dns for r in z.records), default=0)
    log.info("verify: to=%s nameservers=%d timeout=%gs", target_host, len(checks), timeout)
    deadline = started + timeout
    jobs = [(target, check) for target, target_checks in checks.items() for check in target_checks]
    with ThreadPoolExecutor(max_workers=max(1, min(32, len(jobs)))) as pool:
        while True:
            per_query = max(0.2, min(QUERY_TIMEOUT, deadline - time.monotonic()))
            answers = pool.map(_ask, [a for (a, _), _ in jobs], [p for (_, p), _ in jobs],
                               [c for _, c in jobs], [per_query] * len(jobs))
            wrong: dict[tuple[str, int], list[str]] = {target: [] for target in checks}
            for (target, _), answer in zip(jobs, answers, strict=True):
                if answer is not None:
                    wrong[target].append(answer)
            results = [NameserverResult(a, p, not w, w) for (a, p), w in wrong.items()]
            results += unresolved
            ok = bool(results) and all(r.ok for r in results)
            report = VerifyReport(ok, results, time.monotonic() - started, time.time() + max_ttl)
            log.info("verify_round: to=%s ok=%s failing=%d elapsed=%.1fs", target_host, ok,
                     sum(not r.ok for r in results), report.elapsed)
            if on_progress is not None:
                on_progress(report)
            if ok or unresolved or time.monotonic() + interval >= deadline:
                return report
            checkpoint()
            time.sleep(interval)
