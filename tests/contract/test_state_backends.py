"""The StateBackend contract bound to every backend: local files (state.json + flock)."""

from __future__ import annotations

from pathlib import Path

import pytest

from failover.state.base import Lock, StateBackend
from failover.state.local import LocalStateBackend
from failover.state.lock import FileLock
from tests.contract.state_contract import StateBackendContract


class TestLocalFiles(StateBackendContract):
    @pytest.fixture(autouse=True)
    def _bind(self, tmp_path: Path) -> None:
        self.dir = tmp_path / ".failover"

    def backend(self) -> StateBackend:
        return LocalStateBackend(self.dir)

    def take_over(self, lock: Lock) -> None:
        # an flock cannot be lost while its holder lives: forge what a newer holder would write
        assert isinstance(lock, FileLock)
        lock.path.write_text(f"1 {lock.token + 1}\n")

    def test_files_are_0600_and_no_temp_file_is_left(self) -> None:
        store = LocalStateBackend(self.dir)
        with store.lock(wait=0):
            store.save(store.load())
        assert sorted(p.name for p in self.dir.iterdir()) == ["lock", "state.json"]
        assert {p.stat().st_mode & 0o777 for p in self.dir.iterdir()} == {0o600}

    def test_a_lock_file_from_before_tokens_still_works(self) -> None:
        self.dir.mkdir()
        (self.dir / "lock").write_text("4242")
        with LocalStateBackend(self.dir).lock(wait=0) as lock:
            assert lock.token == 1
