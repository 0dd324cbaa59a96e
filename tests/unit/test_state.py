"""state/: atomic 0600 state file, clear errors on a bad one, secrets masked, the lock."""

from __future__ import annotations

import json
import multiprocessing
import stat
from pathlib import Path
from typing import Any

import pytest

from failover.errors import ConfigError, LockHeld
from failover.model.state import State
from failover.model.types import Secret
from failover.state.audit import AuditLog
from failover.state.files import dumps
from failover.state.local import LocalStateBackend
from failover.state.lock import FileLock


def test_state_round_trips_and_is_0600(tmp_path: Path) -> None:
    store = LocalStateBackend(tmp_path / ".failover")
    assert store.load() == State()
    store.save(State(active="standby"))
    assert store.load().active == "standby"
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert [p.name for p in store.dir.iterdir()] == ["state.json"]  # no temp files left


def test_corrupt_state_file_is_a_clear_error(tmp_path: Path) -> None:
    store = LocalStateBackend(tmp_path)
    store.path.write_text('{"active": ')
    with pytest.raises(ConfigError, match=r"state.json:1:\d+ is not valid JSON"):
        store.load()
    store.path.write_text('{"active": "a", "hosts": {"a": {"fail": -1}}}')
    with pytest.raises(ConfigError, match=r"hosts.a.fail: must be 0 or more, got -1"):
        store.load()


def test_audit_lines_mask_secrets_and_say_who(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path)
    audit.write("dns_change", api_key=Secret("hunter2"), zones=["shop.test."])
    text = audit.path.read_text()
    assert "hunter2" not in text
    line = json.loads(text)
    assert line["api_key"] == "***"
    assert line["event"] == "dns_change"
    assert "@" in line["who"]
    assert stat.S_IMODE(audit.path.stat().st_mode) == 0o600
    assert "hunter2" not in dumps({"k": [Secret("hunter2")]})


def _hold(path: str, held: Any, release: Any) -> None:
    with FileLock(Path(path), wait=0):
        held.set()
        release.wait(60)


def test_lock_is_exclusive_across_processes_while_its_holder_lives(tmp_path: Path) -> None:
    """Events, not sleeps: the holder says when it holds the lock and waits to be told to let
    go; the lock is refused all that time, and free once the holder has let go, or died."""
    path = tmp_path / "lock"
    ctx = multiprocessing.get_context("fork")
    for ending in ("release", "kill"):
        held, release = ctx.Event(), ctx.Event()
        holder = ctx.Process(target=_hold, args=(str(path), held, release))
        holder.start()
        assert held.wait(30), "the holder never took the lock"
        with pytest.raises(LockHeld, match=rf"pid {holder.pid}\b.*--wait"), \
                FileLock(path, wait=0):
            pass
        assert holder.is_alive()  # refused because it holds the lock, not because it ended
        if ending == "release":
            release.set()
        else:
            holder.kill()  # SIGKILL: no cleanup; the kernel drops the flock
        holder.join(30)
        with FileLock(path, wait=0):  # free at once, no waiting
            pass


def test_a_state_file_that_is_not_text_is_a_clear_error(tmp_path: Path) -> None:
    store = LocalStateBackend(tmp_path)
    store.path.write_bytes(b'{"active": "\xff"}')
    with pytest.raises(ConfigError, match=r"state.json is not UTF-8 text .*move it aside"):
        store.load()
