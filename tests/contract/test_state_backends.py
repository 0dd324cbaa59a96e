"""The StateBackend contract bound to every backend: local files (state.json + flock), and one
service's part of a site's state (state/services.py). etcd binds it in
tests/integration/test_coord_etcd.py (TestEtcd), beside the cluster it needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from failover.state.base import Lock, StateBackend
from failover.state.local import LocalStateBackend
from failover.state.lock import FileLock
from failover.state.services import ServiceStateBackend
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


class TestServicePart(StateBackendContract):
    """A second service's state inside the site's local files: the same contract, and the site's
    lock and fence under it (one acting run at a time, whichever service it moves)."""

    @pytest.fixture(autouse=True)
    def _bind(self, tmp_path: Path) -> None:
        self.dir = tmp_path / ".failover"

    def backend(self) -> StateBackend:
        return ServiceStateBackend(LocalStateBackend(self.dir), "mail", first=False)

    def take_over(self, lock: Lock) -> None:
        assert isinstance(lock, FileLock)
        lock.path.write_text(f"1 {lock.token + 1}\n")


def test_every_backend_is_bound_to_the_contract() -> None:
    from failover.coord.backend import EtcdStateBackend
    from failover.state.base import StateBackend as Base
    from tests.integration.test_coord_etcd import TestEtcd

    bound = {TestLocalFiles: LocalStateBackend, TestServicePart: ServiceStateBackend,
             TestEtcd: EtcdStateBackend}
    assert all(issubclass(test, StateBackendContract) for test in bound)
    assert set(bound.values()) == set(Base.__subclasses__())
