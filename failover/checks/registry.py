"""Which check types exist: registry key = module name = the inventory's `type:` value.

    check_for(model)        # the runnable Check for an inventory `checks:` entry
    check_class("smtp")     # failover.checks.smtp.SmtpProbe, imported now
    available_types()       # ["command", "dns", "http", "smtp", "ssh", "tcp"]

`type: http` lives in `failover/checks/http.py`, which holds both its settings model (`HttpCheck`)
and its probe (`HttpProbe`). This module names them and imports nothing of them: the inventory
loader (model/types.py `Plugin`) reads `PLUGINS` to find the one settings model an entry names,
and a round imports only the types its inventory names (paramiko for ssh/command, dnspython for
dns). The registry is a plain mapping, not a scan of the package: a reader sees every type in one
place. Adding a check type: write `failover/checks/<type>.py` (settings model + Check subclass
whose `type` is `<type>`, see checks/base.py) and add one line to CHECK_TYPES.
"""

from __future__ import annotations

import importlib
from typing import Any

import msgspec

from failover.checks.base import Check
from failover.model.inventory import Check as CheckModel

__all__ = ["CHECK_TYPES", "PLUGINS", "available_types", "check_class", "check_for"]


class Entry(msgspec.Struct, frozen=True):
    """Class names in `failover.checks.<type>`."""

    settings: str
    probe: str


# In the order validation messages list them ("... is not one of: http, tcp, ...").
CHECK_TYPES: dict[str, Entry] = {
    "http": Entry("HttpCheck", "HttpProbe"),
    "tcp": Entry("TcpCheck", "TcpProbe"),
    "smtp": Entry("SmtpCheck", "SmtpProbe"),
    "dns": Entry("DnsCheck", "DnsProbe"),
    "ssh": Entry("SshCheck", "SshProbe"),
    "command": Entry("CommandCheck", "CommandProbe"),
}

# What model/types.py `Plugin` reads: name -> "module:SettingsModel".
PLUGINS: dict[str, str] = {name: f"{__package__}.{name}:{entry.settings}"
                           for name, entry in CHECK_TYPES.items()}


def available_types() -> list[str]:
    """Every check type's name, sorted (nothing is imported)."""
    return sorted(CHECK_TYPES)


def check_class(type_name: str) -> type[Check[Any]]:
    """The Check subclass for `type_name`, importing its module. ValueError for an unknown type.

    Idempotent (the import system caches the module). An ImportError from inside a known type's
    module (a missing dependency) is raised as it is: that is a broken install, not bad input.
    """
    if type_name not in CHECK_TYPES:
        raise ValueError(
            f"no check type {type_name!r} (available: {', '.join(available_types())})"
        )
    module = importlib.import_module(f"{__package__}.{type_name}")
    cls: type[Check[Any]] = getattr(module, CHECK_TYPES[type_name].probe)
    # the key, the module and the class's own `type` must agree, or results would be misnamed
    assert cls.type == type_name, f"{cls.__qualname__}.type is {cls.type!r}, not {type_name!r}"
    return cls


def check_for(model: CheckModel) -> Check[Any]:
    """The runnable check for an inventory check entry; imports `failover.checks.<type>` lazily.

    Raises ValueError when the type is unknown, or when the entry cannot be probed as written
    (an unusable URL, an unreadable `ca_file`): bad configuration, never a failed host.
    """
    return check_class(model.type)(model)
