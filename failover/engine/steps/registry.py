"""The playbook's action keys -> their Action: the explicit list of what a step can do.

Registry key = module name = the key a playbook step uses (`dns_ttl:` is engine/steps/dns_ttl.py).
model/playbook.py holds the matching parameter models; a new action adds one module here, one
line below and its model there. Each module imports its heavy dependencies (paramiko,
dnspython, the sync machinery) when a step runs, so loading the registry stays cheap.
"""

from __future__ import annotations

from typing import Any

from failover.engine.steps.base import Action
from failover.engine.steps.check import CheckStep
from failover.engine.steps.dns import DnsStep
from failover.engine.steps.dns_ttl import DnsTtlStep
from failover.engine.steps.dns_verify import DnsVerifyStep
from failover.engine.steps.fence import FenceStep
from failover.engine.steps.notify import NotifyStep
from failover.engine.steps.pipe import PipeStep
from failover.engine.steps.ssh import SshStep
from failover.engine.steps.sync import SyncStep
from failover.engine.steps.webhook import WebhookStep

ACTIONS: dict[str, Action[Any, Any]] = {action.key: action for action in (
    CheckStep(), SyncStep(), SshStep(), DnsStep(), DnsVerifyStep(), WebhookStep(), NotifyStep(),
    PipeStep(), DnsTtlStep(), FenceStep(),
)}


def action_for(key: str) -> Action[Any, Any]:
    """The Action of a playbook key. The playbook model admits only the keys above
    (model/playbook.ACTIONS), so a KeyError here is a bug: the two lists disagree."""
    return ACTIONS[key]
