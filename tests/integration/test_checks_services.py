"""Every check type against the rig's real servers: HTTPS with the rig CA, SMTP with STARTTLS
(aiosmtpd), ssh and command over the hosts' sshd, dns against PowerDNS; and the failure modes
loopback cannot show: a frozen server (SIGSTOP), a port whose packets are dropped (nftables), and
30% packet loss."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from failover import policy
from failover.checks import run_round
from failover.model.inventory import Inventory
from failover.model.results import CheckResult
from failover.model.state import State
from tests.rig import Rig, faults, tls

PAGE = "<html><body><button>Add to cart</button></body></html>\n"


def inventory(rig: Rig, tmp_path: Path, checks: list[dict[str, Any]],
              **extra: Any) -> Inventory:
    return Inventory.parse({
        "site": "shop.test",
        "path": str(tmp_path / "inventory.yaml"),
        "state_dir": str(tmp_path / ".failover"),
        "hosts": {name: {"address": h.address,
                         "ssh": {"user": "root", "identity": str(rig.client_key)}}
                  for name, h in rig.hosts.items()},
        "ssh": {"known_hosts": str(rig.known_hosts), "connect_timeout": "3s"},
        "dns": [{"provider": "powerdns", "zone": "shop.test.", "api_url": rig.pdns.api_url,
                 "api_key": "x", "records": [{"name": "@", "type": "A"}]}],
        "checks": checks,
        **extra,
    })


@pytest.fixture
def services(host_reset: Rig) -> Iterator[Rig]:
    for host in host_reset.hosts.values():
        (host.webroot / "index.html").write_text(PAGE)
    yield host_reset
    for host in host_reset.hosts.values():
        faults.clear(host)


def one(inv: Inventory, host: str = "primary") -> CheckResult:
    [result] = [r for r in run_round(inv, [host]).results]
    return result


def https(rig: Rig, url: str = "https://shop.test/index.html", **fields: Any) -> dict[str, Any]:
    return {"name": "storefront", "type": "http", "url": url, "expect_body": "Add to cart",
            "ca_file": str(tls.ca_file(rig.dir)), "timeout": "1s", **fields}


def test_https_with_the_sites_certificate(services: Rig, tmp_path: Path) -> None:
    rig = services
    result = one(inventory(rig, tmp_path, [https(rig)]))
    assert (result.ok, result.detail, result.warning) == (True, "status 200", "")

    wrong_body = one(inventory(rig, tmp_path, [https(rig, expect_body="Sold out")]))
    assert (wrong_body.ok, wrong_body.detail) == (False, "body does not contain 'Sold out'")

    wrong_status = one(inventory(rig, tmp_path, [https(rig, url="https://shop.test/nope")]))
    assert (wrong_status.ok, wrong_status.detail) == (False, "status 404, want 200")

    mismatch = one(inventory(rig, tmp_path, [https(rig, url="https://other.test/index.html")]))
    assert not mismatch.ok
    assert "TLS: certificate verify failed: Hostname mismatch" in mismatch.detail

    no_ca = one(inventory(rig, tmp_path, [https(rig, ca_file=None)]))
    assert not no_ca.ok
    assert "certificate verify failed" in no_ca.detail


def test_an_expiring_certificate_is_a_warning_not_a_failure(services: Rig,
                                                             tmp_path: Path) -> None:
    rig = services
    url = f"https://shop.test:{tls.HTTPS_EXPIRING_PORT}/index.html"
    inv = inventory(rig, tmp_path, [https(rig, url=url, cert_min_days=14)])
    report = run_round(inv)
    assert all(r.ok for r in report.results)
    assert all(f"expires in {tls.EXPIRING_DAYS - 1}." in r.warning or
               f"expires in {tls.EXPIRING_DAYS}." in r.warning for r in report.results)
    state = policy.record_round(inv, State(active="primary"), report, 1.0)
    decision = policy.decide(inv, state, report, 1.0)
    assert (decision.status, decision.action) == (policy.Status.WARNING, "none")
    assert not state.hosts["primary"].down


def test_a_frozen_server_and_a_dropping_port_fail_within_the_timeout(services: Rig,
                                                                     tmp_path: Path) -> None:
    rig = services
    inv = inventory(rig, tmp_path, [https(rig)])
    with faults.freeze(rig.primary.https):
        frozen = one(inv)
    with faults.drop_port(rig.primary, tls.HTTPS_PORT):
        dropped = one(inv)
    for result in (frozen, dropped):
        assert (result.ok, result.detail) == (False, "timeout after 1s")  # its own timeout
    assert one(inv).ok  # both undone


def test_30_percent_packet_loss_with_retries_never_fails_over(services: Rig,
                                                              tmp_path: Path) -> None:
    rig = services
    check = {"name": "storefront", "type": "http", "url": "http://shop.test/index.html",
             "expect_body": "Add to cart", "timeout": "1.5s", "retries": 2}
    inv = inventory(rig, tmp_path, [check], policy={"cooldown": 0})  # thresholds: defaults
    state = State(active="primary")
    with faults.drop_port(rig.primary, 80, percent=30):
        for i in range(50):
            report = run_round(inv, control=False)
            state = policy.record_round(inv, state, report, float(i))
            decision = policy.decide(inv, state, report, float(i))
            assert decision.action == "none", decision.reasons
        lost = faults.dropped(rig.primary)
    assert not state.hosts["primary"].down
    assert lost > 10  # the loss was real (some 30% of ~250 packets)


def test_smtp_banner_ehlo_and_starttls(services: Rig, tmp_path: Path) -> None:
    rig = services
    ca = str(tls.ca_file(rig.dir))
    plain = {"name": "mail", "type": "smtp", "timeout": "2s"}
    starttls = {**plain, "starttls": True, "tls_name": "mx.shop.test", "ca_file": ca}
    inv = inventory(rig, tmp_path, [plain])
    assert {(r.host, r.ok, r.detail) for r in run_round(inv).results} == {
        ("primary", True, "banner 220, EHLO 250"), ("standby", True, "banner 220, EHLO 250")}
    result = one(inventory(rig, tmp_path, [starttls]))
    assert (result.ok, result.detail) == (True, "banner 220, EHLO 250, STARTTLS ok")
    wrong_name = one(inventory(rig, tmp_path, [{**starttls, "tls_name": "mail.other.test"}]))
    assert not wrong_name.ok
    assert "Hostname mismatch" in wrong_name.detail
    with faults.freeze(rig.primary.smtp):
        frozen = one(inventory(rig, tmp_path, [plain]))
    assert (frozen.ok, frozen.detail) == (False, "timeout after 2s")


def test_ssh_check_verifies_the_host_key_and_logs_in(services: Rig, tmp_path: Path) -> None:
    rig = services
    inv = inventory(rig, tmp_path, [{"name": "ssh", "type": "ssh", "timeout": "3s"}])
    assert {(r.host, r.ok, r.detail) for r in run_round(inv).results} == {
        ("primary", True, "host key ok, login ok"), ("standby", True, "host key ok, login ok")}
    with rig.primary.wrong_host_key():
        changed = one(inv)
    assert not changed.ok
    assert "host key of primary" in changed.detail
    assert "CHANGED" in changed.detail


def test_command_check_passes_on_exit_0_with_its_output(services: Rig, tmp_path: Path) -> None:
    rig = services
    webroot = tmp_path / "www"  # a folder of its own: the rig's webroot is what earlier tests left
    webroot.mkdir()
    (webroot / "index.html").write_text("shop\n")
    checks = [
        {"name": "webroot", "type": "command", "command": ["ls", str(webroot)]},
        {"name": "db", "type": "command",
         "command": ["sh", "-c", "echo inactive; echo 'unit mariadb' >&2; exit 3"]},
    ]
    report = run_round(inventory(rig, tmp_path, checks), ["primary"])
    by_name = {r.check: r for r in report.results}
    assert (by_name["webroot"].ok, by_name["webroot"].detail) == (True, "exit 0: index.html")
    assert (by_name["db"].ok, by_name["db"].detail) == (False,
                                                        "exit 3: inactive unit mariadb")


def test_dns_check_against_powerdns(services: Rig, tmp_path: Path) -> None:
    rig = services
    ip = rig.primary.address
    rig.pdns.create_zone("checks.test.", {("www", "A"): (60, [ip])})
    server = f"{rig.pdns.dns_address}:{rig.pdns.dns_port}"
    base = {"name": "dns", "type": "dns", "query": "www.checks.test.", "server": server,
            "timeout": "2s"}
    good = one(inventory(rig, tmp_path, [{**base, "expect": [ip]}]))
    assert (good.ok, good.detail) == (True, f"A {ip}")
    wrong = one(inventory(rig, tmp_path, [{**base, "expect": ["192.0.2.1"]}]))
    assert (wrong.ok, wrong.detail) == (False, f"www.checks.test. A = {ip}, want 192.0.2.1")
    missing = one(inventory(rig, tmp_path, [{**base, "query": "nope.checks.test."}]))
    assert (missing.ok, missing.detail) == (
        False, f"nope.checks.test. A: NXDOMAIN from {server}")


def test_a_host_flapping_every_round_for_20_rounds_never_fails_over(services: Rig,
                                                                    tmp_path: Path) -> None:
    rig = services
    check = {"name": "storefront", "type": "http", "url": "http://shop.test/index.html",
             "expect_body": "Add to cart", "timeout": "1s"}
    inv = inventory(rig, tmp_path, [check])  # the default policy
    state = State(active="primary")
    seen = []
    for i in range(20):
        if i % 2:
            rig.primary.stop_http()
        else:
            rig.primary.start_http()
        report = run_round(inv, control=False)
        seen.append(report.host_ok("primary"))
        state = policy.record_round(inv, state, report, float(i))
        decision = policy.decide(inv, state, report, float(i))
        assert decision.action == "none", decision.reasons
    assert seen == [i % 2 == 0 for i in range(20)]  # it really flapped
    assert not state.hosts["primary"].down
