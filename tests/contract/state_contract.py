"""The StateBackend / Lock contract (failover/state/base.py), written once; each back-end binds
it (tests/contract/test_state_backends.py): local files today, a coordination service next.

A binding gives `backend()`: a new backend on the same store each call (as two commands, or two
checkers, see it), and `take_over(lock)`: makes another holder take `lock` over behind its back,
as when a lease expires while its holder is paused (etcd), or a forged takeover (local files).
"""

from __future__ import annotations

import pytest

from failover.errors import LockHeld, StateConflict
from failover.model.state import State
from failover.state.base import Lock, StateBackend


class StateBackendContract:
    def backend(self) -> StateBackend:
        raise NotImplementedError

    def take_over(self, lock: Lock) -> None:
        raise NotImplementedError

    def test_a_fresh_store_reads_a_fresh_state(self) -> None:
        assert self.backend().load() == State()

    def test_save_then_read_round_trips_with_the_version_it_returned(self) -> None:
        store = self.backend()
        version = store.save(State(active="standby"))
        got = self.backend().read()
        assert got.state.active == "standby"
        assert got.version == version

    def test_save_is_idempotent(self) -> None:
        store = self.backend()
        store.save(State(active="a"))
        store.save(State(active="a"))
        assert store.load() == State(active="a")

    def test_compare_and_set_refuses_a_write_that_would_lose_another(self) -> None:
        mine, theirs = self.backend(), self.backend()
        seen = mine.read()
        theirs.save(State(active="theirs"))
        with pytest.raises(StateConflict, match="nothing was saved"):
            mine.save(State(active="mine"), expect=seen.version)
        assert self.backend().load().active == "theirs"
        mine.save(State(active="mine"), expect=mine.read().version)
        assert self.backend().load().active == "mine"

    def test_the_lock_is_exclusive_and_names_the_wait_option(self) -> None:
        with (self.backend().lock(wait=0), pytest.raises(LockHeld, match="--wait"),
              self.backend().lock(wait=0.2)):
            pass
        with self.backend().lock(wait=0):  # released on exit
            pass

    def test_the_lock_is_released_when_the_block_raises(self) -> None:
        store = self.backend()
        with pytest.raises(RuntimeError), store.lock(wait=0):
            raise RuntimeError("boom")
        assert store.held is None
        with self.backend().lock(wait=0):
            pass

    def test_every_acquisition_hands_out_a_greater_fencing_token(self) -> None:
        tokens = []
        for _ in range(3):
            with self.backend().lock(wait=0) as lock:
                tokens.append(lock.token)
                assert lock.current_token() == lock.token
        assert tokens == sorted(set(tokens))

    def test_a_save_under_a_lock_taken_over_is_refused(self) -> None:
        store = self.backend()
        store.save(State(active="before"))
        with store.lock(wait=0) as lock:
            assert store.held is lock
            store.save(State(active="held"))  # the lock is ours: fenced and written
            self.take_over(lock)
            with pytest.raises(StateConflict, match="taken over"):
                store.save(State(active="stale"))
        assert self.backend().load().active == "held"
        assert store.held is None
