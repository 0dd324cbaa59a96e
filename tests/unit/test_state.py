"""state/: atomic 0600 state file, clear errors on a bad one, secrets masked, the lock."""

from __future__ import annotations

import json
import multiprocessing
import stat
import time
from pathlib import Path

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


def _hold(path: str, seconds: float) -> None:
    with FileLock(Path(path), wait=0):
        time.sleep(seconds)


def test_lock_is_exclusive_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "lock"
    holder = multiprocessing.get_context("fork").Process(target=_hold, args=(str(path), 2.0))
    holder.start()
    deadline = time.monotonic() + 5
    while not path.exists() or not path.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    with pytest.raises(LockHeld, match=r"pid \d+.*--wait"), FileLock(path, wait=0.2):
        pass
    with FileLock(path, wait=10):  # waits for the holder to finish
        pass
    holder.join()


def test_a_state_file_that_is_not_text_is_a_clear_error(tmp_path: Path) -> None:
    store = LocalStateBackend(tmp_path)
    store.path.write_bytes(b'{"active": "\xff"}')
    with pytest.raises(ConfigError, match=r"state.json is not UTF-8 text .*move it aside"):
        store.load()
