"""Cross-references the models cannot see on their own; every problem found, reported together.

Contract: each function takes a validated model and the Document it came from (for marks) and
returns a list of Reasons, empty when all is well. Nothing here raises or touches the network;
the file checks only ask the filesystem whether a file exists and can be read.
"""

from __future__ import annotations

import ipaddress
import itertools
import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from failover.config.knownhosts import has_key, known_name
from failover.config.roles import before_dns
from failover.config.yamlmarks import Document, KeyPath
from failover.errors import Reason
from failover.model.coerce import one_of, suggest
from failover.model.inventory import Inventory, Record
from failover.model.playbook import Playbook, Step
from failover.model.services import check_owner, hosts_of, owner
from failover.model.templating import RUN_VARS, TemplateError, fence_variables, names_in, render

log = logging.getLogger(__name__)

RESERVED_VARS = RUN_VARS  # set by every run; `vars:` may not shadow them


def check_inventory(inv: Inventory, doc: Document) -> list[Reason]:
    """Hosts named by records and sync sets exist, records can be built for every host, files
    exist, names are unique."""
    reasons: list[Reason] = []
    hosts = list(inv.hosts)
    seen_zones: dict[str, KeyPath] = {}
    for z, zone in enumerate(inv.dns):
        reasons += _unique(doc, seen_zones, zone.zone, ("dns", z, "zone"), "zone")
        tsig = getattr(zone, "tsig", None)  # issue 5: rfc2136 secret_file must exist
        if tsig is not None:
            reasons += _file(doc, ("dns", z, "tsig", "secret_file"), tsig.secret_file)
        seen_records: dict[str, KeyPath] = {}
        for r, record in enumerate(zone.records):
            at: KeyPath = ("dns", z, "records", r)
            reasons += _unique(doc, seen_records, f"{record.name} {record.type}", at, "record")
            reasons += _record(inv, record, at, doc)
    seen_sets: dict[str, KeyPath] = {}
    for s, sync_set in enumerate(inv.sync):
        reasons += _unique(doc, seen_sets, sync_set.name, ("sync", s, "name"), "sync set name")
        if sync_set.path is not None:
            reasons += _absolute_paths(doc, ("sync", s, "path"), sync_set.path)
        if isinstance(sync_set.path, dict):
            reasons += _host_keys(doc, ("sync", s, "path"), sync_set.path, hosts)
            served = hosts_of(inv, owner(inv, sync_set.service), fallback=False)
            missing = [h for h in served if h not in sync_set.path]
            if missing:
                reasons.append(doc.reason(("sync", s, "path"), f"no path for host "
                                          f"{one_of(missing)} (give a path for every host, or "
                                          "one path for all)"))
        if isinstance(sync_set.client_options, dict):
            at = ("sync", s, "client_options")
            reasons += _host_keys(doc, at, sync_set.client_options, hosts)
            served = hosts_of(inv, owner(inv, sync_set.service), fallback=False)
            missing = [h for h in served if h not in sync_set.client_options]
            if missing:
                reasons.append(doc.reason(at, f"no client_options for host {one_of(missing)} "
                                          "(give them for every host, or one string for all)"))
    seen_checks: dict[str, KeyPath] = {}
    for c, check in enumerate(inv.checks):
        reasons += _unique(doc, seen_checks, check.name, ("checks", c, "name"), "check name")
        if check.type in ("http", "smtp"):  # by name: config/ does not import check types
            reasons += _file(doc, ("checks", c, "ca_file"), getattr(check, "ca_file", None))
        if check.type in ("ssh", "command"):  # they log in to every host
            reasons += [doc.reason(("checks", c, "type"), f"a {check.type} check logs in to "
                                   f"every host; host {name} has no ssh identity (add hosts."
                                   f"{name}.ssh: {{user: deploy, identity: ~/.ssh/key}})")
                        for name in hosts_of(inv, check_owner(inv, check), fallback=False)
                        if (host := inv.hosts[name]).ssh is None or host.ssh.identity is None]
    known_hosts = _file(doc, ("ssh", "known_hosts"), inv.ssh.known_hosts)
    reasons += known_hosts or _host_keys_known(inv, doc)
    if inv.policy.preferred is not None:  # where failback goes: must be one of the hosts
        reasons += _known(doc, ("policy", "preferred"), inv.policy.preferred, hosts, "host",
                          "hosts")
    for name, host in inv.hosts.items():
        if host.ssh is not None and host.ssh.identity is not None:
            reasons += _file(doc, ("hosts", name, "ssh", "identity"), host.ssh.identity)
    for name, playbook in inv.playbooks.items():
        reasons += _file(doc, ("playbooks", name), playbook)
    reserved = f"reserved variable name ({', '.join(RESERVED_VARS)} are set by every run)"
    reasons += [doc.reason(("vars", v), reserved, key=True)
                for v in inv.vars if v in RESERVED_VARS]
    reasons += [doc.reason(("hosts", name, "vars", v), reserved, key=True)
                for name, host in inv.hosts.items() for v in host.vars if v in RESERVED_VARS]
    reasons += _fence(inv, doc)
    reasons += _coordination(inv, doc)
    log.debug("cross-checked: file=%s problems=%d", doc.file, len(reasons))
    return reasons


def _coordination(inv: Inventory, doc: Document) -> list[Reason]:
    c = inv.coordination
    if c is None or c.quorum is None or c.quorum <= c.expected_checkers:
        return []
    return [doc.reason(("coordination", "quorum"), f"{c.quorum} is more than expected_checkers "
                       f"({c.expected_checkers}): no failure could ever be agreed on; give "
                       f"2-{c.expected_checkers}")]


def _fence(inv: Inventory, doc: Document) -> list[Reason]:  # renders for every host
    for (i, command), name in itertools.product(enumerate(inv.fence), inv.hosts):
        try:
            render(command, fence_variables(inv, name))
        except TemplateError as e:
            return [doc.reason(("fence", i), f"{e} (on host {name})")]
    return []


def _absolute_paths(doc: Document, at: KeyPath, path: str | Mapping[str, str]) -> list[Reason]:
    """A relative path would land in the SSH user's home folder on each host: never meant."""
    paths = path.items() if isinstance(path, Mapping) else [(None, path)]
    return [doc.reason(at if host is None else (*at, host),
                       f"{value!r} is not an absolute path; on the host it would be relative to "
                       "the SSH user's home folder (write the full path, e.g. /var/www/shop/)")
            for host, value in paths if not value.startswith("/")]


def _host_keys_known(inv: Inventory, doc: Document) -> list[Reason]:
    """Every host we log in to has a key in known_hosts (looked up in the file, no network)."""
    missing = [f"{name} ({known_name(host.address, host.ssh.port)})"
               for name, host in inv.hosts.items()
               if host.ssh is not None
               and not has_key(inv.ssh.known_hosts, host.address, host.ssh.port)]
    if not missing:
        return []
    return [doc.reason(("ssh", "known_hosts"), (
        f"no host key for {one_of(missing)} in {inv.ssh.known_hosts}: a sync or failover would "
        "stop at its first connection. Fetch each key out of band (`ssh-keyscan -p PORT "
        "ADDRESS`), compare its fingerprint (`ssh-keygen -lf FILE`) with the one your hoster "
        "shows, then add the line"))]


def check_playbook(playbook: Playbook, inv: Inventory, doc: Document, *,
                   role: str | None = None) -> list[Reason]:
    """Literal (untemplated) check names, sync sets and host names exist in the inventory, and
    every `{{ name }}` is a variable the step will have (run variables, `vars`, and the `vars` of
    the host the step acts on: of that host when it is named, of every host when templated).
    `role` "failback": the inventory's failback playbook, which must bring every set marked
    `failback: true` home before its first dns step; "failover": the failover playbook, which
    must promote every `mode: replica` set before it."""
    reasons: list[Reason] = _variables(playbook, inv, doc) + before_dns(playbook, inv, doc, role)
    checks = [c.name for c in inv.checks]
    sets = [s.name for s in inv.sync]
    for section in ("steps", "rescue"):
        for i, step in enumerate(getattr(playbook, section)):
            at: KeyPath = (section, i, step.action)
            for key, value in _host_params(step):
                reasons += _known(doc, (*at, key), value, list(inv.hosts), "host", "hosts")
                if value in inv.hosts and inv.hosts[value].role == "fallback":
                    reasons.append(doc.reason((*at, key), f"{value} is a `role: fallback` host: "
                                              "never a playbook's target (a round points the "
                                              "records at it when every host is down)"))
            if step.check is not None:
                for n, name in enumerate(step.check.checks or []):
                    reasons += _known(doc, (*at, "checks", n), name, checks, "check", "checks")
            if step.sync is not None:
                reasons += _known(doc, (*at, "set"), step.sync.set, sets, "sync set", "sync sets")
                if step.sync.promote and step.sync.set in sets and \
                        inv.sync_set(step.sync.set).mode != "replica":
                    reasons.append(doc.reason((*at, "promote"), f"sync set {step.sync.set} is "
                                              "not `mode: replica`; only a replica is promoted"))
    return reasons


def _variables(playbook: Playbook, inv: Inventory, doc: Document) -> list[Reason]:
    reasons: list[Reason] = []
    base = {*RUN_VARS, *inv.vars, *(["service"] if inv.services else [])}
    everywhere = set.intersection(*(set(h.vars) for h in inv.hosts.values()))
    raw = doc.data if isinstance(doc.data, dict) else {}
    for section in ("steps", "rescue"):
        for i, step in enumerate(getattr(playbook, section)):
            host = step.host_param
            defined = base | (everywhere if host is None or "{{" in host
                              else set(inv.hosts[host].vars) if host in inv.hosts else set())
            if host is None:
                defined = base
            written = raw.get(section, [])[i] if isinstance(raw.get(section), list) else {}
            for path, value in _strings(written, (section, i)):
                try:
                    missing = [n for n, _ in names_in(value) if n not in defined]
                except TemplateError as exc:
                    reasons.append(doc.reason(path, str(exc)))
                    continue
                reasons += [doc.reason(path, f"undefined variable {name!r} in {value!r}; "
                                             f"defined here: {one_of(sorted(defined))}")
                            for name in dict.fromkeys(missing)]
    return reasons


def _strings(value: object, path: KeyPath) -> Iterable[tuple[KeyPath, str]]:
    """Every string in a step as written, with its path (for the marks)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def _host_params(step: Step) -> Iterable[tuple[str, str]]:
    params = step.params
    for key in ("host", "to", "from"):
        value = getattr(params, key if key != "from" else "from_", None)
        if isinstance(value, str):
            yield key, value


def _known(doc: Document, at: KeyPath, value: str, valid: list[str], kind: str,
           plural: str) -> list[Reason]:
    if "{{" in value or value in valid:
        return []
    return [doc.reason(at, f"unknown {kind} '{value}'{suggest(value, valid)}; "
                           f"{plural} in the inventory: {one_of(valid)}")]


def _record(inv: Inventory, record: Record, at: KeyPath, doc: Document) -> list[Reason]:
    hosts = hosts_of(inv, owner(inv, record.service))  # of its service (model/services.py)
    if record.values is None:
        if record.type == "AAAA":
            missing = [h for h in hosts if inv.hosts[h].address6 is None]
            if missing:
                return [doc.reason(at, "an AAAA record without `values` follows each host's "
                                       f"address6; missing on: {one_of(missing)} (add address6 "
                                       "there, or give `values`)")]
        elif record.type != "A":
            return [doc.reason((*at, "values"),
                               f"required for {record.type} records (one value per host)")]
        return []
    reasons = _host_keys(doc, (*at, "values"), record.values, list(inv.hosts))
    missing = [h for h in hosts if h not in record.values]
    if missing:
        reasons.append(doc.reason((*at, "values"), f"no value for host {one_of(missing)} "
                                                   "(one value per host)"))
    if record.type in ("A", "AAAA"):
        version = 4 if record.type == "A" else 6
        for host, value in record.values.items():
            for v in [value] if isinstance(value, str) else value:
                if not _is_ip(v, version):
                    reasons.append(doc.reason((*at, "values", host), f"{v!r} is not an "
                                              f"IPv{version} address ({record.type} record)"))
    return reasons


def _is_ip(value: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(value).version == version
    except ValueError:
        return False


def _host_keys(doc: Document, at: KeyPath, mapping: Mapping[str, object],
               hosts: list[str]) -> list[Reason]:
    return [
        doc.reason((*at, h), f"unknown host '{h}'{suggest(h, hosts)}; hosts: {one_of(hosts)}",
                   key=True)
        for h in mapping if h not in hosts
    ]


def _unique(doc: Document, seen: dict[str, KeyPath], name: str, at: KeyPath,
            what: str) -> list[Reason]:
    if name not in seen:
        seen[name] = at
        return []
    first = doc.mark(seen[name])
    where = f" (first used at line {first.line})" if first else ""
    return [doc.reason(at, f"duplicate {what} '{name}'{where}")]


def _file(doc: Document, at: KeyPath, path: Path | None) -> list[Reason]:
    if path is None:
        return []
    if not path.exists():
        return [doc.reason(at, f"file not found: {path}")]
    if not path.is_file():
        return [doc.reason(at, f"not a file: {path}")]
    if not os.access(path, os.R_OK):
        return [doc.reason(at, f"file not readable: {path}")]
    return []
