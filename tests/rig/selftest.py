"""Checks run by ``python -m tests.rig selftest``: each takes a running Rig, returns a detail
string, raises AssertionError/RigError on failure.  (Printing happens in __main__.)"""

from __future__ import annotations

import filecmp
import logging
import os
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from . import Rig
from .proc import RigError

log = logging.getLogger(__name__)


def connect_result(address: str, port: int, timeout: float) -> str:
    """ "connected", "timeout" or "refused" (or another errno name) for a TCP connect."""
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return "connected"
    except TimeoutError:
        return "timeout"
    except ConnectionRefusedError:
        return "refused"
    except OSError as exc:
        return f"error {exc.errno}"


def check_ssh(rig: Rig) -> str:
    out = []
    for h in rig.hosts.values():
        cp = h.ssh(["sh", "-c", "echo $(id -un)@$SSH_CONNECTION"])
        assert cp.returncode == 0, f"{h.name}: rc {cp.returncode} {cp.stderr.strip()}"
        assert cp.stdout.startswith("root@"), cp.stdout
        out.append(f"{h.name}={cp.stdout.split()[-2]}")
    return "key login, strict known_hosts: " + " ".join(out)


def _tree(root: Path) -> None:
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "index.html").write_text("<h1>shop</h1>\n")
    (root / "sub" / "deeper" / "a.txt").write_text("a\n")
    (root / "blob.bin").write_bytes(os.urandom(200_000))
    (root / "link").symlink_to("index.html")


def check_rsync(rig: Rig) -> str:
    src = rig.dir / "selftest-src"
    _tree(src)
    dest = rig.standby.data_dir / "mirror"
    argv = [
        "rsync",
        "-a",
        "--delete",
        "-e",
        rig.rsync_rsh(),
        f"{src}/",
        f"root@{rig.standby.address}:{dest}/",
    ]
    cp = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert cp.returncode == 0, f"rsync rc {cp.returncode}: {cp.stderr.strip()}"
    cmp = filecmp.dircmp(src, dest)
    assert not cmp.left_only, f"missing on standby: {cmp.left_only}"
    assert not cmp.right_only, f"extra on standby: {cmp.right_only}"
    assert not cmp.diff_files, f"differing: {cmp.diff_files}"
    assert (dest / "link").is_symlink()
    # host to host, from inside the primary namespace
    argv[-2:] = [f"{src}/", f"root@{rig.standby.address}:{rig.standby.data_dir}/h2h/"]
    cp = rig.primary.run(argv)
    assert cp.returncode == 0, f"host-to-host rsync rc {cp.returncode}: {cp.stderr.strip()}"
    return "root ns -> standby and primary ns -> standby, trees identical"


def check_http(rig: Rig) -> str:
    p, s = rig.primary, rig.standby
    (p.webroot / "index.html").write_text("primary\n")
    assert p.get("/") == (200, b"primary\n"), p.get("/")
    assert p.get("/health") == (200, b"ok\n")
    assert p.get("/missing")[0] == 404
    release = s.dir / "releases" / "r1"
    release.mkdir(parents=True)
    (release / "index.html").write_text("release r1\n")
    s.webroot.rmdir()
    assert s.get("/health") == (200, b"ok\n"), "health without webroot"
    s.webroot.symlink_to(release)
    assert s.get("/") == (200, b"release r1\n"), s.get("/")
    return "GET /, /health (also with missing and symlinked webroot), 404"


def check_pdns(rig: Rig) -> str:
    ip1, ip2 = rig.primary.address, rig.standby.address
    rig.pdns.create_zone("shop.test.", {("@", "A"): (60, [ip1]), ("www", "A"): (60, [ip1])})
    assert rig.pdns.query("www.shop.test.", "A") == [ip1]
    assert rig.pdns.query("shop.test.", "NS") == ["ns1.shop.test."]
    rig.pdns.set_records("shop.test.", {("www", "A"): (60, [ip2, ip1])})
    assert rig.pdns.query("www.shop.test.", "A") == sorted([ip1, ip2])
    assert rig.pdns.query("nope.shop.test.", "A") == []
    rig.pdns.create_zone("shop.test.", {("www", "A"): (60, [ip2])})  # replace
    assert rig.pdns.query("www.shop.test.", "A") == [ip2]
    rig.pdns.delete_zone("shop.test.")
    assert rig.pdns.query("www.shop.test.", "A") == []
    return "create_zone/query/PATCH/replace/delete"


def check_pdns_restart(rig: Rig) -> str:
    rig.pdns.create_zone("keep.test.", {("www", "A"): (60, [rig.primary.address])})
    rig.pdns.stop()
    assert not rig.pdns.is_accessible()
    try:
        rig.pdns.query("www.keep.test.", "A", timeout=0.5)
        raise AssertionError("DNS answered while pdns was stopped")
    except RigError:
        pass
    rig.pdns.start()
    assert rig.pdns.query("www.keep.test.", "A") == [rig.primary.address]
    return "stop -> API and DNS down; start -> zone still there"


def check_link_down(rig: Rig) -> str:
    p = rig.primary
    with p.link_down():
        t = time.monotonic()
        res = connect_result(p.address, 80, 1.5)
        waited = time.monotonic() - t
        assert res == "timeout", f"connect while link down: {res}"
        assert connect_result(rig.standby.address, 80, 2) == "connected"
    assert connect_result(p.address, 80, 2) == "connected", "after link_up"
    return f"primary:80 connect timed out after {waited:.2f}s; standby fine; back after up"


def check_http_stop(rig: Rig) -> str:
    p = rig.primary
    with p.stop_http():
        assert connect_result(p.address, 80, 2) == "refused"
        assert p.ssh(["true"]).returncode == 0
    assert p.get("/health")[0] == 200
    return "connect refused while stopped, back after start_http"


def check_wrong_host_key(rig: Rig) -> str:
    p = rig.primary
    with p.wrong_host_key() as undo:
        assert undo.value != p.host_key_pub
        cp = p.ssh(["true"])
        assert cp.returncode == 255, f"rc {cp.returncode}"
        assert "Host key verification failed" in cp.stderr, cp.stderr
        assert rig.standby.ssh(["true"]).returncode == 0
    cp = p.ssh(["true"])
    assert cp.returncode == 0, f"after restore: rc {cp.returncode} {cp.stderr.strip()}"
    return "rejected by StrictHostKeyChecking=yes (rc 255); restored"


CHECKS: list[tuple[str, Callable[[Rig], str]]] = [
    ("ssh login", check_ssh),
    ("rsync to standby", check_rsync),
    ("http", check_http),
    ("pdns zone + query", check_pdns),
    ("pdns stop/start", check_pdns_restart),
    ("link down -> timeout", check_link_down),
    ("http stop/start", check_http_stop),
    ("wrong host key rejected", check_wrong_host_key),
]
