"""The names shell completion offers, read from the inventory file as written.

Contract: `inventory_names(path)` never raises and never reads the environment. Completion runs
on every Tab press, where an error would garble the prompt and a `${VAR}` the shell has not set
must not hide the hosts: so the YAML is read as it is (config/yamlmarks.py), without the loader's
validation, and a file that is missing or unreadable gives no names.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import msgspec

from failover.config.yamlmarks import read_yaml
from failover.errors import ConfigError

log = logging.getLogger(__name__)


class InventoryNames(msgspec.Struct, frozen=True):
    hosts: tuple[str, ...] = ()
    playbooks: tuple[str, ...] = ()
    sync_sets: tuple[str, ...] = ()


def inventory_names(path: Path) -> InventoryNames:
    """Host names (in priority order), playbook names and sync set names of the inventory."""
    try:
        data = read_yaml(path).data
    except (ConfigError, OSError) as e:
        log.debug("completion: no names: path=%s reason=%s", path, e)
        return InventoryNames()
    if not isinstance(data, dict):
        return InventoryNames()
    sync = data.get("sync")
    sets: list[Any] = sync if isinstance(sync, list) else []
    return InventoryNames(hosts=_keys(data.get("hosts")), playbooks=_keys(data.get("playbooks")),
                          sync_sets=tuple(s["name"] for s in sets if isinstance(s, dict)
                                          and isinstance(s.get("name"), str)))


def _keys(mapping: Any) -> tuple[str, ...]:
    return tuple(str(k) for k in mapping) if isinstance(mapping, dict) else ()
