"""The `services:` section and the `service:` keys, cross-checked (model/services.py uses them).

Every problem found, with its place: a `service:` naming no service, a service's host, check or
playbook that does not exist, a check or DNS record claimed by two services, a service nothing
judges (no check) or nothing flips (no record), and a `role: fallback` host in the wrong place
(named by a playbook-facing key, or a `fallback: true` check with no fallback host to probe).
"""

from __future__ import annotations

from failover.config.yamlmarks import Document, KeyPath
from failover.errors import Reason
from failover.model.coerce import one_of, suggest
from failover.model.inventory import Inventory
from failover.model.services import IMPLICIT, check_owner, fallback_hosts, owner, service_names


def check_services(inv: Inventory, doc: Document) -> list[Reason]:
    names = service_names(inv)
    reasons = _claims(inv, doc, names) + _section(inv, doc)
    for name in names if not reasons else ():  # what is judged: once the claims are right
        reasons += _judged(inv, doc, name)
    return reasons


def _unknown(doc: Document, at: KeyPath, value: str, valid: list[str], kind: str) -> Reason:
    return doc.reason(at, f"unknown {kind} '{value}'{suggest(value, valid)}; valid: "
                          f"{one_of(valid)}")


def _claims(inv: Inventory, doc: Document, names: list[str]) -> list[Reason]:
    """`service:` keys name a service; no check or record belongs to two."""
    reasons: list[Reason] = []
    valid = list(inv.services) or [f"(none: add a `services:` section; without it everything is "
                                   f"one service named {IMPLICIT!r})"]
    places: list[tuple[KeyPath, str | None]] = [
        (("checks", i, "service"), c.service) for i, c in enumerate(inv.checks)]
    places += [(("sync", i, "service"), s.service) for i, s in enumerate(inv.sync)]
    places += [(("dns", z, "records", r, "service"), rec.service)
               for z, zone in enumerate(inv.dns) for r, rec in enumerate(zone.records)]
    reasons += [_unknown(doc, at, value, valid, "service") for at, value in places
                if value is not None and value not in inv.services]
    for i, check in enumerate(inv.checks):
        claims = [n for n, s in inv.services.items() if check.name in s.checks]
        claims += [check.service] if check.service and check.service not in claims else []
        if len(claims) > 1:
            reasons.append(doc.reason(("checks", i, "name"), (
                f"check {check.name!r} is claimed by services {one_of(claims)}; a check judges "
                "one service (keep it in one, or copy it under another name)")))
    seen: dict[str, tuple[str, KeyPath]] = {}
    for z, zone in enumerate(inv.dns):
        for r, rec in enumerate(zone.records):
            fqdn = zone.zone if rec.name == "@" else f"{rec.name}.{zone.zone}"
            key, service = f"{fqdn.lower()} {rec.type}", owner(inv, rec.service)
            first = seen.setdefault(key, (service, ("dns", z, "records", r)))
            if first[0] != service:
                line = doc.mark(first[1])
                where = f" (line {line.line})" if line else ""
                reasons.append(doc.reason(("dns", z, "records", r), (
                    f"record {rec.name} {rec.type} is claimed by services {first[0]}{where} and "
                    f"{service}; a record follows one service's active host")))
    return reasons


def _section(inv: Inventory, doc: Document) -> list[Reason]:
    """What `services:` names exists: hosts, checks, playbook files."""
    reasons: list[Reason] = []
    hosts, checks = list(inv.hosts), [c.name for c in inv.checks]
    for name, service in inv.services.items():
        for i, host in enumerate(service.hosts or []):
            if host not in inv.hosts:
                reasons.append(_unknown(doc, ("services", name, "hosts", i), host, hosts, "host"))
        real = [h for h in service.hosts or [] if h in inv.hosts and inv.hosts[h].role is None]
        if service.hosts is not None and len(real) < 1:
            reasons.append(doc.reason(("services", name, "hosts"), "needs at least one real "
                                      "host (not `role: fallback`)"))
        for i, check in enumerate(service.checks):
            if check not in checks:
                reasons.append(_unknown(doc, ("services", name, "checks", i), check, checks,
                                        "check"))
        for key, path in service.playbooks.items():
            if not path.is_file():
                reasons.append(doc.reason(("services", name, "playbooks", key),
                                          f"file not found: {path}"))
        preferred = service.policy.preferred if service.policy is not None else None
        if preferred is not None and preferred not in real + ([] if service.hosts else hosts):
            reasons.append(_unknown(doc, ("services", name, "policy", "preferred"), preferred,
                                    real or hosts, "host"))
    return reasons


def _judged(inv: Inventory, doc: Document, name: str) -> list[Reason]:
    """A service has a check and a record; its `fallback: true` checks have a host to probe."""
    reasons: list[Reason] = []
    at: KeyPath = ("services", name) if inv.services else ()
    mine = [c for c in inv.checks if check_owner(inv, c) == name]
    if inv.services and not [c for c in mine if not c.fallback]:
        reasons.append(doc.reason(at, f"service {name} has no check (give a check "
                                      f"`service: {name}`): nothing would tell it is down"))
    if inv.services and not any(owner(inv, r.service) == name
                                for zone in inv.dns for r in zone.records):
        reasons.append(doc.reason(at, f"service {name} has no DNS record (give a record "
                                      f"`service: {name}`): a failover would move nothing"))
    if any(c.fallback for c in mine) and not fallback_hosts(inv, name):
        i = next(i for i, c in enumerate(inv.checks) if c.fallback and c in mine)
        reasons.append(doc.reason(("checks", i, "fallback"), (
            f"service {name} has no `role: fallback` host for this check to probe (add one "
            "under hosts:, e.g. sorry-page: {address: ..., role: fallback})")))
    return reasons
