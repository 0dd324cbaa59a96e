"""The new check settings in inventory.yaml: what loads, and what is refused with file:line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from failover.config import load_inventory
from failover.errors import ConfigError
from failover.model.inventory import Inventory

BASE = """
site: shop.example
hosts:
  a: {address: 203.0.113.10, ssh: {identity: id_key}}
  b: {address: 198.51.100.20, ssh: {identity: id_key}}
ssh: {known_hosts: known_hosts}
dns:
  - {provider: powerdns, zone: shop.example., api_url: "http://127.0.0.1:1", api_key: k,
     records: [{name: "@", type: A}]}
policy: {max_auto_failovers: 2, auto_failover_window: 12h}
checks:
"""

# both hosts of the examples below have a key (the loader checks it, without the network)
KNOWN_HOSTS = ("203.0.113.10,198.51.100.20 ssh-ed25519 "
               "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n")



@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "known_hosts").write_text(KNOWN_HOSTS)
    (tmp_path / "id_key").write_text("")
    return tmp_path


def load(checks: str, base: str = BASE) -> Inventory:
    Path("inventory.yaml").write_text(base.lstrip("\n") + textwrap.dedent(checks).lstrip("\n"))
    return load_inventory(Path("inventory.yaml"), {})


def problems(checks: str, base: str = BASE) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(checks, base)
    return [str(reason) for reason in info.value.reasons]


def test_every_check_type_loads() -> None:
    inv = load("""
      - {name: web, type: http, url: "https://shop.example/", expect_status: [200, 3xx],
         expect_regex: "Add.to.cart", max_latency: 2s, headers: {X-Probe: failover},
         cert_min_days: 21, retries: 2, severity: critical}
      - {name: port, type: tcp, port: 443}
      - {name: mail, type: smtp, starttls: true, tls_name: mx.shop.example, retries: 1}
      - {name: dns, type: dns, query: shop.example., expect: [203.0.113.10], server: "127.0.0.1:53"}
      - {name: db, type: command, command: [systemctl, is-active, mariadb], severity: warning}
    """)
    assert [c.type for c in inv.checks] == ["http", "tcp", "smtp", "dns", "command"]
    assert (inv.checks[0].retries, inv.checks[4].severity) == (2, "warning")
    assert (inv.policy.max_auto_failovers, inv.policy.auto_failover_window) == (2, 43200.0)


def test_bad_values_name_the_line_and_what_is_valid() -> None:
    found = problems("""
      - {name: web, type: http, url: "https://shop.example/", expect_status: [2xx, 6xx]}
      - {name: port, type: tcp, port: 443, severity: fatal, retries: -1}
      - {name: mail, type: smtp, starttls: true}
    """)
    assert found == [
        'inventory.yaml:11:72 checks[0].expect_status: \'6xx\' is not a status (e.g. 200, "2xx" '
        'or "200-299")',
        "inventory.yaml:12:48 checks[1].severity: 'fatal' is not one of: critical, warning",
        "inventory.yaml:12:64 checks[1].retries: must be 0 or more, got -1",
        "inventory.yaml:13:3 checks[2]: starttls: true needs tls_name (the name on the server's "
        "certificate, e.g. mx.shop.example)",
    ]


def test_ssh_checks_need_an_identity_on_every_host() -> None:
    no_identity = BASE.replace("198.51.100.20, ssh: {identity: id_key}}", "198.51.100.20}")
    found = problems("""
      - {name: login, type: ssh}
    """, no_identity)
    assert found == ["inventory.yaml:11:23 checks[0].type: a ssh check logs in to every host; "
                     "host b has no ssh identity (add hosts.b.ssh: {user: deploy, identity: "
                     "~/.ssh/key})"]
