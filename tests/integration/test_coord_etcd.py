"""The etcd back-end (failover/coord/) against a real 3-member etcd cluster on loopback:
leadership and its fencing token, fenced state and journal writes, endpoint rotation, a
cluster that lost its quorum."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from failover.coord.backend import EtcdStateBackend, Leadership
from failover.coord.etcd import EtcdUnavailable
from failover.coord.session import Session
from failover.errors import LockHeld, StateConflict
from failover.model.coordination import Coordination
from failover.model.state import State
from failover.state.base import Lock, StateBackend
from tests.contract.state_contract import StateBackendContract
from tests.rig.etcd import EtcdCluster

OPEN: list[Session] = []


@pytest.fixture(autouse=True)
def _close_sessions() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close(revoke=True)


def backend(etcd: EtcdCluster, checker: str, prefix: str, **etcd_keys: object
            ) -> EtcdStateBackend:
    coordination = Coordination.parse({
        "etcd": {"endpoints": etcd.endpoints, "prefix": prefix, "lease_ttl": 2, **etcd_keys},
        "checker": checker})
    OPEN.append(Session(coordination, "shop.test"))
    return EtcdStateBackend(OPEN[-1])


def test_one_leader_at_a_time_and_the_token_grows(etcd: EtcdCluster) -> None:
    a, b = backend(etcd, "a", "/t1/"), backend(etcd, "b", "/t1/")
    with a.lock(0) as held:
        first = held.token
        assert first > 0
        assert a.other_run_live() is False
        assert b.other_run_live() is True
        with pytest.raises(LockHeld, match="checker a leads"):
            b.lock(0.3).__enter__()
        a.save(State(active="standby"))
    with b.lock(0) as held:
        assert held.token > first
    assert a.load().active == "standby"


def test_a_leader_that_lost_its_lease_writes_nothing(etcd: EtcdCluster) -> None:
    a, b = backend(etcd, "a", "/t2/"), backend(etcd, "b", "/t2/")
    lock = a.lock(0)
    lock.__enter__()
    a.save(State(active="primary"))
    a.session.client.revoke(a.session.lease)  # what etcd does when a paused leader's TTL runs out
    with b.lock(0):
        b.save(State(active="standby"))
        with pytest.raises(StateConflict, match="taken over"):
            a.save(State(active="primary"))
        with pytest.raises(StateConflict, match="taken over"):
            a.save_journal("20261201T000000Z-abcd", '{"id": "x"}')
    lock.__exit__(None, None, None)  # must not delete b's key
    assert a.load().active == "standby"
    assert b.newest_journal() is None


def test_a_leader_that_could_not_renew_stops_before_asking(etcd: EtcdCluster) -> None:
    a = backend(etcd, "a", "/t3/")
    with a.lock(0):
        a.session.renewed -= 10  # no renewal confirmed for longer than lease_ttl
        with pytest.raises(StateConflict, match="not renewed"):
            a.save(State(active="standby"))


def test_expect_refuses_a_lost_update(etcd: EtcdCluster) -> None:
    a = backend(etcd, "a", "/t4/")
    version = a.read().version
    a.save(State(active="primary"))
    with pytest.raises(StateConflict):
        a.save(State(active="standby"), expect=version)


def test_a_dead_member_is_skipped_and_two_dead_stop_everything(etcd: EtcdCluster) -> None:
    a = backend(etcd, "a", "/t5/", timeout=2)
    etcd.kill(0)
    try:
        a.save(State(active="primary"))  # the first endpoint is dead: rotated to the next
        assert a.load().active == "primary"
        etcd.kill(1)
        try:
            with pytest.raises(EtcdUnavailable, match="no member answered"):
                a.save(State(active="standby"))
        finally:
            etcd.revive(1)
    finally:
        etcd.revive(0)
    # (a write that timed out may still be applied once the quorum is back: etcd had it in its
    # log. What makes that safe is the fence: a stale leader's txn fails its compare then.)
    assert backend(etcd, "b", "/t5/").load().active in ("primary", "standby")


def test_unreachable_etcd_is_unavailable(tmp_path: Path) -> None:
    coordination = Coordination.parse({"etcd": {"endpoints": ["http://127.0.0.1:9"],
                                                "timeout": 1}, "checker": "x"})
    with pytest.raises(EtcdUnavailable):
        EtcdStateBackend(Session(coordination, "shop.test")).load()
    assert os.getpid()


class TestEtcd(StateBackendContract):
    """The StateBackend contract (tests/contract/state_contract.py) bound to etcd."""

    prefixes = iter(range(1000))

    @pytest.fixture(autouse=True)
    def _bind(self, etcd: EtcdCluster) -> None:
        self.etcd = etcd
        self.prefix = f"/contract{next(self.prefixes)}/"

    def backend(self) -> StateBackend:
        return backend(self.etcd, f"checker{len(OPEN)}", self.prefix)

    def take_over(self, lock: Lock) -> None:
        # the holder's lease runs out (it was paused), and another checker leads
        assert isinstance(lock, Leadership)
        lock.session.client.revoke(lock.session.lease)
        successor = self.backend().lock(0)
        successor.__enter__()
