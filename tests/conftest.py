"""Shared pytest fixtures: the real-server rig (tests/rig, RECIPE in /work/shared/rig)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent
if str(REPO) not in sys.path:  # `import tests.rig` also under a bare `pytest` executable
    sys.path.insert(0, str(REPO))



def _worker_identity() -> None:
    """Under `pytest -n N` (make test) each worker is a session with a rig of its own: worker
    gwK > 0 takes the base identity (FAILOVER_RIG_*, tests/rig: Rig.from_env) moved by K: prefix
    + K, the /24 two further per worker (the rig's own tests make a spare network on the next
    one), loopback ports 10 further."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    k = int(worker.removeprefix("gw") or 0)
    if k == 0:
        return
    a, b, c = os.environ.get("FAILOVER_RIG_NET", "10.203.0").split(".")
    os.environ["FAILOVER_RIG_PREFIX"] = os.environ.get("FAILOVER_RIG_PREFIX", "rig") + str(k)
    os.environ["FAILOVER_RIG_NET"] = f"{a}.{b}.{int(c) + 2 * k}"
    os.environ["FAILOVER_RIG_PORT_OFFSET"] = str(
        int(os.environ.get("FAILOVER_RIG_PORT_OFFSET", "0")) + 10 * k)


_worker_identity()

from tests.rig import Rig, RigError, port_offset  # noqa: E402
from tests.rig.dnsservers import DnsServers  # noqa: E402
from tests.rig.etcd import EtcdCluster  # noqa: E402

pytest_plugins = ["tests.faults.table"]  # the fault matrix's table (make faults, make test)

log = logging.getLogger(__name__)

# The files whose tests take longest (`make test` prints the slowest 25), longest first. Under
# --dist loadfile each worker is handed whole files in collection order; these go out first, so
# that no worker starts one of them while the others are finishing.
SLOW_FIRST = ("tests/scenarios/test_database_sync.py", "tests/scenarios/test_database_big.py",
              "tests/scenarios/test_docs_run.py", "tests/scenarios/test_report.py",
              "tests/scenarios/test_coordination.py", "tests/scenarios/test_secrets.py",
              "tests/scenarios/test_failover.py", "tests/scenarios/test_dry_run.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: i for i, path in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable


@contextmanager
def running(what: str, start: Callable[[], object], stop: Callable[[], object]) -> Iterator[None]:
    """Servers a session fixture starts: a start that fails fails the test with its message
    (no traceback), and they are stopped after it."""
    try:
        start()
    except RigError as exc:
        pytest.fail(f"{what} did not start:\n{exc}", pytrace=False)
    try:
        yield
    finally:
        stop()


@pytest.fixture(scope="session")
def rig() -> Iterator[Rig]:
    """One rig per session: namespaces primary/standby (sshd + HTTP) and PowerDNS.

    Set RIG_KEEP=1 to keep the rig dir (configs, logs) after the session.
    """
    if os.geteuid() != 0:
        pytest.fail("the rig needs root (network namespaces)", pytrace=False)
    r = Rig.from_env(keep_dir=os.environ.get("RIG_KEEP") == "1")
    with running("rig", r.start, r.stop):
        log.info("rig up in %.2fs at %s", r.timings["start"], r.dir)
        yield r


@pytest.fixture(scope="session")
def dns_servers() -> Iterator[DnsServers]:
    """BIND (RFC 2136 + TSIG), moto (Route 53 API) and a second PowerDNS, on loopback."""
    servers = DnsServers(port_offset=port_offset())
    with running("DNS servers", servers.start, servers.stop):
        yield servers


@pytest.fixture(scope="session")
def databases(rig: Rig) -> Iterator[Rig]:
    """The rig with MariaDB and PostgreSQL running on primary and standby (tests/rig/databases.py):
    ``databases.primary.mariadb``, ``databases.standby.postgres``... stopped after the session."""
    with running("database servers", rig.start_databases, rig.stop_databases):
        yield rig


@pytest.fixture(scope="module")
def etcd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtcdCluster]:
    """A 3-member etcd cluster on loopback (tests/rig/etcd.py), one per test module."""
    cluster = EtcdCluster(tmp_path_factory.mktemp("etcd") / "cluster", port_offset())

    def start() -> None:
        try:
            cluster.start()
        except RigError:
            cluster.stop()  # the members that did start
            raise

    with running("etcd", start, cluster.stop):
        yield cluster


@pytest.fixture
def host_reset(rig: Rig) -> Iterator[Rig]:
    """The rig; after the test: links up, http/sshd running, original host keys, pdns up."""
    yield rig
    for h in rig.hosts.values():
        h.reset()
    if not rig.pdns.running():
        rig.pdns.start()
