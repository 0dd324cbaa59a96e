"""Doctor's site findings: DNS credentials (read, and write where a no-op proves it), TTLs
against `policy.rto_target` (when the inventory has it), the state folder, and the blast-radius
lint (config/blast.py). Reads only: nothing here changes a zone, a file or a host."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from failover.config.blast import blast_radius
from failover.dns.registry import provider_for
from failover.errors import ProviderError
from failover.model.inventory import Inventory, ZoneBase
from failover.onboard.dnsprobe import update_allowed
from failover.onboard.findings import Finding, ok, problem, warning

# PowerDNS Authoritative 4.x has one API key for reads and writes (no read-only key; `api-readonly`
# is gone), so a successful read proves the key; only a proxy in front could refuse a PATCH.
UNSCOPED = {"powerdns": "PowerDNS has one API key for reading and writing, so the read proves "
                        "it (a proxy in front of the API could still refuse a change)"}


def dns_findings(inventory: Inventory) -> list[Finding]:
    out = []
    for n, zone in enumerate(inventory.dns):
        subject = f"dns {zone.zone}"
        try:
            provider = provider_for(zone)
            current = provider.read()
        except ProviderError as e:
            out.append(problem(subject, f"cannot read the zone: {e}",
                               f"check dns[{n}]'s credentials ({_credentials(zone)}) and that "
                               "the zone exists at the provider"))
            continue
        out.append(ok(subject, f"{zone.provider}: credentials read the zone ({len(current)} of "
                               f"{len(provider.managed)} managed records present)"))
        if zone.provider in UNSCOPED:
            out.append(ok(subject, f"write: {UNSCOPED[zone.provider]}"))
        elif zone.provider == "rfc2136":
            refused = update_allowed(zone)
            out.append(ok(subject, "write: a no-op UPDATE (a prerequisite only) was accepted")
                       if refused is None else
                       problem(subject, f"write: a no-op UPDATE was refused: {refused}",
                               "allow the inventory's TSIG key to update the zone "
                               "(BIND: update-policy or allow-update)"))
        else:
            out.append(warning(subject, f"write: not proven ({zone.provider} has no dry change)",
                               "check that the credentials may change the zone's records "
                               "(route53: docs/route53-iam.md)"))
    return out


def _credentials(zone: ZoneBase) -> str:
    return {"powerdns": "api_url, api_key", "rfc2136": "server, tsig",
            "route53": "profile or AWS_* variables, hosted_zone_id"}.get(zone.provider, "lexicon")


def ttl_findings(inventory: Inventory) -> list[Finding]:
    ttls = [r.ttl for z in inventory.dns for r in z.records]
    if not ttls:
        return []
    largest = max(ttls)
    target = getattr(inventory.policy, "rto_target", None)  # issue 10 adds it; absent before
    interval = getattr(inventory.policy, "check_interval", None)
    if not target:
        return [ok("dns ttl", f"largest managed TTL {largest} s (no policy.rto_target to "
                              "compare it with)")]
    detect = float(interval) * inventory.policy.failure_threshold if interval else 0.0
    budget = detect + largest
    fix = "lower the managed records' ttl (60 s is usual) or raise policy.rto_target"
    if largest >= target:
        return [problem("dns ttl", f"largest managed TTL {largest} s alone is at least "
                        f"policy.rto_target {target:g} s: resolvers keep the old address longer",
                        fix)]
    if budget > target:
        return [problem("dns ttl", f"detection (check_interval x failure_threshold = {detect:g} "
                        f"s) plus the largest TTL ({largest} s) is {budget:g} s, over "
                        f"policy.rto_target {target:g} s", fix)]
    return [ok("dns ttl", f"largest managed TTL {largest} s fits policy.rto_target {target:g} s")]


def state_findings(inventory: Inventory) -> list[Finding]:
    folder = Path(inventory.state_dir)
    subject = "state folder"
    if not folder.exists():
        parent = next((p for p in folder.parents if p.exists()), Path("/"))
        if os.access(parent, os.W_OK | os.X_OK):
            return [ok(subject, f"{folder} does not exist yet: the first run creates it (0700)")]
        return [problem(subject, f"{folder} does not exist and {parent} is not writable",
                        f"create it: install -d -m 0700 {folder} (owned by the user that runs "
                        "failover)")]
    if not folder.is_dir():
        return [problem(subject, f"{folder} is not a folder", "set state_dir to a folder")]
    out = []
    mode = stat.S_IMODE(folder.stat().st_mode)
    if not os.access(folder, os.W_OK | os.X_OK):
        out.append(problem(subject, f"{folder} is not writable by this user",
                           "run failover as the folder's owner, or chown it"))
    if mode & 0o077:
        out.append(problem(subject, f"{folder} is mode {mode:04o}: other users can read the "
                                    "state, journals and audit log", f"chmod 0700 {folder}"))
    return out or [ok(subject, f"{folder} is writable and 0700")]


def blast_findings(inventory: Inventory) -> list[Finding]:
    return [warning("blast radius", text, "move it to a provider apart from the hosts' hosters")
            for text in blast_radius(inventory)]
