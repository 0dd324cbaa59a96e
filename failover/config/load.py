"""Load the inventory and playbooks: YAML with marks, ${VAR} expansion, validation, references.

Contract:
- `load_inventory` and `load_playbook` return a valid, frozen model or raise `ConfigError` with
  every reason found (file:line:column, dotted key, what would be valid), never a traceback.
- Order: read YAML (syntax and duplicate keys stop here) -> expand ${VAR} -> validate the model
  -> cross-reference checks (only on a valid model). Expansion problems and validation errors are
  reported together; a value whose ${VAR} could not be expanded gets no second error.
- Relative paths in the inventory (state_dir, ssh.known_hosts, hosts.*.ssh.identity, playbooks.*,
  checks[*].ca_file) are made absolute against the inventory's folder, after `~` expansion.
- Secret values (Secret fields) never appear in messages.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from failover.config.canary import check_canary
from failover.config.env import expand
from failover.config.services import check_services
from failover.config.validate import check_inventory, check_playbook
from failover.config.yamlmarks import Document, KeyPath, read_yaml
from failover.errors import ConfigError, Reason
from failover.model.coerce import Invalid, coerce, model_keys, one_of
from failover.model.inventory import Inventory
from failover.model.playbook import Playbook

log = logging.getLogger(__name__)

DEFAULT_STATE_DIR = ".failover"
# set by the loader (service and whole: by a view, model/services.py); not keys users write
LOADER_KEYS = ("path", "service", "whole")

M = TypeVar("M")


def load_inventory(path: Path, environ: Mapping[str, str] | None = None) -> Inventory:
    """Read, expand, resolve and validate the inventory at `path` (named as given in messages).

    `environ` supplies ${VAR} values and `~` (HOME); it defaults to os.environ.
    Raises ConfigError listing every problem.
    """
    environ = os.environ if environ is None else environ
    doc = read_yaml(path)
    data, reasons, skip = _expanded(doc, environ, Inventory, hidden=LOADER_KEYS)
    for key in LOADER_KEYS:
        if key in data:
            valid = [k for k in model_keys(Inventory) if k not in LOADER_KEYS]
            reasons.append(doc.reason((key,), f"unknown key; valid keys here: {one_of(valid)}",
                                      key=True))
    absolute = Path(os.path.abspath(path))
    data["path"] = str(absolute)
    data.setdefault("state_dir", DEFAULT_STATE_DIR)
    _resolve_paths(data, absolute.parent, environ)
    inventory = _validate(Inventory, doc, data, reasons, skip, hidden=LOADER_KEYS)
    _raise(check_inventory(inventory, doc) + check_canary(inventory, doc)
           + check_services(inventory, doc))
    log.debug("loaded: inventory=%s hosts=%d zones=%d checks=%d", absolute, len(inventory.hosts),
              len(inventory.dns), len(inventory.checks))
    return inventory


def load_playbook(path: Path, inventory: Inventory,
                  environ: Mapping[str, str] | None = None) -> Playbook:
    """Read, expand and validate the playbook at `path`; check its literal references to the
    inventory's hosts, checks and sync sets (`{{ var }}` values are left to the engine).

    Raises ConfigError listing every problem.
    """
    environ = os.environ if environ is None else environ
    doc = read_yaml(path)
    data, reasons, skip = _expanded(doc, environ, Playbook)
    playbook = _validate(Playbook, doc, data, reasons, skip)
    role = next((name for name in ("failover", "failback")
                 if (known := inventory.playbooks.get(name)) is not None
                 and known.resolve() == path.resolve()), None)
    _raise(check_playbook(playbook, inventory.whole or inventory, doc, role=role))
    log.debug("loaded: playbook=%s steps=%d rescue=%d", path, len(playbook.steps),
              len(playbook.rescue))
    return playbook


def _expanded(doc: Document, environ: Mapping[str, str], model: type,
              hidden: tuple[str, ...] = ()) -> tuple[dict[str, Any], list[Reason], list[KeyPath]]:
    """The document's data with ${VAR} expanded (a fresh copy), the expansion problems, and
    their paths (validation errors there would only repeat them)."""
    if not isinstance(doc.data, dict):
        got = "a list" if isinstance(doc.data, list) else repr(doc.data)
        keys = one_of(k for k in model_keys(model) if k not in hidden)
        raise ConfigError([doc.reason((), f"expected a mapping (keys: {keys}), got {got}")])
    data, problems = expand(doc.data, environ)
    reasons = [doc.reason(where, message) for where, message in problems]
    return data, reasons, [where for where, _ in problems]


def _validate(model: type[M], doc: Document, data: dict[str, Any], reasons: list[Reason],
              skip: list[KeyPath], hidden: tuple[str, ...] = ()) -> M:
    """The validated model, or ConfigError with `reasons` plus every validation error."""
    try:
        value: M = coerce(model, data, skip=skip, hidden=hidden)
    except Invalid as exc:
        reasons = reasons + [doc.reason(p.path, p.message, key=p.on_key) for p in exc.problems]
    _raise(reasons)
    return value


def sort_reasons(reasons: list[Reason]) -> list[Reason]:
    unique = dict.fromkeys(reasons)
    return sorted(unique, key=lambda r: (r.file, r.line or 0, r.column or 0, r.key))


def _raise(reasons: list[Reason]) -> None:
    if reasons:
        raise ConfigError(sort_reasons(reasons))


def _resolve_paths(data: dict[str, Any], folder: Path, environ: Mapping[str, str]) -> None:
    """Make the inventory's file paths absolute, in place; non-strings are left to validation."""
    _absolute(data, "state_dir", folder, environ)
    ssh = data.get("ssh")
    if isinstance(ssh, dict):
        _absolute(ssh, "known_hosts", folder, environ)
    hosts = data.get("hosts")
    for host in hosts.values() if isinstance(hosts, dict) else ():
        if isinstance(host, dict) and isinstance(host.get("ssh"), dict):
            _absolute(host["ssh"], "identity", folder, environ)
    playbooks = data.get("playbooks")
    if isinstance(playbooks, dict):
        for name in list(playbooks):
            _absolute(playbooks, name, folder, environ)
    services = data.get("services")
    for service in services.values() if isinstance(services, dict) else ():
        if isinstance(service, dict) and isinstance(service.get("playbooks"), dict):
            for name in list(service["playbooks"]):
                _absolute(service["playbooks"], name, folder, environ)
    zones = data.get("dns")
    for zone in zones if isinstance(zones, list) else ():  # issue 5: rfc2136 tsig.secret_file
        if isinstance(zone, dict) and isinstance(zone.get("tsig"), dict):
            _absolute(zone["tsig"], "secret_file", folder, environ)
    for section in ("checks", "notify"):  # a check's or an email channel's ca_file
        entries = data.get(section)
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, dict):
                _absolute(entry, "ca_file", folder, environ)


def _absolute(mapping: dict[str, Any], key: str, folder: Path, environ: Mapping[str, str]) -> None:
    value = mapping.get(key)
    if not isinstance(value, str) or not value:
        return
    if value == "~" or value.startswith("~/"):
        home = environ.get("HOME") or str(Path.home())
        value = home + value[1:]
    else:
        value = str(Path(value).expanduser())
    mapping[key] = os.path.normpath(folder / value)
