"""Loading the inventory: every kind of mistake gets one exact line (file:line:col key: what is
valid); good inventories load with ${VAR}s expanded, paths resolved and secrets hidden.

Each test writes its inventory inline, so the line numbers in the expected messages can be read
off the YAML right above them (line 1 is the line after the opening quotes).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from failover.config import load_inventory
from failover.errors import ConfigError
from failover.model.inventory import Inventory

# both hosts of the examples below have a key (the loader checks it, without the network)
KNOWN_HOSTS = ("203.0.113.10,198.51.100.20 ssh-ed25519 "
               "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n")



@pytest.fixture(autouse=True)
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path, where a known_hosts file exists."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "known_hosts").write_text(KNOWN_HOSTS)
    return tmp_path


def load(text: str, environ: dict[str, str] | None = None) -> Inventory:
    Path("inventory.yaml").write_text(textwrap.dedent(text).lstrip("\n"))
    return load_inventory(Path("inventory.yaml"), environ or {})


def problems(text: str, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(text, environ)
    return [str(reason) for reason in info.value.reasons]


# A valid inventory, for reference; the tests below vary one thing each.
MINIMAL = """
    site: shop.example
    hosts:
      ovh-gra: {provider: ovh, address: 203.0.113.10}
      scw-par: {provider: scaleway, address: 198.51.100.20}
    ssh: {known_hosts: known_hosts}
    dns:
      - provider: powerdns
        zone: shop.example.
        api_url: http://127.0.0.1:8081
        api_key: k
        records: [{name: "@", type: A}]
    checks:
      - {name: storefront, type: http, url: "https://shop.example/"}
"""


def test_minimal_inventory_loads() -> None:
    inv = load(MINIMAL)
    assert list(inv.hosts) == ["ovh-gra", "scw-par"]


# --- bad inventories: one exact message each ------------------------------------------------


def test_yaml_syntax_error() -> None:
    assert problems("""
        site: shop.example
        hosts:
          ovh-gra: {address: 203.0.113.10
          scw-par: {address: 198.51.100.20}
    """) == ["inventory.yaml:4:10 YAML syntax error: expected ',' or '}', but got ':' "
             "(while parsing a flow mapping)"]


def test_tab_indentation() -> None:
    assert problems("site: shop.example\nhosts:\n\tovh-gra: {}\n") == [
        "inventory.yaml:3:1 YAML syntax error: found character '\\t' that cannot start any token "
        "(while scanning for the next token); indent with spaces, not tabs"
    ]


def test_empty_file() -> None:
    assert problems("") == ["inventory.yaml the file is empty (expected a YAML mapping)"]


def test_duplicate_key() -> None:
    assert problems("""
        site: shop.example
        hosts:
          ovh-gra:
            address: 203.0.113.10
            address: 203.0.113.11
    """) == ["inventory.yaml:5:5 hosts.ovh-gra.address: duplicate key (first defined at line 4)"]


def test_unknown_key_at_top_level() -> None:
    assert problems(MINIMAL + "    polcy: {}\n") == [
        "inventory.yaml:14:1 polcy: unknown key; valid keys here: canary, checks, control_targets, "
        "coordination, dns, fence, hosts, notify, playbooks, policy, services, site, ssh, "
        "state_dir, sync, vars (did you mean 'policy'?)"
    ]


def test_unknown_key_in_a_host() -> None:
    assert problems("""
        site: shop.example
        hosts:
          ovh-gra: {address: 203.0.113.10, adress6: "2001:db8::10"}
          scw-par: {address: 198.51.100.20}
        ssh: {known_hosts: known_hosts}
        dns:
          - provider: powerdns
            zone: shop.example.
            api_url: http://127.0.0.1:8081
            api_key: k
            records: [{name: "@", type: A}]
        checks:
          - {name: storefront, type: http, url: "https://shop.example/"}
    """) == ["inventory.yaml:3:36 hosts.ovh-gra.adress6: unknown key; valid keys here: address, "
             "address6, networks, provider, role, ssh, vars (did you mean 'address6'?)"]


def test_unknown_key_in_a_dns_zone_names_the_providers_keys() -> None:
    assert problems("""
        site: shop.example
        hosts:
          ovh-gra: {address: 203.0.113.10}
          scw-par: {address: 198.51.100.20}
        ssh: {known_hosts: known_hosts}
        dns:
          - provider: powerdns
            zone: shop.example.
            api_url: http://127.0.0.1:8081
            apikey: k
            records: [{name: "@", type: A}]
        checks:
          - {name: storefront, type: http, url: "https://shop.example/"}
    """) == [
        "inventory.yaml:7:5 dns[0].api_key: required key is missing",
        "inventory.yaml:10:5 dns[0].apikey: unknown key; valid keys here: api_key, api_url, "
        "nameservers, provider, records, server_id, timeout, zone (did you mean 'api_key'?)",
    ]


def test_port_is_not_a_number() -> None:
    assert problems("""
        site: shop.example
        hosts:
          ovh-gra:
            address: 203.0.113.10
            ssh: {user: deploy, port: 22x}
          scw-par: {address: 198.51.100.20}
    """)[-1] == "inventory.yaml:5:31 hosts.ovh-gra.ssh.port: '22x' is not a port (1-65535)"


def test_port_out_of_range() -> None:
    assert problems("""
        site: shop.example
        hosts:
          ovh-gra:
            address: 203.0.113.10
            ssh:
              port: 70000
          scw-par: {address: 198.51.100.20}
    """)[-1] == "inventory.yaml:6:13 hosts.ovh-gra.ssh.port: 70000 is not a port (1-65535)"


def test_wrong_type() -> None:
    assert problems(MINIMAL + "    policy: {failure_threshold: many}\n") == [
        "inventory.yaml:14:29 policy.failure_threshold: expected an integer, got 'many'"
    ]


def test_number_below_its_minimum() -> None:
    assert problems(MINIMAL + "    policy: {failure_threshold: 0}\n") == [
        "inventory.yaml:14:29 policy.failure_threshold: must be 1 or more, got 0"
    ]


def test_bad_ipv4_address() -> None:
    assert problems("""
        site: shop.example
        hosts:
          ovh-gra: {address: 203.0.113.300}
          scw-par: {address: 198.51.100.20}
    """)[-1] == ("inventory.yaml:3:22 hosts.ovh-gra.address: '203.0.113.300' is not an IPv4 "
                 "address (e.g. 203.0.113.10)")


def test_unknown_dns_provider() -> None:
    assert problems("""
        site: shop.example
        hosts:
          ovh-gra: {address: 203.0.113.10}
          scw-par: {address: 198.51.100.20}
        ssh: {known_hosts: known_hosts}
        dns:
          - provider: bind
            zone: shop.example.
            records: [{name: "@", type: A}]
        checks:
          - {name: storefront, type: http, url: "https://shop.example/"}
    """) == ["inventory.yaml:7:15 dns[0].provider: 'bind' is not one of: powerdns, rfc2136, "
             "route53, lexicon"]


def test_unknown_check_type() -> None:
    assert problems("""
        site: shop.example
        hosts:
          ovh-gra: {address: 203.0.113.10}
          scw-par: {address: 198.51.100.20}
        ssh: {known_hosts: known_hosts}
        dns:
          - provider: powerdns
            zone: shop.example.
            api_url: http://127.0.0.1:8081
            api_key: k
            records: [{name: "@", type: A}]
        checks:
          - {name: storefront, type: http, url: "https://shop.example/"}
          - {name: ping, type: icmp}
    """) == ["inventory.yaml:14:24 checks[1].type: 'icmp' is not one of: http, tcp, smtp, "
                 "dns, ssh, command"]


def test_bad_duration() -> None:
    assert problems("""
        site: shop.example
        hosts:
          ovh-gra: {address: 203.0.113.10}
          scw-par: {address: 198.51.100.20}
        ssh: {known_hosts: known_hosts}
        dns:
          - provider: powerdns
            zone: shop.example.
            api_url: http://127.0.0.1:8081
            api_key: k
            records: [{name: "@", type: A}]
        checks:
          - name: storefront
            type: http
            url: https://shop.example/
            timeout: 5 minutes
    """) == ["inventory.yaml:16:14 checks[0].timeout: '5 minutes' is not a duration "
             "(e.g. 30s, 5m, 1h, or seconds)"]


def test_undefined_environment_variable() -> None:
    assert problems("""
        site: shop.example
        hosts:
          ovh-gra: {address: 203.0.113.10}
          scw-par: {address: 198.51.100.20}
        ssh: {known_hosts: known_hosts}
        dns:
          - provider: powerdns
            zone: shop.example.
            api_url: http://127.0.0.1:8081
            api_key: ${PDNS_API_KEY}
            records: [{name: "@", type: A}]
        checks:
          - {name: storefront, type: http, url: "https://shop.example/"}
    """) == ["inventory.yaml:10:14 dns[0].api_key: environment variable PDNS_API_KEY is not set "
             "(set it, or write ${PDNS_API_KEY:-default})"]


def test_undefined_variable_in_a_typed_field_is_reported_once() -> None:
    assert problems(MINIMAL + "    policy: {failure_threshold: '${THRESHOLD}'}\n") == [
        "inventory.yaml:14:29 policy.failure_threshold: environment variable THRESHOLD is not set "
        "(set it, or write ${THRESHOLD:-default})"
    ]


def test_record_values_name_an_unknown_host() -> None:
    assert problems("""
        site: shop.example
        hosts:
          ovh-gra: {address: 203.0.113.10}
          scw-par: {address: 198.51.100.20}
        ssh: {known_hosts: known_hosts}
        dns:
          - provider: powerdns
            zone: shop.example.
            api_url: http://127.0.0.1:8081
            api_key: k
            records:
              - name: "@"
                type: MX
                values:
                  ovh-gra: 10 mx.ovh-gra.shop.example.
                  scw-par: 10 mx.scw-par.shop.example.
                  ovh-rbx: 10 mx.ovh-rbx.shop.example.
        checks:
          - {name: storefront, type: http, url: "https://shop.example/"}
    """) == ["inventory.yaml:17:11 dns[0].records[0].values.ovh-rbx: unknown host 'ovh-rbx'; "
             "hosts: ovh-gra, scw-par"]


def test_record_values_miss_a_host() -> None:
    assert problems("""
        site: shop.example
        hosts:
          ovh-gra: {address: 203.0.113.10}
          scw-par: {address: 198.51.100.20}
        ssh: {known_hosts: known_hosts}
        dns:
          - provider: powerdns
            zone: shop.example.
            api_url: http://127.0.0.1:8081
            api_key: k
            records:
              - {name: "@", type: MX, values: {ovh-gra: 10 mx.ovh-gra.shop.example.}}
        checks:
          - {name: storefront, type: http, url: "https://shop.example/"}
    """) == ["inventory.yaml:12:39 dns[0].records[0].values: no value for host scw-par "
             "(one value per host)"]


def test_mx_record_without_values() -> None:
    assert problems("""
        site: shop.example
        hosts:
          ovh-gra: {address: 203.0.113.10}
          scw-par: {address: 198.51.100.20}
        ssh: {known_hosts: known_hosts}
        dns:
          - provider: powerdns
            zone: shop.example.
            api_url: http://127.0.0.1:8081
            api_key: k
            records:
              - {name: "@", type: MX, ttl: 300}
        checks:
          - {name: storefront, type: http, url: "https://shop.example/"}
    """) == ["inventory.yaml:12:9 dns[0].records[0].values: required for MX records "
             "(one value per host)"]


def test_aaaa_record_when_a_host_has_no_address6() -> None:
    assert problems("""
        site: shop.example
        hosts:
          ovh-gra: {address: 203.0.113.10, address6: "2001:db8::10"}
          scw-par: {address: 198.51.100.20}
        ssh: {known_hosts: known_hosts}
        dns:
          - provider: powerdns
            zone: shop.example.
            api_url: http://127.0.0.1:8081
            api_key: k
            records:
              - {name: "@", type: A}
              - {name: "@", type: AAAA}
        checks:
          - {name: storefront, type: http, url: "https://shop.example/"}
    """) == ["inventory.yaml:13:9 dns[0].records[1]: an AAAA record without `values` follows each "
             "host's address6; missing on: scw-par (add address6 there, or give `values`)"]


def test_missing_known_hosts_file(site: Path) -> None:
    (site / "known_hosts").unlink()
    assert problems(MINIMAL) == [
        f"inventory.yaml:5:20 ssh.known_hosts: file not found: {site / 'known_hosts'}"
    ]


def test_missing_identity_file(site: Path) -> None:
    assert problems("""
        site: shop.example
        hosts:
          ovh-gra: {address: 203.0.113.10, ssh: {identity: keys/failover}}
          scw-par: {address: 198.51.100.20}
        ssh: {known_hosts: known_hosts}
        dns:
          - provider: powerdns
            zone: shop.example.
            api_url: http://127.0.0.1:8081
            api_key: k
            records: [{name: "@", type: A}]
        checks:
          - {name: storefront, type: http, url: "https://shop.example/"}
    """) == [f"inventory.yaml:3:52 hosts.ovh-gra.ssh.identity: file not found: "
             f"{site / 'keys' / 'failover'}"]


def test_missing_required_key() -> None:
    assert problems("""
        site: shop.example
        hosts:
          ovh-gra: {address: 203.0.113.10}
          scw-par: {provider: scaleway}
        ssh: {known_hosts: known_hosts}
        dns:
          - provider: powerdns
            zone: shop.example.
            api_url: http://127.0.0.1:8081
            api_key: k
            records: [{name: "@", type: A}]
        checks:
          - {name: storefront, type: http, url: "https://shop.example/"}
    """) == ["inventory.yaml:4:3 hosts.scw-par.address: required key is missing"]


def test_missing_playbook_file(site: Path) -> None:
    (site / "playbooks").mkdir()
    (site / "playbooks" / "failover.yaml").write_text("name: x\nsteps: [{dns: {to: ovh-gra}}]\n")
    assert problems(MINIMAL + """\
    playbooks:
      failover: playbooks/failover.yaml
      failback: playbooks/failback.yml
    """) == [f"inventory.yaml:16:13 playbooks.failback: file not found: "
             f"{site / 'playbooks' / 'failback.yml'}"]


def test_fewer_than_two_hosts() -> None:
    assert problems("""
        site: shop.example
        hosts:
          ovh-gra: {address: 203.0.113.10}
        ssh: {known_hosts: known_hosts}
        dns:
          - provider: powerdns
            zone: shop.example.
            api_url: http://127.0.0.1:8081
            api_key: k
            records: [{name: "@", type: A}]
        checks:
          - {name: storefront, type: http, url: "https://shop.example/"}
    """) == ["inventory.yaml:3:3 hosts: needs at least 2 hosts (a primary and at least one "
             "standby), got 1"]


def test_duplicate_check_names() -> None:
    assert problems(MINIMAL + "      - {name: storefront, type: tcp, port: 443}\n") == [
        "inventory.yaml:14:12 checks[1].name: duplicate check name 'storefront' "
        "(first used at line 13)"
    ]


def test_secret_value_is_never_shown() -> None:
    reasons = problems(MINIMAL.replace("api_key: k", "api_key: [hunter2]") + """\
    notify:
      - {type: webhook, url: {token: hunter3}}
    """)
    assert reasons == [
        "inventory.yaml:10:14 dns[0].api_key: expected a string, got ***",
        "inventory.yaml:15:26 notify[0].url: expected a string, got ***",
    ]


def test_every_problem_is_reported_at_once() -> None:
    """Expansion and validation problems together (reference checks, such as missing files,
    follow once the inventory is valid in shape)."""
    assert problems("""
        site: shop.example
        hosts:
          ovh-gra: {address: 203.0.113.10, ssh: {port: 0}}
          scw-par: {address: 198.51.100.20}
        ssh: {known_hosts: known_hosts}
        dns:
          - provider: powerdns
            zone: shop.example.
            api_url: http://127.0.0.1:8081
            api_key: ${KEY}
            records: [{name: "@", type: A, ttl: 0}]
        checks:
          - {name: storefront, type: http, url: "shop.example"}
    """) == [
        "inventory.yaml:3:48 hosts.ovh-gra.ssh.port: 0 is not a port (1-65535)",
        "inventory.yaml:10:14 dns[0].api_key: environment variable KEY is not set "
        "(set it, or write ${KEY:-default})",
        "inventory.yaml:11:41 dns[0].records[0].ttl: must be 1 or more, got 0",
        "inventory.yaml:13:41 checks[0].url: 'shop.example' is not an http:// or https:// URL",
    ]


def test_top_level_must_be_a_mapping() -> None:
    assert problems("- site: shop.example\n") == [
        "inventory.yaml:1:1 expected a mapping (keys: canary, checks, control_targets, "
        "coordination, dns, fence, hosts, notify, playbooks, policy, services, site, ssh, "
        "state_dir, sync, vars), got a list"
    ]


def test_sync_path_mapping_names_every_host_and_only_hosts() -> None:
    assert problems(MINIMAL + """\
    sync:
      - name: webroot
        path: {ovh-gra: /var/www/shop/, scw-pa: /srv/shop/}
    """) == [
        "inventory.yaml:16:11 sync[0].path: no path for host scw-par (give a path for every host, "
        "or one path for all)",
        "inventory.yaml:16:37 sync[0].path.scw-pa: unknown host 'scw-pa' (did you mean "
        "'scw-par'?); hosts: ovh-gra, scw-par",
    ]


def test_union_type_error_names_both_shapes() -> None:
    assert problems(MINIMAL + """\
    sync:
      - {name: webroot, path: 5}
    """) == ["inventory.yaml:15:27 sync[0].path: expected a string or a mapping, got 5"]


# --- good inventories ------------------------------------------------------------------------


DESIGN_EXAMPLE = """
    site: shop.example
    state_dir: .failover

    hosts:                       # priority order: first is the preferred primary
      ovh-gra:
        provider: ovh
        address: 203.0.113.10
        address6: 2001:db8::10
        ssh: {user: deploy, port: 22, identity: ~/.ssh/failover_ed25519}
      scw-par:
        provider: scaleway
        address: 198.51.100.20
        ssh: {user: deploy, identity: ~/.ssh/failover_ed25519}

    ssh:
      known_hosts: ./known_hosts

    dns:
      - provider: powerdns
        zone: shop.example.
        api_url: http://127.0.0.1:8081
        api_key: ${PDNS_API_KEY}
        nameservers: []
        records:
          - {name: "@", type: A, ttl: 60}
          - {name: www, type: A, ttl: 60}
          - {name: "@", type: MX, ttl: 300, values: {ovh-gra: "10 mx.ovh-gra.shop.example.",
                                                    scw-par: "10 mx.scw-par.shop.example."}}

    checks:
      - {name: storefront, type: http, url: "https://shop.example/", expect_status: [200],
         expect_body: "Add to cart", timeout: 5s}
      - {name: ssh, type: tcp, port: 22, timeout: 5s}

    control_targets:
      - tcp://9.9.9.9:53
      - tcp://1.1.1.1:53

    policy:
      failure_threshold: 3
      recovery_threshold: 5
      cooldown: 30m
      auto_failover: true
      auto_failback: false

    sync:
      - name: webroot
        path: /var/www/shop/
        exclude: [var/cache/, "*.log"]
        max_delete: 200
        atomic: true

    playbooks:
      failover: playbooks/failover.yaml
      failback: playbooks/failback.yaml

    notify:
      - {type: webhook, url: "${CHAT_WEBHOOK}"}
"""

ENVIRON = {
    "PDNS_API_KEY": "pdns-secret-1",
    "CHAT_WEBHOOK": "https://chat.example/hook/secret-2",
}


@pytest.fixture
def design_site(site: Path) -> dict[str, str]:
    home = site / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "failover_ed25519").write_text("key")
    (site / "playbooks").mkdir()
    for name in ("failover", "failback"):
        (site / "playbooks" / f"{name}.yaml").write_text("name: x\nsteps: [{dns: {to: ovh-gra}}]\n")
    return {**ENVIRON, "HOME": str(home)}


def test_design_example_loads(site: Path, design_site: dict[str, str]) -> None:
    inv = load(DESIGN_EXAMPLE, design_site)
    assert inv.path == site / "inventory.yaml"
    assert inv.state_dir == site / ".failover"
    assert list(inv.hosts) == ["ovh-gra", "scw-par"]
    assert inv.hosts["ovh-gra"].ssh is not None
    assert inv.hosts["ovh-gra"].ssh.identity == site / "home" / ".ssh" / "failover_ed25519"
    assert inv.ssh.known_hosts == site / "known_hosts"
    assert inv.playbooks["failover"] == site / "playbooks" / "failover.yaml"
    assert inv.dns[0].api_key.get_secret_value() == "pdns-secret-1"
    assert inv.notify[0].url.get_secret_value() == "https://chat.example/hook/secret-2"
    assert inv.policy.cooldown == 1800.0
    assert inv.checks[0].timeout == 5.0
    assert inv.dns[0].zone == "shop.example."


def test_secrets_stay_out_of_repr(design_site: dict[str, str]) -> None:
    inv = load(DESIGN_EXAMPLE, design_site)
    for text in (repr(inv), str(inv), json.dumps(inv.to_json())):
        assert "pdns-secret-1" not in text
        assert "secret-2" not in text


def test_variable_defaults_and_escapes() -> None:
    inv = load(MINIMAL.replace("api_key: k", "api_key: ${PDNS_API_KEY:-fallback}") + """\
    policy: {failure_threshold: "${THRESHOLD:-4}", cooldown: "${COOLDOWN:-10m}"}
    vars: {price: "$$5 for ${WHO}", empty: "${UNSET_OR_EMPTY:-x}"}
    """, {"WHO": "you", "UNSET_OR_EMPTY": ""})
    assert inv.dns[0].api_key.get_secret_value() == "fallback"
    assert inv.policy.failure_threshold == 4
    assert inv.policy.cooldown == 600.0
    assert inv.vars == {"price": "$5 for you", "empty": "x"}


def test_relative_paths_are_resolved_against_the_inventory_folder(tmp_path: Path) -> None:
    folder = tmp_path / "conf"
    (folder / "keys").mkdir(parents=True)
    (folder / "keys" / "id").write_text("key")
    (folder / "known_hosts").write_text(KNOWN_HOSTS)
    text = textwrap.dedent(MINIMAL).replace("ovh-gra: {provider: ovh, address: 203.0.113.10}",
                                            "ovh-gra: {address: 203.0.113.10, ssh: {identity: "
                                            "keys/id}}")
    (folder / "inventory.yaml").write_text(text + "state_dir: ../state\n")
    inv = load_inventory(Path("conf/inventory.yaml"), {})
    assert inv.path == folder / "inventory.yaml"
    assert inv.ssh.known_hosts == folder / "known_hosts"
    assert inv.state_dir == tmp_path / "state"
    ssh = inv.hosts["ovh-gra"].ssh
    assert ssh is not None
    assert ssh.identity == folder / "keys" / "id"


def test_state_dir_defaults_next_to_the_inventory(site: Path) -> None:
    assert load(MINIMAL).state_dir == site / ".failover"


def test_the_loader_owns_path() -> None:
    assert problems(MINIMAL + "    path: /elsewhere\n") == [
        "inventory.yaml:14:1 path: unknown key; valid keys here: canary, checks, control_targets, "
        "coordination, dns, fence, hosts, notify, playbooks, policy, services, site, ssh, "
        "state_dir, sync, vars"
    ]


def test_a_relative_sync_path_is_refused() -> None:
    assert problems(MINIMAL + """\
    sync:
      - {name: webroot, path: shopcopy}
      - {name: media, path: {ovh-gra: /srv/media/, scw-par: media/}}
    """) == [
        "inventory.yaml:15:27 sync[0].path: 'shopcopy' is not an absolute path; on the host it "
        "would be relative to the SSH user's home folder (write the full path, e.g. "
        "/var/www/shop/)",
        "inventory.yaml:16:57 sync[1].path.scw-par: 'media/' is not an absolute path; on the "
        "host it would be relative to the SSH user's home folder (write the full path, e.g. "
        "/var/www/shop/)",
    ]


WITH_SSH = MINIMAL.replace("ovh-gra: {provider: ovh, address: 203.0.113.10}",
                           "ovh-gra: {provider: ovh, address: 203.0.113.10, ssh: {port: 2222}}"
                           ).replace("scw-par: {provider: scaleway, address: 198.51.100.20}",
                                     "scw-par: {provider: scaleway, address: 198.51.100.20, "
                                     "ssh: {}}")


def test_known_hosts_must_hold_every_hosts_key(site: Path) -> None:
    (site / "known_hosts").write_text("")
    assert problems(WITH_SSH) == [
        f"inventory.yaml:5:20 ssh.known_hosts: no host key for ovh-gra ([203.0.113.10]:2222), "
        f"scw-par (198.51.100.20) in {site / 'known_hosts'}: a sync or failover would stop at "
        "its first connection. Fetch each key out of band (`ssh-keyscan -p PORT ADDRESS`), "
        "compare its fingerprint (`ssh-keygen -lf FILE`) with the one your hoster shows, then "
        "add the line"
    ]


def test_known_hosts_lines_are_read_as_openssh_reads_them(site: Path) -> None:
    import base64
    import hashlib
    import hmac

    key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    salt = b"0123456789abcdefghij"
    digest = hmac.new(salt, b"198.51.100.20", hashlib.sha1).digest()
    hashed = f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"
    (site / "known_hosts").write_text(
        f"# comment\n@revoked 198.51.100.20 {key}\n"
        f"203.0.113.10 {key}\n")  # port 22 only: not the host's port 2222
    assert len(problems(WITH_SSH)) == 1
    (site / "known_hosts").write_text(f"[203.0.113.10]:2222 {key}\n{hashed} {key}\n")
    assert load(WITH_SSH).hosts["ovh-gra"].ssh is not None
    (site / "known_hosts").write_text(f"*,!198.51.100.20 {key}\n")
    assert "scw-par (198.51.100.20)" in problems(WITH_SSH)[0]
    assert "ovh-gra" not in problems(WITH_SSH)[0]


def test_auto_failover_is_off_unless_written() -> None:
    assert load(MINIMAL).policy.auto_failover is False
    assert load(MINIMAL + "    policy: {auto_failover: true}\n").policy.auto_failover is True


def test_host_vars_may_not_shadow_run_variables() -> None:
    assert problems(MINIMAL.replace(
        "scw-par: {provider: scaleway, address: 198.51.100.20}",
        "scw-par: {provider: scaleway, address: 198.51.100.20, vars: {to: x}}")) == [
        "inventory.yaml:4:64 hosts.scw-par.vars.to: reserved variable name (from, to, site, "
        "run_id are set by every run)"
    ]
