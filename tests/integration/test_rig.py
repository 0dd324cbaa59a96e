"""Checks of the test rig itself (tests/rig): ssh, link down, http, PowerDNS."""

from __future__ import annotations

import os
import socket
import subprocess

import pytest

from tests.rig import HOSTS, Rig, RigError
from tests.rig.netns import Network, link_exists


def _connect(address: str, port: int, timeout: float) -> str:
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return "connected"
    except TimeoutError:
        return "timeout"
    except ConnectionRefusedError:
        return "refused"


@pytest.mark.parametrize("name", ["primary", "standby"])
def test_ssh_login_with_strict_known_hosts(rig: Rig, name: str) -> None:
    h = rig.hosts[name]
    cp = h.ssh(["echo", "hello"])
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout == "hello\n"
    assert f"{h.address} {h.host_key_pub}" in rig.known_hosts.read_text()


def test_ssh_unknown_host_is_rejected(rig: Rig) -> None:
    empty = rig.dir / "empty_known_hosts"
    empty.write_text("")
    cp = rig.primary.ssh(["true"], known_hosts=empty)
    assert cp.returncode == 255
    assert "Host key verification failed" in cp.stderr


def test_wrong_host_key_is_rejected(host_reset: Rig) -> None:
    rig = host_reset
    with rig.primary.wrong_host_key():
        argv = [
            "ssh",
            *rig.ssh_options(),
            "-o",
            "StrictHostKeyChecking=yes",
            f"root@{rig.primary.address}",
            "true",
        ]
        cp = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        assert cp.returncode == 255
        assert "Host key verification failed" in cp.stderr
    assert rig.primary.ssh(["true"]).returncode == 0


def test_link_down_makes_connect_time_out(host_reset: Rig) -> None:
    p, s = host_reset.primary, host_reset.standby
    p.link_down()
    assert _connect(p.address, 80, 1.0) == "timeout"
    assert _connect(s.address, 80, 2.0) == "connected"
    p.link_up()
    assert _connect(p.address, 80, 2.0) == "connected"


def test_http_serves_webroot_and_health(host_reset: Rig) -> None:
    p = host_reset.primary
    (p.webroot / "hello.txt").write_text("hi\n")
    assert p.get("/hello.txt") == (200, b"hi\n")
    assert p.get("/health") == (200, b"ok\n")
    p.stop_http()
    assert _connect(p.address, 80, 2.0) == "refused"
    p.start_http()
    assert p.get("/health")[0] == 200


def test_ipv6_on_the_link_per_rig_and_its_switches(host_reset: Rig) -> None:
    """Issue 20: each host has a ULA address of the rig's own /64 (derived from its /24, so rigs
    side by side differ) where HTTP and SSH answer; the switches take IPv6 away one way each."""
    from tests.rig.netns import ula_prefix

    p, s = host_reset.primary, host_reset.standby
    assert ula_prefix("10.203.0") != ula_prefix("10.203.2")
    assert (p.address6, s.address6) == (ula_prefix(host_reset.network.net) + ":11",
                                         ula_prefix(host_reset.network.net) + ":12")
    assert p.address6.startswith("fd")  # unique local, never a global address
    for h in (p, s):
        assert h.http.get("/health")[0] == 200
        assert _connect(h.address6, 80, 2.0) == _connect(h.address6, 22, 2.0) == "connected"
    with s.http_ipv4_only():
        assert _connect(s.address6, 80, 2.0) == "refused"
        assert _connect(s.address, 80, 2.0) == "connected"
    with p.remove_address6():
        assert _connect(p.address6, 80, 1.0) == "timeout"
        assert _connect(p.address, 80, 2.0) == "connected"
    assert _connect(p.address6, 80, 2.0) == _connect(s.address6, 80, 2.0) == "connected"


def test_pdns_create_zone_and_query(rig: Rig) -> None:
    ip1, ip2 = rig.primary.address, rig.standby.address
    rig.pdns.create_zone("shop.test.", {("@", "A"): (60, [ip1]), ("www", "A"): (60, [ip1])})
    try:
        assert rig.pdns.query("www.shop.test.", "A") == [ip1]
        assert rig.pdns.query("shop.test.", "A") == [ip1]
        assert rig.pdns.query("shop.test.", "NS") == ["ns1.shop.test."]
        rig.pdns.set_records("shop.test.", {("www", "A"): (60, [ip2])})
        assert rig.pdns.query("www.shop.test.", "A") == [ip2]
        assert rig.pdns.query("nope.shop.test.", "A") == []
    finally:
        rig.pdns.delete_zone("shop.test.")
    assert rig.pdns.query("www.shop.test.", "A") == []


def _spare_network(rig: Rig) -> Network:
    """A second rig network beside the session's: its prefix + "x", the next /24."""
    a, b, c = rig.network.net.split(".")
    return Network(f"{rig.network.prefix}x", f"{a}.{b}.{(int(c) + 1) % 256}", HOSTS)


def test_a_dead_rigs_leftovers_are_swept_and_a_live_rig_is_named(rig: Rig) -> None:
    """What CI met: names of a rig that is gone are removed; a running rig's are left alone."""
    spare = _spare_network(rig)
    subprocess.run(["ip", "link", "add", spare.bridge, "type", "bridge"], check=True)
    subprocess.run(["ip", "netns", "add", spare.hosts["primary"].namespace], check=True)
    assert spare.leftovers() != []
    spare.create()  # nobody holds the owner lock: the leftovers are a crashed run's
    try:
        assert link_exists(spare.bridge)
        assert spare.hosts["standby"].link_is_up()
        other = _spare_network(rig)
        with pytest.raises(RigError, match=rf"rig network '{spare.prefix}' belongs to a rig "
                                           rf"that is running \(pid {os.getpid()}\)"):
            other.create()
        assert link_exists(spare.bridge)  # the live rig's names are untouched
    finally:
        spare.destroy()
    assert spare.leftovers() == []
