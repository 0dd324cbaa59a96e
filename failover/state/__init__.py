"""State: the StateBackend / Lock contract (base.py) and its local-file implementation (local.py:
state.json atomic and 0600, the flock), the audit log, page marks and file primitives.

`open_state(inventory)` is the one place a backend is chosen: local files today; the
`coordination:` section (DESIGN.md, etcd) picks its backend here, and no caller changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from failover.model.inventory import Inventory
    from failover.state.base import StateBackend


def open_state(inventory: Inventory) -> StateBackend:
    """The state backend of `inventory`'s site (one per command: it tracks the lock it holds)."""
    if inventory.coordination is not None:  # several checkers: state and leadership in etcd
        from failover.coord.backend import EtcdStateBackend
        from failover.coord.session import Session

        return EtcdStateBackend(Session(inventory.coordination, inventory.site))
    from failover.state.local import LocalStateBackend

    return LocalStateBackend(inventory.state_dir)
