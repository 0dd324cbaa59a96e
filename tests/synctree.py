"""Helpers for the sync tests (issue 4): an inventory on the rig, trees to fill and compare."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from pathlib import Path
from typing import Any

from failover.model.inventory import Inventory
from failover.sync.mirror import Mirror
from tests.rig import Rig


def make_inventory(rig: Rig, tmp_path: Path, **sync: Any) -> Inventory:
    """Hosts primary/standby of the rig; set `webroot` lives in each host's own data dir."""
    hosts = {name: {"address": h.address,
                    "ssh": {"user": "root", "identity": str(rig.client_key)}}
             for name, h in rig.hosts.items()}
    paths = {name: str(h.data_dir / tmp_path.name / "www") for name, h in rig.hosts.items()}
    return Inventory.parse({
        "site": "shop.test", "path": str(tmp_path / "inventory.yaml"),
        "state_dir": str(tmp_path / ".failover"), "hosts": hosts,
        "ssh": {"known_hosts": str(rig.known_hosts), "connect_timeout": 2},
        "dns": [{"provider": "powerdns", "zone": "shop.test.", "api_url": "http://127.0.0.1:1",
                 "api_key": "x", "records": [{"name": "@", "type": "A"}]}],
        "checks": [{"name": "ssh", "type": "tcp", "port": 22}],
        "sync": [{"name": "webroot", "path": paths, "exclude": ["var/cache/", "*.log"],
                  "max_delete": 10, **sync}],
    })


def published(rig: Rig, tmp_path: Path, files: int = 20,
              **sync: Any) -> tuple[Mirror, Path, Path]:
    """Set `webroot` with `files` files of v1 pulled from the primary and pushed to the standby:
    (its mirror, the primary's path, the standby's path)."""
    inv = make_inventory(rig, tmp_path, **sync)
    primary, standby = www(inv, "primary"), www(inv, "standby")
    fill(primary, "v1", files=files)
    mirror = Mirror(inv)
    mirror.pull("webroot", "primary")
    mirror.push("webroot", "standby")
    return mirror, primary, standby


def settled(path: Path) -> None:
    """Wait until the host's work after an atomic push to `path` is done (release.py: it holds
    `<path>.releases/.lock`; none yet: nothing to wait for). The rig's hosts share this
    machine's file system."""
    with contextlib.suppress(FileNotFoundError), open(f"{path}.releases/.lock") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)


def www(inv: Inventory, host: str) -> Path:
    """The set's path on `host` (for an atomic set: the `current` symlink)."""
    return Path(inv.sync_set("webroot").path_on(host).rstrip("/"))


def fill(root: Path, version: str, files: int = 20, size: int = 1000) -> None:
    """`files` files in two folders, each holding `version` and random bytes."""
    for i in range(files):
        path = root / f"d{i % 2}" / f"f{i:04d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(version.encode() + b"\n" + os.urandom(size))
    (root / "index.html").write_text(f"<h1>Add to cart</h1> {version}\n")
    if not (root / "link").is_symlink():
        (root / "link").symlink_to("index.html")


def fill_shop(root: Path) -> None:
    (root / "img").mkdir(parents=True)
    (root / "var" / "cache").mkdir(parents=True)
    (root / "index.html").write_text("<h1>Add to cart</h1>\n")
    (root / "style.css").write_text("body{}\n")
    (root / "img" / "logo.bin").write_bytes(os.urandom(200_000))
    (root / "img" / "a name with spaces.png").write_bytes(b"\x89PNG")
    (root / "current").symlink_to("index.html")
    (root / "var" / "cache" / "page.cache").write_text("cached\n")
    (root / "error.log").write_text("noise\n")


def tree(root: Path) -> dict[str, str]:
    """relative path -> sha256 (or link target, or "dir") for a whole tree."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = "-> " + os.readlink(path)
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            out[rel] = "dir"
    return out


def versions(root: Path) -> set[str]:
    """The first line of every .bin file, read through ONE open of `root` (a snapshot)."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        seen = set()
        for sub in ("d0", "d1"):
            sub_fd = os.open(sub, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            try:
                for name in os.listdir(sub_fd):
                    f = os.open(name, os.O_RDONLY, dir_fd=sub_fd)
                    try:
                        seen.add(os.read(f, 16).split(b"\n", 1)[0].decode())
                    finally:
                        os.close(f)
            finally:
                os.close(sub_fd)
        return seen
    finally:
        os.close(fd)
