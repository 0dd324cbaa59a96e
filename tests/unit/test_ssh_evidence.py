"""monitor.ssh_unanswered: which failing checks say a host's SSH port gave no answer (pure)."""

from __future__ import annotations

from pathlib import Path

from failover.engine.monitor import ssh_unanswered
from failover.model.inventory import Inventory
from failover.model.results import CheckResult, RoundReport


def inventory() -> Inventory:
    return Inventory.parse({
        "site": "shop.test", "path": Path("/x/inventory.yaml"), "state_dir": Path("/x/.failover"),
        "hosts": {"primary": {"address": "10.203.0.11", "ssh": {"user": "root", "port": 2222}},
                  "standby": {"address": "10.203.0.12", "ssh": {"user": "root"}}},
        "ssh": {"known_hosts": Path("/x/known_hosts")},
        "dns": [{"provider": "powerdns", "zone": "shop.test.", "api_url": "http://127.0.0.1:1",
                 "api_key": "k", "records": [{"name": "@", "type": "A"}]}],
        "checks": [{"name": "web", "type": "tcp", "port": 80},
                   {"name": "port22", "type": "tcp", "port": 22},
                   {"name": "port2222", "type": "tcp", "port": 2222},
                   {"name": "login", "type": "ssh"},
                   {"name": "db", "type": "command", "command": ["systemctl", "is-active", "db"]}],
    })


def evidence(*results: CheckResult) -> dict[str, str]:
    return ssh_unanswered(inventory(), RoundReport(0.0, 2.0, results))


def failed(host: str, check: str, detail: str, *, no_answer: bool) -> CheckResult:
    return CheckResult(host, check, False, 2.0, detail, no_answer=no_answer)


def test_a_tcp_check_on_the_hosts_own_ssh_port() -> None:
    assert evidence(failed("primary", "port2222", "timeout after 2s", no_answer=True)) == {
        "primary": "its SSH port 2222 did not answer in this round (port2222: timeout after 2s)"}
    assert evidence(failed("standby", "port22", "connection refused", no_answer=True)) == {
        "standby": "its SSH port 22 did not answer in this round (port22: connection refused)"}
    # another port, or a port that is not this host's SSH port, says nothing about SSH
    assert evidence(failed("primary", "web", "timeout after 2s", no_answer=True),
                    failed("primary", "port22", "timeout after 2s", no_answer=True)) == {}


def test_ssh_and_command_checks_count_only_when_nothing_answered() -> None:
    assert evidence(failed("standby", "login", "timeout after 2s", no_answer=True)) == {
        "standby": "its SSH port 22 did not answer in this round (login: timeout after 2s)"}
    assert "standby" in evidence(failed("standby", "db", "cannot connect", no_answer=True))
    # answers: the command ran; the host key or the login was refused (the run must meet those)
    assert evidence(failed("standby", "db", "exit 3: inactive", no_answer=False),
                    failed("standby", "login", "host key of standby has CHANGED",
                           no_answer=False)) == {}


def test_passing_checks_and_unknown_checks_say_nothing() -> None:
    ok = CheckResult("primary", "port2222", True, 0.01, "port 2222 open")
    gone = failed("primary", "removed-since", "timeout after 2s", no_answer=True)
    assert evidence(ok, gone) == {}
