"""The sync set contract (sync/base.py) as the Mirror hands it out, and the rollback decision
(sync/rollback.py) up to where a host would be asked: pure checks, no host."""

from __future__ import annotations

from pathlib import Path

import pytest

from failover.errors import UsageError
from failover.state import open_state
from failover.state.audit import AuditLog
from failover.sync.base import MirroredSet
from failover.sync.files import FileSet
from failover.sync.mirror import Mirror
from failover.sync.rollback import roll_back
from tests.unit.test_sync_plan import inventory


def test_every_set_is_handed_out_under_the_contract(tmp_path: Path) -> None:
    mirror = Mirror(inventory(tmp_path))
    found = mirror.set("web")
    assert isinstance(found, MirroredSet)
    assert isinstance(found, FileSet)
    assert found.host_path("a") == "/srv/web/"
    with pytest.raises(UsageError, match=r"unknown sync set 'nope'; sync sets: web, media"):
        mirror.set("nope")


def test_a_plain_set_keeps_and_rolls_back_on_a_host_it_can_reach(tmp_path: Path) -> None:
    plain = Mirror(inventory(tmp_path)).set("web")  # kept copies (sync/kept.py), over ssh
    with pytest.raises(UsageError, match="host b has no ssh settings"):
        plain.rollback("b", dry_run=True)
    with pytest.raises(UsageError, match="host b has no ssh settings"):
        plain.keep("b")
    atomic = Mirror(inventory(tmp_path, atomic=True)).set("web")
    assert atomic.keep("b") == ""  # its releases are kept on every push anyway


def test_rollback_checks_everything_before_it_asks(tmp_path: Path) -> None:
    inv = inventory(tmp_path, atomic=True)
    store, audit = open_state(inv), AuditLog(inv.state_dir)
    asked: list[str] = []

    def go(set_name: str, host: str | None, *, dry_run: bool) -> object:
        return roll_back(inv, store, audit, set_name, host, dry_run=dry_run,
                         confirm=asked.append, wait=1)

    with pytest.raises(UsageError, match="--rollback needs --host HOST"):
        go("web", None, dry_run=False)
    with pytest.raises(UsageError, match="unknown sync set 'nope'"):
        go("nope", "b", dry_run=False)
    with pytest.raises(UsageError, match="host b has no ssh settings"):
        go("media", "b", dry_run=False)  # a plain set: its kept copy
    with pytest.raises(UsageError, match="host b has no ssh settings"):
        go("web", "b", dry_run=False)
    assert asked == []
    assert not audit.path.exists()
