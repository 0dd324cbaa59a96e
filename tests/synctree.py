"""Helpers for the sync tests (issue 4): an inventory on the rig, trees to fill and compare."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import random
import shutil
from pathlib import Path
from typing import Any

from failover.model.inventory import Inventory
from failover.sync.mirror import Mirror
from tests.rig import Rig


def make_inventory(rig: Rig, tmp_path: Path, **sync: Any) -> Inventory:
    """Hosts primary/standby of the rig; set `webroot` lives in each host's own data dir."""
    return Inventory.parse(inventory_doc(rig, tmp_path, **sync))


def inventory_doc(rig: Rig, tmp_path: Path, **sync: Any) -> dict[str, Any]:
    """make_inventory's document (plain data: JSON for a process of its own)."""
    hosts = {name: {"address": h.address,
                    "ssh": {"user": "root", "identity": str(rig.client_key)}}
             for name, h in rig.hosts.items()}
    paths = {name: str(h.data_dir / tmp_path.name / "www") for name, h in rig.hosts.items()}
    return {
        "site": "shop.test", "path": str(tmp_path / "inventory.yaml"),
        "state_dir": str(tmp_path / ".failover"), "hosts": hosts,
        "ssh": {"known_hosts": str(rig.known_hosts), "connect_timeout": 2},
        "dns": [{"provider": "powerdns", "zone": "shop.test.", "api_url": "http://127.0.0.1:1",
                 "api_key": "x", "records": [{"name": "@", "type": "A"}]}],
        "checks": [{"name": "ssh", "type": "tcp", "port": 22}],
        "sync": [{"name": "webroot", "path": paths, "exclude": ["var/cache/", "*.log"],
                  "max_delete": 10, **sync}],
    }


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


def mirror_settled(state_dir: Path, set_name: str = "webroot") -> None:
    """Wait until the work after the last pull of `set_name` is done (snapshots.py: it holds
    `<state_dir>/mirror/.snapshots/<set>/.lock`; none yet: nothing to wait for)."""
    lock_path = state_dir / "mirror" / ".snapshots" / set_name / ".lock"
    with contextlib.suppress(FileNotFoundError), open(lock_path) as lock:
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


SHOP_FOLDERS = ("assets/css", "assets/js", "catalog/p1", "catalog/p2", "blog")


def shop_tree(root: Path, rng: random.Random) -> None:
    """A shop's files in folders, from a seeded generator: 3-5 files of 10-3,000 bytes in each
    of SHOP_FOLDERS, and a symlink `latest -> blog`."""
    for folder in SHOP_FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True)
        for i in range(rng.randint(3, 5)):
            (root / folder / f"f{i}.txt").write_bytes(rng.randbytes(rng.randint(10, 3000)))
    if not (root / "latest").is_symlink():
        (root / "latest").symlink_to("blog")


def mutate(root: Path, rng: random.Random) -> None:
    """A seeded day of a shop on `root` (made by shop_tree): three files changed in size, a
    same-size rewrite within the same second, a permission change, two files deleted, the
    folder catalog/p2 deleted, new files in old folders and in a new folder, and files the
    inventory excludes (*.log, cache/). index.html is left alone (the storefront check)."""
    pool = sorted(p for p in root.rglob("*.txt") if p.is_file() and "catalog/p2" not in str(p)
                  and not p.is_symlink())
    picked = rng.sample(pool, 7)
    for path in picked[:3]:
        path.write_bytes(rng.randbytes(rng.randint(3001, 4000)))
    rewrite = picked[3]
    before = rewrite.stat()
    rewrite.write_bytes(rng.randbytes(before.st_size))
    os.utime(rewrite, ns=(before.st_atime_ns, before.st_mtime_ns + rng.randint(1, 999)))
    picked[4].chmod(0o600)
    for path in picked[5:7]:
        path.unlink()
    shutil.rmtree(root / "catalog" / "p2")
    for i in range(2):
        folder = root / rng.choice([f for f in SHOP_FOLDERS if f != "catalog/p2"])
        (folder / f"new{i}.txt").write_bytes(rng.randbytes(rng.randint(10, 500)))
    (root / "promo" / "2025").mkdir(parents=True)
    for i in range(2):
        (root / "promo" / "2025" / f"banner{i}.txt").write_bytes(rng.randbytes(100))
    (root / "debug.log").write_text("excluded\n")
    (root / "cache").mkdir(exist_ok=True)
    (root / "cache" / "page.html").write_text("excluded\n")
