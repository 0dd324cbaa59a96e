"""`pip install .` of the project alone (no extras) gives a `failover` that flips a Route 53 zone:
boto3 is a plain dependency. A fresh venv, pip's own cache and configuration (so it stays fast),
moto's Route 53 server over HTTP, and the rig's hosts for the target's checks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.rig import Rig
from tests.rig.dnsservers import DnsServers
from tests.site import REPO

ZONE = "installed.test."


def _sources(dest: Path) -> Path:
    """The project's files pip needs, copied so a build never writes into the worktree."""
    dest.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, dest / name)
    shutil.copytree(REPO / "failover", dest / "failover",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def _inventory(tmp: Path, rig: Rig, moto_url: str) -> Path:
    (tmp / "flip.yaml").write_text(
        "name: Flip\nsteps:\n"
        "  - check: {host: \"{{ to }}\"}\n"
        "  - dns: {to: \"{{ to }}\"}\n")
    inv = {
        "site": "installed.test",
        "hosts": {name: {"address": rig.hosts[name].address} for name in ("primary", "standby")},
        "ssh": {"known_hosts": str(rig.known_hosts)},
        "dns": [{"provider": "route53", "zone": ZONE, "endpoint_url": moto_url, "timeout": "10s",
                 "records": [{"name": "@", "type": "A", "ttl": 60},
                             {"name": "www", "type": "A", "ttl": 60}]}],
        "checks": [{"name": "ssh-port", "type": "tcp", "port": 22, "timeout": "3s"}],
        "playbooks": {"flip": "flip.yaml"},
    }
    path = tmp / "inventory.yaml"
    path.write_text(json.dumps(inv))  # JSON is YAML
    return path


def test_pip_install_without_extras_flips_a_route53_zone(rig: Rig, dns_servers: DnsServers,
                                                        tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    src = _sources(tmp_path / "src")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    # -v: an older pip (this venv's, from ensurepip) shows the build backend's warnings only so
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-v", str(src)],
                         capture_output=True, text=True, timeout=900, check=False)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    build = (pip.stdout + pip.stderr).lower()
    assert "deprecat" not in build, build  # e.g. the `project.license` table (SPDX string now)
    listed = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format=json"],
                            capture_output=True, text=True, timeout=120, check=True).stdout
    installed = {p["name"].lower() for p in json.loads(listed)}
    assert {"boto3", "dnspython", "paramiko", "click", "pyyaml"} <= installed
    assert not installed & {"dns-lexicon", "moto", "pytest"}  # no extras came along

    ip = {name: rig.hosts[name].address for name in ("primary", "standby")}
    zone_id = dns_servers.moto.create_zone(ZONE, {("@", "A"): (60, [ip["primary"]]),
                                                  ("www", "A"): (60, [ip["primary"]])})
    inventory = _inventory(tmp_path, rig, dns_servers.moto.url)
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"),
           **dns_servers.aws_env()}
    failover = str(venv / "bin" / "failover")
    p = subprocess.run([failover, "run", "flip", "--to", "standby", "--yes", "-i", str(inventory)],
                       env=env, capture_output=True, text=True, timeout=300, check=False,
                       cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert dns_servers.moto.values(zone_id, ZONE) == [ip["standby"]]
    assert dns_servers.moto.values(zone_id, "www." + ZONE) == [ip["standby"]]

    show = subprocess.run([failover, "dns", "show", "--json", "-i", str(inventory)], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert show.returncode == 0, show.stderr
    assert json.loads(show.stdout)["points_at"] == "standby"
