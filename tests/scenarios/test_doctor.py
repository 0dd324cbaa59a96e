"""`failover doctor` on the rig: the shipped site passes; each thing a failover would trip on
(rsync or flock missing on the standby, a wrong DNS API key, a host clock off by an hour) is a
PROBLEM line with what to do, and exit 1. Nothing is changed by doctor itself."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import pytest

from tests.rig.dnsservers import DnsServers
from tests.site import Site

BIND_ZONE = "two.test."


def test_doctor_passes_on_the_rig(site: Site) -> None:
    p = site.run("doctor")
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    for host in (site.primary, site.standby):
        assert (f"ok       {host.name}: ssh root@{host.address} port 22: host key verified, "
                "login works") in out
        assert f"ok       {host.name}: flock" in out
        assert f"ok       {host.name}: rsync 3." in out
        assert f"ok       {host.name}: clock within" in out
    assert "ok       standby: sync set webroot: " in out
    assert "ok       dns shop.test.: powerdns: credentials read the zone (2 of 2 managed " \
           "records present)" in out
    assert "state folder:" in out
    assert "PROBLEM" not in out
    assert out.splitlines()[-1].startswith("doctor: 0 problem(s), ")
    assert not site.state_dir.exists()  # it changed nothing, not even the state folder


@pytest.mark.parametrize(("tool", "said", "fix"), [
    ("rsync", "PROBLEM  standby: no rsync on the PATH of its ssh sessions: syncs fall back to "
              "SFTP", "-> install rsync >= 3.1.3 there"),
    ("flock", "PROBLEM  standby: no flock on the PATH of its ssh sessions",
              "-> install util-linux there (it provides flock)"),
])
def test_a_tool_missing_on_the_standby_is_a_problem(site: Site, tool: str, said: str,
                                                    fix: str) -> None:
    with site.standby.hide_tools(tool):
        p = site.run("doctor")
    assert p.returncode == 1, p.stdout + p.stderr
    assert said in p.stdout
    assert fix in p.stdout
    assert f"ok       primary: {tool}" in p.stdout  # the other host keeps its own
    assert p.stdout.splitlines()[-1] == (
        "doctor: 1 problem(s), 0 warning(s); not ready: fix the problems above before relying "
        "on a failover")


def test_a_wrong_dns_api_key_is_a_problem_and_never_printed(site: Site) -> None:
    wrong = "not-the-key-" + os.urandom(4).hex()
    p = site.run("doctor", "--json", PDNS_API_KEY=wrong)
    assert p.returncode == 1, p.stdout + p.stderr
    assert wrong not in p.stdout + p.stderr
    doc = json.loads(p.stdout)
    assert doc["ready"] is False
    [found] = [f for f in doc["findings"] if f["level"] == "problem"]
    assert found["subject"] == "dns shop.test."
    assert "API key rejected (HTTP 401)" in found["text"]
    assert "check dns[0]'s credentials (api_url, api_key)" in found["fix"]


def skewed_clock(site: Site, tmp: Path, seconds: int) -> None:
    """The standby's ssh sessions get a PATH whose `date` runs `seconds` ahead (the namespaces
    share one clock and one filesystem: a wrapper first on that host's PATH is its clock)."""
    bin_dir = tmp / "skewed-bin"
    bin_dir.mkdir()
    for src in (Path("/usr/bin"), Path("/bin"), Path("/usr/sbin")):
        for tool in src.iterdir():
            link = bin_dir / tool.name
            if tool.name != "date" and not link.exists() and not link.is_symlink():
                link.symlink_to(tool)
    date = bin_dir / "date"
    date.write_text(f'#!/bin/sh\nexec /bin/date -d "@$(( $(/bin/date +%s) + {seconds} ))" "$@"\n')
    date.chmod(0o755)
    sshd = site.standby.sshd
    sshd.extra_options = [f"SetEnv PATH={bin_dir}"]  # host_reset puts the plain PATH back
    sshd.stop()
    sshd.start()


def test_a_host_clock_an_hour_off_is_a_problem(site: Site, tmp_path: Path) -> None:
    skewed_clock(site, tmp_path, 3600)
    p = site.run("doctor")
    assert p.returncode == 1, p.stdout + p.stderr
    assert re.search(r"^PROBLEM  standby: clock 3[56]\d\d s ahead of this checker's: TSIG-signed "
                     "DNS updates are refused past 5 minutes", p.stdout, re.MULTILINE), p.stdout
    assert "-> run NTP on the host (systemd-timesyncd or chrony)" in p.stdout
    assert "ok       primary: clock within" in p.stdout


def test_an_rfc2136_zone_is_proven_writable_by_a_no_op_update(site: Site, dns_servers: DnsServers,
                                                               ) -> None:
    bind = dns_servers.bind
    ip = site.primary.address
    bind.set_records(BIND_ZONE, {("@", "A"): (60, [ip]), ("www", "A"): (60, [ip])})
    site.env["TSIG_SECRET"] = bind.secret
    site.edit(lambda inv: inv["dns"].append({
        "provider": "rfc2136", "zone": BIND_ZONE, "server": bind.server, "timeout": "3s",
        "tsig": {"name": bind.key_name, "algorithm": "hmac-sha256", "secret": "${TSIG_SECRET}"},
        "nameservers": [bind.server], "records": [{"name": "@", "type": "A", "ttl": 60}]}))
    p = site.run("doctor")
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"ok       dns {BIND_ZONE}: rfc2136: credentials read the zone (1 of 1 managed " \
           "records present)" in p.stdout
    assert f"ok       dns {BIND_ZONE}: write: a no-op UPDATE (a prerequisite only) was " \
           "accepted" in p.stdout
    assert bind.query(BIND_ZONE) == [ip]  # and nothing changed

    wrong = base64.b64encode(os.urandom(32)).decode()
    p = site.run("doctor", TSIG_SECRET=wrong)
    assert p.returncode == 1, p.stdout + p.stderr
    assert f"PROBLEM  dns {BIND_ZONE}: cannot read the zone: " in p.stdout
    assert "BADSIG" in p.stdout
    assert "-> check dns[1]'s credentials (server, tsig)" in p.stdout
    assert wrong not in p.stdout + p.stderr
    assert bind.secret not in p.stdout + p.stderr
