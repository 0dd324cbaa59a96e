"""`failover init` against the rig: the live PowerDNS zone (with records that must stay
unmanaged), both hosts' real sshd. The inventory it writes validates, manages exactly the records
pointing at the primary, and its failover dry run passes; an existing file is never replaced
without --force; a host key that changes between the fetch and the confirmation is refused."""

from __future__ import annotations

import base64
import os
import pty
import select
import subprocess
import time
from pathlib import Path

import paramiko
import yaml

from tests.site import FAILOVER, ZONE, Site


def extra_records(site: Site) -> None:
    """The shop's zone as a real one looks: the records a flip moves, and others."""
    p, s = site.primary.address, site.standby.address
    site.rig.pdns.create_zone(ZONE, {
        ("@", "A"): (60, [p]), ("www", "A"): (60, [p]),
        ("@", "TXT"): (300, ['"v=spf1 mx -all"']),
        ("mail", "A"): (300, [s]),                      # points elsewhere
        ("both", "A"): (60, [p, s]),                    # a mix
        ("cdn", "CNAME"): (300, ["cdn.example.net."]),  # data only, never resolved
        ("app", "CNAME"): (300, ["primary.hosting.example."]),
        ("@", "MX"): (300, ["10 mx1.shop.test."]),
    })


def init_argv(site: Site, inventory: Path, *more: str) -> list[str]:
    ip = {h.name: h.address for h in (site.primary, site.standby)}
    return [FAILOVER, "-i", str(inventory), "init", "--site", "shop.test",
            "--host", f"primary={ip['primary']}", "--host", f"standby={ip['standby']}",
            "--webroot", f"primary={site.primary.webroot}/",
            "--webroot", f"standby={site.standby.webroot}/",
            "--ssh-key", str(site.rig.client_key), "--api-url", site.rig.pdns.api_url,
            "--nameserver", f"127.0.0.1:{site.rig.pdns.dns_port}",
            "--check-url", "http://shop.test/", "--expect-body", "Add to cart",
            "--control-target", f"tcp://127.0.0.1:{site.rig.pdns.api_port}",
            "--mail", "primary=mx1.shop.test", "--mail", "standby=mx2.shop.test",
            "--cname", "primary=primary.hosting.example.",
            "--cname", "standby=standby.hosting.example.", *more]


def run(argv: list[str], site: Site) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=site.env, capture_output=True, text=True, timeout=180,
                          stdin=subprocess.DEVNULL, check=False)


def key_fingerprint(public_line: str) -> str:
    """`ssh-ed25519 SHA256:...` of an OpenSSH public key line, as ssh-keygen -lf shows it."""
    kind, data = public_line.split()[:2]
    return f"{kind} {paramiko.PKey.from_type_string(kind, base64.b64decode(data)).fingerprint}"


def test_init_writes_a_site_that_validates_and_manages_only_the_primarys_records(
        site: Site, tmp_path: Path) -> None:
    extra_records(site)
    inventory = tmp_path / "new" / "inventory.yaml"
    inventory.parent.mkdir()
    p = run(init_argv(site, inventory, "--yes"), site)
    said = p.stdout + p.stderr
    assert p.returncode == 0, said
    ip1, ip2 = site.primary.address, site.standby.address
    assert f"  manage  @ A 60 {ip1}  (points at the primary)\n" in p.stdout
    assert f"  manage  www A 60 {ip1}  (points at the primary)\n" in p.stdout
    assert f"  leave   mail A 300 {ip2}  (points elsewhere)\n" in p.stdout
    assert f"  leave   both A 60 {ip1} {ip2}  (a mix of the primary and other addresses)\n" \
        in p.stdout
    assert "  leave   @ TXT 300 " in p.stdout
    assert "  leave   cdn CNAME 300 cdn.example.net.  (points elsewhere)\n" in p.stdout
    assert "  manage  app CNAME 300 primary.hosting.example.  (names the primary's)\n" in p.stdout
    assert "  manage  @ MX 300 10 mx1.shop.test.  (names the primary's)\n" in p.stdout
    for host in (site.primary, site.standby):
        assert (f"  {host.name} {host.address} port 22: "
                f"{key_fingerprint(host.host_key_pub)}\n") in p.stdout
    assert f"{inventory}: valid: site shop.test, 2 hosts, 1 zone(s)" in p.stdout
    assert "expect_body" not in p.stdout  # the storefront check names the shop's own text

    text = inventory.read_text()
    assert text.startswith("# yaml-language-server: $schema=./inventory.schema.json\n")
    data = yaml.safe_load(text)
    assert data["dns"][0]["records"] == [
        {"name": "@", "type": "A", "ttl": 60},
        {"name": "@", "type": "MX", "ttl": 300,
         "values": {"primary": "10 mx1.shop.test.", "standby": "10 mx2.shop.test."}},
        {"name": "app", "type": "CNAME", "ttl": 300,
         "values": {"primary": "primary.hosting.example.", "standby": "standby.hosting.example."}},
        {"name": "www", "type": "A", "ttl": 60}]
    assert data["dns"][0]["api_key"] == "${PDNS_API_KEY}"
    folder = inventory.parent
    assert sorted(p.name for p in (folder / "playbooks").iterdir()) == [
        "failback.yaml", "failover.yaml", "warm.yaml"]
    assert (folder / "inventory.schema.json").is_file()
    assert (folder / "known_hosts").read_text().splitlines() == [
        f"{h.address} {' '.join(h.host_key_pub.split()[:2])}"
        for h in (site.primary, site.standby)]
    for path in folder.rglob("*"):  # the key only ever as ${PDNS_API_KEY}
        assert not path.is_file() or site.rig.pdns.api_key not in path.read_text(), path
    assert site.rig.pdns.api_key not in said

    dry = run([FAILOVER, "-i", str(inventory), "failover", "--to", "standby", "--dry-run"], site)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "10 mx2.shop.test." in dry.stdout  # the MX moves with the site
    assert site.dns() == {ZONE: [ip1], "www." + ZONE: [ip1]}

    before = text
    again = run(init_argv(site, inventory, "--yes"), site)
    assert again.returncode == 2, again.stdout + again.stderr
    assert again.stderr.startswith(f"failover: {inventory}, ")
    assert "already exist(s); nothing was written. Add --force to replace them" in again.stderr
    assert inventory.read_text() == before
    forced = run(init_argv(site, inventory, "--yes", "--force"), site)
    assert forced.returncode == 0, forced.stdout + forced.stderr


def test_a_host_key_that_changes_before_the_confirmation_is_refused(site: Site,
                                                                     tmp_path: Path) -> None:
    extra_records(site)
    inventory = tmp_path / "new" / "inventory.yaml"
    inventory.parent.mkdir()
    terminal, tty = pty.openpty()
    try:
        proc = subprocess.Popen(init_argv(site, inventory), env=site.env, stdin=tty,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finally:
        os.close(tty)
    try:
        asked, deadline = "", time.monotonic() + 60
        assert proc.stderr is not None
        while "[y/N]" not in asked:  # the fingerprints are shown and the question asked
            assert time.monotonic() < deadline, asked
            if select.select([proc.stderr], [], [], 0.5)[0]:
                asked += os.read(proc.stderr.fileno(), 4096).decode()
        with site.standby.wrong_host_key():  # the standby's key changes now
            os.write(terminal, b"y\n")
            stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        os.close(terminal)
    assert proc.returncode == 1, stdout + stderr
    assert "failover: host key of standby changed between the fetch and the login: you " \
           "confirmed ssh-ed25519 SHA256:" in stderr
    assert "Nothing was written." in stderr
    assert list(inventory.parent.iterdir()) == []


def test_without_a_terminal_every_missing_answer_is_named_and_nothing_written(
        tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.yaml"
    env = {k: v for k, v in os.environ.items() if k != "PDNS_API_KEY"}
    p = subprocess.run([FAILOVER, "-i", str(inventory), "init", "--site", "shop.example",
                        "--host", "ovh-gra=203.0.113.10"], env=env, capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL, check=False)
    assert p.returncode == 2, p.stdout + p.stderr
    assert p.stderr == ("failover: init needs --host NAME=ADDRESS (twice or more), --ssh-key, "
                        "--api-url, --webroot (no terminal to ask)\n")
    bad = subprocess.run([FAILOVER, "-i", str(inventory), "init", "--host", "ovh-gra"], env=env,
                         capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                         check=False)
    assert bad.returncode == 2
    assert bad.stderr == "failover: --host 'ovh-gra': write NAME=VALUE\n"
    nokey = subprocess.run([FAILOVER, "-i", str(inventory), "init", "--site", "shop.example",
                            "--host", "a=192.0.2.1", "--host", "b=192.0.2.2", "--ssh-key", "k",
                            "--api-url", "http://127.0.0.1:9", "--webroot", "/srv/shop/"],
                           env=env, capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL, check=False)
    assert nokey.returncode == 2
    assert nokey.stderr == ("failover: $PDNS_API_KEY is not set: init reads the zone with the "
                            "API key it holds (the inventory gets ${PDNS_API_KEY}, never the "
                            "key)\n")
    assert list(tmp_path.iterdir()) == []


def test_on_a_terminal_init_asks_for_what_the_flags_do_not_give(site: Site,
                                                                tmp_path: Path) -> None:
    extra_records(site)
    inventory = tmp_path / "asked" / "inventory.yaml"
    inventory.parent.mkdir()
    answers = [("Site (the shop's domain)", "shop.test"),
               ("primary host (NAME=ADDRESS)", f"primary={site.primary.address}"),
               ("standby host (NAME=ADDRESS)", f"standby={site.standby.address}"),
               ("SSH private key file", str(site.rig.client_key)),
               ("PowerDNS API URL", site.rig.pdns.api_url),
               ("The shop's files on the hosts (path)", f"{site.primary.webroot}/"),
               ("[y/N]", "y")]
    terminal, tty = pty.openpty()
    try:
        proc = subprocess.Popen([FAILOVER, "-i", str(inventory), "init", "--control-target",
                                 f"tcp://127.0.0.1:{site.rig.pdns.api_port}"], env=site.env,
                                stdin=tty, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    finally:
        os.close(tty)
    asked = ""
    try:
        assert proc.stderr is not None
        for question, answer in answers:  # each answer once its question is on the screen
            deadline = time.monotonic() + 60
            while question not in asked:
                assert time.monotonic() < deadline, asked
                if select.select([proc.stderr], [], [], 0.5)[0]:
                    asked += os.read(proc.stderr.fileno(), 4096).decode()
            asked = asked.split(question, 1)[1]
            os.write(terminal, answer.encode() + b"\n")
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        os.close(terminal)
    assert proc.returncode == 0, stdout + stderr
    assert f"{inventory}: valid: site shop.test, 2 hosts" in stdout
    data = yaml.safe_load(inventory.read_text())
    assert list(data["hosts"]) == ["primary", "standby"]
    assert data["sync"][0]["path"] == {h: f"{site.primary.webroot}/"
                                       for h in ("primary", "standby")}
