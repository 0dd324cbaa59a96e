"""Loading playbooks: shape errors and literal references to the inventory, one exact line each.

Each test writes its playbook inline; line 1 is the line after the opening quotes.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from failover.config import load_inventory, load_playbook
from failover.errors import ConfigError
from failover.model.inventory import Inventory
from failover.model.playbook import Playbook

INVENTORY = """\
site: shop.example
hosts:
  ovh-gra: {provider: ovh, address: 203.0.113.10}
  scw-par: {provider: scaleway, address: 198.51.100.20}
ssh: {known_hosts: known_hosts}
dns:
  - {provider: powerdns, zone: shop.example., api_url: "http://127.0.0.1:8081", api_key: k,
     records: [{name: "@", type: A}]}
checks:
  - {name: storefront, type: http, url: "https://shop.example/"}
  - {name: ssh, type: tcp, port: 22}
sync:
  - {name: webroot, path: /var/www/shop/}
"""


@pytest.fixture
def inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Inventory:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "known_hosts").write_text("")
    (tmp_path / "inventory.yaml").write_text(INVENTORY)
    return load_inventory(Path("inventory.yaml"), {})


def load(text: str, inventory: Inventory, environ: dict[str, str] | None = None) -> Playbook:
    Path("failover.yaml").write_text(textwrap.dedent(text).lstrip("\n"))
    return load_playbook(Path("failover.yaml"), inventory, environ or {})


def problems(text: str, inventory: Inventory, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(text, inventory, environ)
    return [str(reason) for reason in info.value.reasons]


DESIGN_STEPS = """
    name: Fail over to a standby
    steps:
      - name: Standby serves the shop
        check: {host: "{{ to }}", checks: [storefront]}
      - name: "Last content sync (best effort: the old host may be gone)"
        sync: {set: webroot, from: "{{ from }}", to: "{{ to }}"}
        ignore_errors: true
      - name: Start the shop on the standby
        ssh: {host: "{{ to }}", command: "sudo systemctl start php-fpm"}
      - name: Point DNS at the standby
        dns: {to: "{{ to }}"}
      - name: Every nameserver answers with the standby
        dns_verify: {to: "{{ to }}", timeout: 2m}
      - name: Pause paid traffic while we recover
        webhook: {url: "${ADS_PAUSE_HOOK}", body: {site: "{{ site }}"}}
      - name: Tell the team
        notify: {message: "{{ site }} moved from {{ from }} to {{ to }}"}
    rescue:                      # runs when a step fails; puts DNS back where it was
      - dns: {to: "{{ from }}"}
"""


def test_design_example_loads(inventory: Inventory) -> None:
    playbook = load(DESIGN_STEPS, inventory, {"ADS_PAUSE_HOOK": "https://ads.example/pause"})
    assert [s.action for s in playbook.steps] == [
        "check", "sync", "ssh", "dns", "dns_verify", "webhook", "notify"
    ]
    assert playbook.steps[1].sync is not None
    assert playbook.steps[1].sync.from_ == "{{ from }}"
    assert playbook.steps[1].ignore_errors
    assert playbook.steps[4].dns_verify is not None
    assert playbook.steps[4].dns_verify.timeout == 120.0
    assert playbook.steps[5].webhook is not None
    assert playbook.steps[5].webhook.url == "https://ads.example/pause"
    assert playbook.steps[6].notify is not None
    assert playbook.steps[6].notify.message == "{{ site }} moved from {{ from }} to {{ to }}"
    assert [s.action for s in playbook.rescue] == ["dns"]


def test_unquoted_colon_in_a_name_is_explained(inventory: Inventory) -> None:
    """DESIGN.md's example has this mistake: a plain value may not contain ': '."""
    assert problems("""
        name: Fail over to a standby
        steps:
          - name: Last content sync (best effort: the old host may be gone)
            sync: {set: webroot, from: "{{ from }}", to: "{{ to }}"}
    """, inventory) == [
        "failover.yaml:3:41 YAML syntax error: mapping values are not allowed here; quote a value "
        "that contains ': '"
    ]


def test_step_with_two_actions(inventory: Inventory) -> None:
    assert problems("""
        name: Fail over
        steps:
          - name: Check and flip
            check: {host: "{{ to }}"}
            dns: {to: "{{ to }}"}
    """, inventory) == [
        "failover.yaml:3:5 steps[0]: a step needs exactly one action (one of: check, sync, ssh, "
        "dns, dns_verify, webhook, notify, pipe, dns_ttl, fence); found check and dns"
    ]


def test_unknown_action(inventory: Inventory) -> None:
    assert problems("""
        name: Fail over
        steps:
          - name: Start the shop
            shell: {host: "{{ to }}", command: "systemctl start php-fpm"}
    """, inventory) == [
        "failover.yaml:3:5 steps[0]: a step needs exactly one action (one of: check, sync, ssh, "
        "dns, dns_verify, webhook, notify, pipe, dns_ttl, fence); found none",
        "failover.yaml:4:5 steps[0].shell: unknown key; valid keys here: check, dns, dns_ttl, "
        "dns_verify, fence, ignore_errors, name, notify, pipe, ssh, sync, webhook",
    ]


def test_unknown_key_in_an_action(inventory: Inventory) -> None:
    assert problems("""
        name: Fail over
        steps:
          - sync: {set: webroot, from_: "{{ from }}", to: "{{ to }}"}
    """, inventory) == [
        "failover.yaml:3:26 steps[0].sync.from_: unknown key; valid keys here: from, promote, "
        "pull, set, to (did you mean 'from'?)"
    ]


def test_unknown_check_name(inventory: Inventory) -> None:
    assert problems("""
        name: Fail over
        steps:
          - check: {host: "{{ to }}", checks: [storefront, sotrefront]}
    """, inventory) == [
        "failover.yaml:3:52 steps[0].check.checks[1]: unknown check 'sotrefront' (did you mean "
        "'storefront'?); checks in the inventory: storefront, ssh"
    ]


def test_unknown_sync_set(inventory: Inventory) -> None:
    assert problems("""
        name: Fail over
        steps:
          - sync: {set: uploads, from: "{{ from }}", to: "{{ to }}"}
    """, inventory) == [
        "failover.yaml:3:17 steps[0].sync.set: unknown sync set 'uploads'; sync sets in the "
        "inventory: webroot"
    ]


def test_literal_host_names_are_checked_templated_ones_are_not(inventory: Inventory) -> None:
    assert problems("""
        name: Fail back
        steps:
          - ssh: {host: "{{ to }}", command: [systemctl, start, php-fpm]}
          - dns: {to: ovh-gra}
        rescue:
          - dns: {to: ovh-rbx}
    """, inventory) == [
        "failover.yaml:6:15 rescue[0].dns.to: unknown host 'ovh-rbx'; hosts in the inventory: "
        "ovh-gra, scw-par"
    ]


def test_undefined_variable_in_a_playbook(inventory: Inventory) -> None:
    assert problems("""
        name: Fail over
        steps:
          - webhook: {url: "${ADS_PAUSE_HOOK}"}
    """, inventory) == [
        "failover.yaml:3:20 steps[0].webhook.url: environment variable ADS_PAUSE_HOOK is not set "
        "(set it, or write ${ADS_PAUSE_HOOK:-default})"
    ]


def test_bad_values_in_actions(inventory: Inventory) -> None:
    assert problems("""
        name: Fail over
        steps:
          - ssh: {host: "{{ to }}", command: [ls, 5], timeout: soon}
        rescue: []
    """, inventory) == [
        "failover.yaml:3:43 steps[0].ssh.command[1]: expected a string, got 5",
        "failover.yaml:3:56 steps[0].ssh.timeout: 'soon' is not a duration (e.g. 30s, 5m, 1h, "
        "or seconds)",
    ]


def test_playbook_needs_a_name_and_steps(inventory: Inventory) -> None:
    assert problems("steps: []\n", inventory) == [
        "failover.yaml:1:1 name: required key is missing",
        "failover.yaml:1:8 steps: needs at least 1 step, got none",
    ]


def test_an_undefined_variable_names_its_line_and_what_is_defined(inventory: Inventory) -> None:
    assert problems("""
        name: Fail over
        steps:
          - dns: {to: "{{ destination }}"}
          - notify: {message: "{{ site }} is on {{ to }}"}
    """, inventory) == [
        "failover.yaml:3:15 steps[0].dns.to: undefined variable 'destination' in "
        "'{{ destination }}'; defined here: from, run_id, site, to"
    ]


HOST_VARS = INVENTORY.replace(
    "ovh-gra: {provider: ovh, address: 203.0.113.10}",
    "ovh-gra: {provider: ovh, address: 203.0.113.10, vars: {start: a, only_gra: x}}").replace(
    "scw-par: {provider: scaleway, address: 198.51.100.20}",
    "scw-par: {provider: scaleway, address: 198.51.100.20, vars: {start: b}}") + \
    "vars: {start: global, notice: n}\n"


def test_host_vars_count_for_steps_acting_on_that_host(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "known_hosts").write_text("")
    (tmp_path / "inventory.yaml").write_text(HOST_VARS)
    inv = load_inventory(Path("inventory.yaml"), {})
    # `start` is defined on every host (and globally); `only_gra` only on ovh-gra
    load("""
        name: ok
        steps:
          - ssh: {host: "{{ to }}", command: "{{ start }}"}
          - ssh: {host: ovh-gra, command: "{{ only_gra }}"}
          - notify: {message: "{{ notice }}"}
    """, inv)
    assert problems("""
        name: not ok
        steps:
          - ssh: {host: "{{ to }}", command: "{{ only_gra }}"}
          - notify: {message: "{{ only_gra }}"}
    """, inv) == [
        "failover.yaml:3:38 steps[0].ssh.command: undefined variable 'only_gra' in "
        "'{{ only_gra }}'; defined here: from, notice, run_id, site, start, to",
        "failover.yaml:4:23 steps[1].notify.message: undefined variable 'only_gra' in "
        "'{{ only_gra }}'; defined here: from, notice, run_id, site, start, to",
    ]


def test_host_vars_override_vars_in_the_step_that_acts_on_the_host(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from failover.model.templating import render, step_variables

    monkeypatch.chdir(tmp_path)
    (tmp_path / "known_hosts").write_text("")
    (tmp_path / "inventory.yaml").write_text(HOST_VARS)
    inv = load_inventory(Path("inventory.yaml"), {})
    playbook = load("""
        name: start
        steps:
          - ssh: {host: "{{ to }}", command: "{{ start }} on {{ to }}"}
          - notify: {message: "{{ start }}"}
    """, inv)
    host_vars = {name: host.vars for name, host in inv.hosts.items()}
    run = {**inv.vars, "from": "ovh-gra", "to": "scw-par", "site": "s", "run_id": "r"}
    ssh, notify = playbook.steps
    assert render(ssh.params, step_variables(ssh, run, host_vars)).command == "b on scw-par"
    back = {**run, "from": "scw-par", "to": "ovh-gra"}
    assert render(ssh.params, step_variables(ssh, back, host_vars)).command == "a on ovh-gra"
    assert render(notify.params, step_variables(notify, run, host_vars)).message == "global"


def test_a_failback_pipe_goes_home_before_the_flip_in_the_failback_playbook(
        inventory: Inventory) -> None:
    pipe = ('pipe: {from: {host: "{{ to }}", command: dump}, to: {host: "{{ from }}", '
            'command: load}, failback: true}')
    assert problems(f"""
        name: A warm-up
        steps:
          - {pipe}
    """, inventory) == [
        "failover.yaml:3:104 steps[0].pipe.failback: a `failback: true` pipe brings what the "
        "standby wrote home: it belongs in the failback playbook",
        "failover.yaml:3:104 steps[0].pipe.failback: a `failback: true` pipe goes from "
        '"{{ from }}" (the standby that was active) to "{{ to }}" (the preferred host)',
    ]
    failback = inventory.replace(playbooks={"failback": Path("failover.yaml").resolve()})
    home = pipe.replace('"{{ to }}", command: dump', '"{{ from }}", command: dump').replace(
        '"{{ from }}", command: load', '"{{ to }}", command: load')
    assert problems(f"""
        name: Fail back
        steps:
          - dns: {{to: "{{{{ to }}}}"}}
          - {home}
    """, failback) == [
        "failover.yaml:4:104 steps[1].pipe.failback: a `failback: true` pipe must run before the "
        "failback's dns step: move it above the flip"]
    assert load(f"""
        name: Fail back
        steps:
          - {home}
          - dns: {{to: "{{{{ to }}}}"}}
    """, failback).steps[0].pipe is not None
