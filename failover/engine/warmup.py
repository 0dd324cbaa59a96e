"""Getting ready for a failover that the round under way may decide, while it waits.

A round that can make the active host down (it has failed `failure_threshold - 1` rounds in a
row) spends most of its time waiting for that host's probes to time out. Meanwhile a thread
imports what a playbook run needs and opens an ssh connection (openssh.SshMaster) to each
standby, so the run that follows does not pay for them between "declared down" and "DNS
flipped": its sync step rides the connection to its target (RunContext.ssh_masters).

Nothing is decided or trusted because of it: the policy decides after the round as always, the
standby still passes its checks in the run before DNS moves, host keys are checked on that
connection as on any other, and nothing is written anywhere. Connections no run takes are
closed after the round.
"""

from __future__ import annotations

import importlib
import logging
import threading
from typing import TYPE_CHECKING

from failover.errors import FailoverError
from failover.model.inventory import Inventory
from failover.model.state import HostState, State

if TYPE_CHECKING:
    from failover.remote.openssh import SshMaster

log = logging.getLogger(__name__)

# what a failover run imports on its way to the DNS flip (imported once per process)
_MODULES = ("failover.engine.runner", "failover.sync.mirror", "failover.remote.openssh",
            "failover.dns.flip")


class WarmUp:
    """A thread that imports the run's modules and opens ssh connections to `hosts`."""

    def __init__(self, inventory: Inventory, hosts: list[str]) -> None:
        self._masters: dict[str, SshMaster] = {}
        self._thread = threading.Thread(target=self._run, args=(inventory, hosts),
                                        name="failover-warmup", daemon=True)
        self._thread.start()

    def _run(self, inventory: Inventory, hosts: list[str]) -> None:
        for name in _MODULES:
            importlib.import_module(name)
        from failover.remote.openssh import SshMaster
        from failover.remote.ssh import ssh_target

        for host in hosts:
            try:
                self._masters[host] = SshMaster(ssh_target(inventory, host))
                log.info("warm-up: host=%s ssh=connecting", host)
            except FailoverError as e:  # the run meets it again and says so
                log.info("warm-up: host=%s ssh=failed error=%s", host, e)

    def take(self, host: str | None) -> dict[str, SshMaster]:
        """The connection to `host` (for the run, which closes it); the others are closed."""
        self._thread.join()
        masters, self._masters = self._masters, {}
        for name, master in masters.items():
            if name != host:
                master.close()
            log.info("warm-up: host=%s ssh=%s", name, "handed to the run" if name == host
                     else "closed (no run for it)")
        return {name: m for name, m in masters.items() if name == host}

    def close(self) -> None:
        self.take(None)


def start(inventory: Inventory, state: State) -> WarmUp | None:
    """A WarmUp when this round can decide an automatic failover, else None."""
    active = state.active
    policy = inventory.policy
    me = state.hosts.get(active or "", HostState())
    if active is None or not policy.auto_failover or not inventory.sync or me.down or \
            me.fail + 1 < policy.failure_threshold:
        return None
    standbys = [h for h, host in inventory.hosts.items() if h != active and host.ssh]
    return WarmUp(inventory, standbys) if standbys else None
