"""`type: ssh`: the host's sshd completes a handshake with the known host key and a key login.

Implementation notes:
- Reuses failover.remote.ssh (paramiko, `RejectPolicy` with the inventory's `ssh.known_hosts`,
  the host's `ssh.identity`, no agent). paramiko blocks, so each probe runs in a worker thread;
  its own timeouts are set to the check's timeout, so a thread never outlives the round by much.
  The threads come from a pool of their own (up to 64), not the loop's default one (cpus + 4):
  a probe waiting in a queue for a thread would spend its timeout there and fail a healthy host.
- This module is imported only when an inventory has ssh or command checks, which keeps
  paramiko out of plain http/tcp rounds.
- An unknown or changed host key is a failed check here (the detail says so); the run-stopping
  `HostKeyMismatch` belongs to playbooks, which change things on the host.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal

from failover.checks.base import Check, NoAnswer, ProbeFailed
from failover.errors import FailoverError, HostUnreachable, UsageError
from failover.model.inventory import CheckBase, Host, Inventory

if TYPE_CHECKING:
    from failover.remote.ssh import SshTarget

log = logging.getLogger(__name__)

# -- settings (checks[] with `type: ssh`) ----------------------------------------------------------

class SshCheck(CheckBase):
    """SSH handshake with the host key from `ssh.known_hosts`, and key login (hosts.*.ssh)."""

    type: Literal["ssh"]


# -- probe --------------------------------------------------------------------------------

SSH_THREADS = 64  # SSH probes in flight at once; more wait for a thread (and their timeout runs)


@functools.cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=SSH_THREADS, thread_name_prefix="ssh-check")


class SshBound(Check[Any]):
    """Base of the checks that log in over SSH: resolves each host's SshTarget when bound."""

    targets: dict[str, SshTarget]

    def bind(self, inventory: Inventory) -> None:
        from failover.remote.ssh import require_identity, ssh_target

        self.targets = {}
        for name in inventory.hosts:
            try:
                target = ssh_target(inventory, name)
                require_identity(target)
            except UsageError as exc:
                raise ValueError(str(exc)) from None
            self.targets[name] = target

    async def probe(self, host_name: str, host: Host) -> str:
        from dataclasses import replace

        target = self.targets[host_name]
        if host.address != target.address:  # over IPv6 (checks/family.py)
            target = replace(target, address=host.address)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(_pool(), self.blocking_probe, target)
        except HostUnreachable as exc:  # refused, no answer: nothing ran
            raise NoAnswer(str(exc)) from None
        except FailoverError as exc:  # HostKeyMismatch, SyncError: the host failed the check
            raise ProbeFailed(str(exc)) from None

    def blocking_probe(self, target: SshTarget) -> str:
        raise NotImplementedError

    async def _probe(self, host: Host) -> str:  # pragma: no cover - probe() is the entry
        raise NotImplementedError


class SshProbe(SshBound):
    """Handshake, host key verified against known_hosts, key login; nothing is run."""

    type = "ssh"
    model: SshCheck

    def blocking_probe(self, target: SshTarget) -> str:
        from dataclasses import replace

        from failover.remote.ssh import verify_host_key

        verify_host_key(replace(target, connect_timeout=min(target.connect_timeout,
                                                             self.timeout)))
        return "host key ok, login ok"
