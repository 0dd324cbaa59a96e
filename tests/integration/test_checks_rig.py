"""Health checks against the rig's real hosts: namespaces with HTTP on :80 and sshd on :22.

What loopback cannot show: a host whose link is down (connects time out, they are not refused),
and a round where one host is down while the other answers, checked by address with a URL name
that resolves nowhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from failover.checks import run_round
from failover.engine.monitor import ssh_unanswered
from failover.model.inventory import Inventory
from tests.rig import Rig

PAGE = "<html><body><button>Add to cart</button></body></html>\n"


def make_inventory(rig: Rig, tmp_path: Path, **extra: Any) -> Inventory:
    return Inventory.parse(
        {
            "site": "shop.test",
            "path": str(tmp_path / "inventory.yaml"),
            "state_dir": str(tmp_path / ".failover"),
            "hosts": {name: {"address": h.address} for name, h in rig.hosts.items()},
            "ssh": {"known_hosts": str(rig.known_hosts)},
            "dns": [
                {
                    "provider": "powerdns",
                    "zone": "shop.test.",
                    "api_url": "http://127.0.0.1:1",
                    "api_key": "x",
                    "records": [{"name": "@", "type": "A"}],
                }
            ],
            "checks": [
                {
                    "name": "storefront",
                    "type": "http",
                    "url": "http://shop.test/index.html",
                    "expect_body": "Add to cart",
                    "timeout": "1s",
                },
                {"name": "ssh", "type": "tcp", "port": 22, "timeout": "1s"},
            ],
            "control_targets": [f"tcp://{h.address}:22" for h in rig.hosts.values()],
            **extra,
        }
    )


@pytest.fixture
def shop(host_reset: Rig, tmp_path: Path) -> Inventory:
    for host in host_reset.hosts.values():
        (host.webroot / "index.html").write_text(PAGE)
    return make_inventory(host_reset, tmp_path)


def summary(inventory: Inventory, **kwargs: Any) -> dict[tuple[str, str], str]:
    report = run_round(inventory, **kwargs)
    return {(r.host, r.check): "ok" if r.ok else r.detail for r in report.results}


def test_healthy_hosts_pass(shop: Inventory) -> None:
    report = run_round(shop)
    assert [(r.host, r.check, r.ok) for r in report.results] == [
        ("primary", "storefront", True),
        ("primary", "ssh", True),
        ("standby", "storefront", True),
        ("standby", "ssh", True),
    ]
    assert report.online
    assert all(c.ok for c in report.control)


def test_missing_page_and_stopped_server(shop: Inventory, host_reset: Rig) -> None:
    (host_reset.standby.webroot / "index.html").unlink()
    with host_reset.primary.stop_http():
        assert summary(shop) == {
            ("primary", "storefront"): "connection refused",
            ("primary", "ssh"): "ok",
            ("standby", "storefront"): "status 404, want 200",
            ("standby", "ssh"): "ok",
        }


def test_link_down_times_out_and_the_round_still_ends_in_time(
    shop: Inventory, host_reset: Rig
) -> None:
    with host_reset.primary.link_down():
        report = run_round(shop)

    assert {(r.host, r.check): r.detail for r in report.for_host("primary")} == {
        ("primary", "storefront"): "timeout after 1s",
        ("primary", "ssh"): "timeout after 1s",
    }
    assert report.host_ok("standby")
    assert [c.ok for c in report.control] == [False, True]
    assert report.online  # one control target is enough
    # every probe was cut off by its own timeout (the round's speed: bench/checks.py)
    assert {c.detail for c in report.control if not c.ok} == {"timeout after 3s"}, report.control


def test_a_round_says_which_failures_got_no_answer_at_all(host_reset: Rig,
                                                          tmp_path: Path) -> None:
    """What monitor.ssh_unanswered reads: a timeout or a refused connection got no answer; a
    command that ran and failed, or a host key that does not match, are answers."""
    inv = make_inventory(host_reset, tmp_path, hosts={
        name: {"address": h.address,
               "ssh": {"user": "root", "identity": str(host_reset.client_key)}}
        for name, h in host_reset.hosts.items()}, checks=[
        {"name": "port22", "type": "tcp", "port": 22, "timeout": "1s"},
        {"name": "login", "type": "ssh", "timeout": "2s"},
        {"name": "false", "type": "command", "command": ["false"], "timeout": "2s"}])

    with host_reset.primary.link_down(), host_reset.standby.stop_sshd():
        report = run_round(inv)
    assert {(r.host, r.check): (r.ok, r.no_answer) for r in report.results} == {
        ("primary", "port22"): (False, True), ("primary", "login"): (False, True),
        ("primary", "false"): (False, True), ("standby", "port22"): (False, True),
        ("standby", "login"): (False, True), ("standby", "false"): (False, True)}
    assert ssh_unanswered(inv, report) == {
        "primary": "its SSH port 22 did not answer in this round (port22: timeout after 1s)",
        "standby": "its SSH port 22 did not answer in this round (port22: connection refused)"}

    with host_reset.standby.wrong_host_key():
        report = run_round(inv)
    assert {(r.host, r.check): (r.ok, r.no_answer) for r in report.results} == {
        ("primary", "port22"): (True, False), ("primary", "login"): (True, False),
        ("primary", "false"): (False, False), ("standby", "port22"): (True, False),
        ("standby", "login"): (False, False), ("standby", "false"): (False, False)}
    assert ssh_unanswered(inv, report) == {}
