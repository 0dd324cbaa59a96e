"""Bad input through the real executable: exit 2 (3 for `check`), one line per reason with
file:line and key, never a traceback, never a change."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.site import FAILOVER

GOOD = """\
site: shop.test
hosts:
  primary:
    address: 127.0.0.11
    ssh: {user: root, port: 22}
  standby:
    address: 127.0.0.12
ssh:
  known_hosts: ./known_hosts
dns:
  - provider: powerdns
    zone: shop.test.
    api_url: http://127.0.0.1:1
    api_key: ${TEST_PDNS_KEY}
    records:
      - {name: "@", type: A, ttl: 60}
checks:
  - {name: web, type: http, url: "http://shop.test/", timeout: 5s}
policy:
  failure_threshold: 3
playbooks:
  failover: failover.yaml
"""

# (what is wrong, text to replace, replacement, expected message)
CASES = [
    ("yaml syntax", "  primary:\n", "  primary: [\n",
     "inventory.yaml:5:8 YAML syntax error: expected ',' or ']', but got ':'"),
    ("unknown top-level key", "policy:\n", "polcy:\n",
     "inventory.yaml:19:1 polcy: unknown key; valid keys here:"),
    ("unknown nested key", "    address: 127.0.0.12\n",
     "    address: 127.0.0.12\n    adress6: ::1\n",
     "inventory.yaml:8:5 hosts.standby.adress6: unknown key; valid keys here: address, address6"),
    ("wrong type", "port: 22}", "port: 22x}",
     "inventory.yaml:5:29 hosts.primary.ssh.port: '22x' is not a port (1-65535)"),
    ("bad address", "127.0.0.12\n", "127.0.0.300\n",
     "inventory.yaml:7:14 hosts.standby.address: '127.0.0.300' is not an IPv4 address"),
    ("unknown provider", "provider: powerdns", "provider: bind",
     "inventory.yaml:11:15 dns[0].provider: 'bind' is not one of: powerdns"),
    ("unknown check type", "type: http", "type: icmp",
     "inventory.yaml:18:23 checks[0].type: 'icmp' is not one of: http, tcp"),
    ("bad duration", "timeout: 5s}", "timeout: 5 minutes}",
     "inventory.yaml:18:64 checks[0].timeout: '5 minutes' is not a duration"),
    ("undefined env var", "${TEST_PDNS_KEY}", "${TEST_UNSET_VARIABLE}",
     "inventory.yaml:14:14 dns[0].api_key: environment variable TEST_UNSET_VARIABLE is not set"),
    ("record names unknown host", '{name: "@", type: A, ttl: 60}',
     '{name: "@", type: A, ttl: 60, values: {primary: 10.0.0.1, standby: 10.0.0.2, ovh: 10.0.0.3}}',
     "inventory.yaml:16:86 dns[0].records[0].values.ovh: unknown host 'ovh'; "
     "hosts: primary, standby"),
    ("missing known_hosts", "./known_hosts", "./nope_known_hosts",
     "inventory.yaml:9:16 ssh.known_hosts: file not found:"),
    ("missing playbook", "failover.yaml\n", "missing.yaml\n",
     "inventory.yaml:22:13 playbooks.failover: file not found:"),
    ("threshold zero", "failure_threshold: 3", "failure_threshold: 0",
     "inventory.yaml:20:22 policy.failure_threshold: must be 1 or more, got 0"),
    ("one host", "  standby:\n    address: 127.0.0.12\n", "",
     "inventory.yaml:3:3 hosts: needs at least 2 hosts"),
    ("relative sync path", "playbooks:\n", "sync:\n  - {name: webroot, path: shopcopy}\n"
     "playbooks:\n", "inventory.yaml:22:27 sync[0].path: 'shopcopy' is not an absolute path"),
    ("no key for a host", "    ssh: {user: root, port: 22}\n",
     "    ssh: {user: root, port: 2222}\n",
     "inventory.yaml:9:16 ssh.known_hosts: no host key for primary ([127.0.0.11]:2222) in"),
    ("preferred names unknown host", "failure_threshold: 3",
     "failure_threshold: 3\n  preferred: ovh",
     "inventory.yaml:21:14 policy.preferred: unknown host 'ovh'; hosts in the inventory: "
     "primary, standby"),
]


KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "known_hosts").write_text(f"127.0.0.11 {KEY}\n")
    (tmp_path / "failover.yaml").write_text("name: x\nsteps:\n  - dns: {to: \"{{ to }}\"}\n")
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    return path


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([FAILOVER, "-i", "inventory.yaml", *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False,
                          env={"PATH": "/usr/bin:/bin", "TEST_PDNS_KEY": "s3cret-key"})


def test_the_good_inventory_is_valid(tmp_path: Path) -> None:
    _write(tmp_path, GOOD)
    p = _run(tmp_path, "validate")
    assert p.returncode == 0, p.stderr
    assert "valid: site shop.test, 2 hosts" in p.stdout
    assert "s3cret-key" not in p.stdout + p.stderr


@pytest.mark.parametrize(("old", "new", "message"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_inventory_is_one_clear_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in GOOD
    _write(tmp_path, GOOD.replace(old, new, 1))
    p = _run(tmp_path, "validate")
    assert p.returncode == 2
    assert p.stdout == ""
    assert "Traceback" not in p.stderr
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith(message), p.stderr
    assert "s3cret-key" not in p.stderr
    assert not (tmp_path / ".failover").exists()  # nothing was created or changed

    check = _run(tmp_path, "check")  # Nagios reads 2 as CRITICAL: bad input is UNKNOWN
    assert check.returncode == 3
    assert check.stderr == p.stderr
    assert check.stdout == f"FAILOVER UNKNOWN - {lines[0]}\n"  # the status line says why


def test_an_empty_known_hosts_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, GOOD)
    (tmp_path / "known_hosts").write_text("")
    p = _run(tmp_path, "validate")
    assert p.returncode == 2
    assert p.stderr.startswith("inventory.yaml:9:16 ssh.known_hosts: no host key for primary "
                               "(127.0.0.11) in "), p.stderr
    assert _run(tmp_path, "check").returncode == 3


def test_an_undefined_playbook_variable_is_refused_with_its_line(tmp_path: Path) -> None:
    _write(tmp_path, GOOD)
    (tmp_path / "failover.yaml").write_text(
        "name: x\nsteps:\n  - check: {host: \"{{ to }}\"}\n  - dns: {to: \"{{ destination }}\"}\n")
    p = _run(tmp_path, "validate")
    assert p.returncode == 2
    assert p.stderr.strip() == (
        f"{tmp_path / 'failover.yaml'}:4:15 steps[1].dns.to: undefined variable 'destination' "
        "in '{{ destination }}'; defined here: from, run_id, site, to")


def test_validate_warns_about_an_http_check_without_expect_body_and_shows_the_policy(
        tmp_path: Path) -> None:
    _write(tmp_path, GOOD.replace("playbooks:\n", "sync:\n  - {name: webroot, path: /var/www/, "
                                                "max_delete: 50}\nplaybooks:\n"))
    p = _run(tmp_path, "validate")
    assert p.returncode == 0, p.stderr
    assert ("warning: checks[0] (web): an http check without expect_body passes on any page "
            "that answers 200") in p.stdout
    assert "policy: failure_threshold 3, recovery_threshold 5 (default), cooldown 30m " \
           "(default), auto_failover false (default: a person decides every failover)" in p.stdout
    assert ("sync webroot: max_delete 50, max_delete_percent 25 (default), keep_snapshots 3 "
            "(default)\n") in p.stdout
    assert f"state: {tmp_path / '.failover'} (default: .failover beside the inventory)\n" \
        in p.stdout


def test_usage_errors(tmp_path: Path) -> None:
    _write(tmp_path, GOOD)
    p = _run(tmp_path, "failover", "--to", "nowhere")
    assert p.returncode == 2
    assert p.stderr.strip() == "failover: --to: unknown host 'nowhere'; hosts: primary, standby"
    p = _run(tmp_path, "check", "--bogus")
    assert p.returncode == 3
    assert "No such option '--bogus'" in p.stderr
    assert p.stdout.startswith("FAILOVER UNKNOWN - usage error: No such option '--bogus'")


def test_acting_without_a_terminal_needs_yes(tmp_path: Path) -> None:
    _write(tmp_path, GOOD)
    (tmp_path / ".failover").mkdir()
    (tmp_path / ".failover" / "state.json").write_text('{"active": "primary"}')
    p = _run(tmp_path, "failover")
    assert p.returncode == 2
    assert "needs confirmation and there is no terminal; add --yes" in p.stderr


def test_corrupt_state_file(tmp_path: Path) -> None:
    _write(tmp_path, GOOD)
    (tmp_path / ".failover").mkdir()
    (tmp_path / ".failover" / "state.json").write_text('{"active": ')
    p = _run(tmp_path, "status")
    assert p.returncode == 2
    assert "state.json:1:12 is not valid JSON" in p.stderr
    assert "Traceback" not in p.stderr


def test_no_inventory_here_says_how_to_name_one(tmp_path: Path) -> None:
    p = subprocess.run([FAILOVER, "status"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=60, check=False, env={"PATH": "/usr/bin:/bin"})
    assert p.returncode == 2
    assert p.stderr == (f"inventory.yaml not found in {tmp_path}: give the site's inventory "
                        "with -i PATH, or set $FAILOVER_INVENTORY=PATH\n")
    p = subprocess.run([FAILOVER, "check"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=60, check=False,
                       env={"PATH": "/usr/bin:/bin", "FAILOVER_INVENTORY": "/nowhere/inv.yaml"})
    assert p.returncode == 3
    assert "/nowhere/inv.yaml not found ($FAILOVER_INVENTORY names it)" in p.stderr
    assert p.stdout.startswith("FAILOVER UNKNOWN - /nowhere/inv.yaml not found")


def test_version_and_help(tmp_path: Path) -> None:
    p = subprocess.run([FAILOVER, "--version"], capture_output=True, text=True, timeout=60,
                       check=False)
    assert p.returncode == 0
    assert re.fullmatch(r"failover \d+\.\d+\.\d+\S*\n", p.stdout), p.stdout
    for argv in ([FAILOVER, "--help"], [FAILOVER, "check", "--help"]):
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        assert p.returncode == 0
        assert "$FAILOVER_INVENTORY" in " ".join(p.stdout.split()), p.stdout  # -i's help
