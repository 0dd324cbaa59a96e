"""Shared pytest fixtures: the real-server rig (tests/rig, RECIPE in /work/shared/rig)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent
if str(REPO) not in sys.path:  # `import tests.rig` also under a bare `pytest` executable
    sys.path.insert(0, str(REPO))

from tests.rig import Rig, RigError  # noqa: E402
from tests.rig.dnsservers import DnsServers  # noqa: E402

log = logging.getLogger(__name__)


@pytest.fixture(scope="session")
def rig() -> Iterator[Rig]:
    """One rig per session: namespaces primary/standby (sshd + HTTP) and PowerDNS.

    Set RIG_KEEP=1 to keep the rig dir (configs, logs) after the session.
    """
    if os.geteuid() != 0:
        pytest.fail("the rig needs root (network namespaces)", pytrace=False)
    offset = int(os.environ.get("FAILOVER_RIG_PORT_OFFSET", "0"))  # parallel rigs side by side
    r = Rig(
        keep_dir=os.environ.get("RIG_KEEP") == "1",
        net=os.environ.get("FAILOVER_RIG_NET", "10.203.0"),
        prefix=os.environ.get("FAILOVER_RIG_PREFIX", "rig"),
        pdns_dns_port=5353 + offset,
        pdns_api_port=8081 + offset,
    )
    try:
        r.start()
    except RigError as exc:
        pytest.fail(f"rig did not start:\n{exc}", pytrace=False)
    log.info("rig up in %.2fs at %s", r.timings["start"], r.dir)
    try:
        yield r
    finally:
        r.stop()


@pytest.fixture(scope="session")
def dns_servers() -> Iterator[DnsServers]:
    """BIND (RFC 2136 + TSIG), moto (Route 53 API) and a second PowerDNS, on loopback."""
    servers = DnsServers(port_offset=int(os.environ.get("FAILOVER_RIG_PORT_OFFSET", "0")))
    try:
        servers.start()
    except RigError as exc:
        pytest.fail(f"DNS servers did not start:\n{exc}", pytrace=False)
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture
def host_reset(rig: Rig) -> Iterator[Rig]:
    """The rig; after the test: links up, http/sshd running, original host keys, pdns up."""
    yield rig
    for h in rig.hosts.values():
        h.reset()
    if not rig.pdns.running():
        rig.pdns.start()
