"""The check types: inventory `type:` value = module name = registry key, imported on first use.

    check_for(model)        # the runnable Check for an inventory `checks:` entry
    check_class("smtp")     # failover.checks.smtp.SmtpProbe, imported now
    available_types()       # ["command", "dns", "http", "smtp", "ssh", "tcp"]

The registry is a plain mapping of names, not a scan of the package or a side effect of
subclassing: a reader sees every type in one place, and nothing is imported until a round needs
it, so `failover check` pays only for the types its inventory names (paramiko for ssh/command,
dnspython for dns). A new check type is one module `failover/checks/<type>.py` with one `Check`
subclass whose `type` is `<type>`, plus one line here.
"""

from __future__ import annotations

import importlib
from typing import Any

from failover.checks.base import Check
from failover.model.inventory import Check as CheckModel

__all__ = ["CHECK_TYPES", "available_types", "check_class", "check_for"]

# type -> the Check subclass in failover.checks.<type>
CHECK_TYPES: dict[str, str] = {
    "command": "CommandProbe",
    "dns": "DnsProbe",
    "http": "HttpProbe",
    "smtp": "SmtpProbe",
    "ssh": "SshProbe",
    "tcp": "TcpProbe",
}


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
    cls: type[Check[Any]] = getattr(module, CHECK_TYPES[type_name])
    # the key, the module and the class's own `type` must agree, or results would be misnamed
    assert cls.type == type_name, f"{cls.__qualname__}.type is {cls.type!r}, not {type_name!r}"
    return cls


def check_for(model: CheckModel) -> Check[Any]:
    """The runnable check for an inventory check entry; imports `failover.checks.<type>` lazily.

    Raises ValueError when the type is unknown, or when the entry cannot be probed as written
    (an unusable URL, an unreadable `ca_file`): bad configuration, never a failed host.
    """
    return check_class(model.type)(model)
