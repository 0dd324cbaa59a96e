"""bench/sync: push a 20,000-file / 500 MB tree to the rig's standby, full and 1% incremental.

Each of our transports is measured against bare `rsync -a -e ssh` of the same tree to the same
host, in the same run (same ssh options, same page cache): wall time and bytes sent.
Targets (issue 4): rsync path <= 1.15x bare rsync; SFTP incremental <= 3x bare rsync incremental.

    FAILOVER_RIG_NET=10.203.41 FAILOVER_RIG_PREFIX=i4 python bench/sync.py [--files N --mb M]
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from failover.model.inventory import Inventory
from failover.sync.mirror import Mirror
from tests.rig import Rig

REPEAT = 3


def make_tree(root: Path, files: int, total: int) -> list[Path]:
    rng = random.Random(4)
    sizes = [rng.randint(1, 2 * total // files) for _ in range(files)]
    paths = []
    for i, size in enumerate(sizes):
        path = root / f"d{i % 200:03d}" / f"f{i:05d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(size))
        paths.append(path)
    return paths


def change(paths: list[Path], share: float, round_: int) -> None:
    rng = random.Random(round_)
    for path in rng.sample(paths, int(len(paths) * share)):
        data = bytearray(path.read_bytes())
        data[: min(64, len(data))] = os.urandom(min(64, len(data)))
        path.write_bytes(bytes(data))


def inventory(rig: Rig, work: Path, name: str, tree: Path, **sync: object) -> Inventory:
    """One inventory per variant, each with its own state dir (as each site has) and the one tree
    as its mirror."""
    hosts = {h: {"address": rig.hosts[h].address,
                 "ssh": {"user": "root", "identity": str(rig.client_key)}} for h in rig.hosts}
    state = work / name
    (state / "mirror").mkdir(parents=True)
    (state / "mirror" / "tree").symlink_to(tree)
    return Inventory.model_validate({
        "site": "bench.test", "path": str(work / "inventory.yaml"), "state_dir": str(state),
        "hosts": hosts, "ssh": {"known_hosts": str(rig.known_hosts)},
        "dns": [{"provider": "powerdns", "zone": "bench.test.", "api_url": "http://127.0.0.1:1",
                 "api_key": "x", "records": [{"name": "@", "type": "A"}]}],
        "checks": [{"name": "ssh", "type": "tcp", "port": 22}],
        "sync": [{"name": "tree", "path": str(rig.standby.data_dir / name) + "/",
                  "max_delete": 100000, **sync}],
    })


def bare(rig: Rig, src: Path, name: str) -> int:
    dst = f"root@{rig.standby.address}:{rig.standby.data_dir / name}/"
    out = subprocess.run(["rsync", "-a", "--stats", "-e", rig.rsync_rsh(), f"{src}/", dst],
                         check=True, capture_output=True, text=True).stdout
    m = re.search(r"Total bytes sent: ([\d,]+)", out)
    return int(m.group(1).replace(",", "")) if m else 0


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    t0 = time.monotonic()
    sent = fn()
    return time.monotonic() - t0, sent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=20_000)
    ap.add_argument("--mb", type=int, default=500)
    ap.add_argument("--variants", default="rsync,rsync-atomic,sftp-atomic",
                    help="which of ours to run (comma-separated)")
    args = ap.parse_args()
    offset = int(os.environ.get("FAILOVER_RIG_PORT_OFFSET", "0"))
    rig = Rig(net=os.environ.get("FAILOVER_RIG_NET", "10.203.0"),
              prefix=os.environ.get("FAILOVER_RIG_PREFIX", "rig"),
              pdns_dns_port=5353 + offset, pdns_api_port=8081 + offset)
    work = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    rig.start()
    try:
        mirror_dir = work / "tree"
        mirror_dir.mkdir()
        ours = {name: inventory(rig, work, name, mirror_dir, **opts) for name, opts in {
            "rsync": {}, "rsync-atomic": {"atomic": True, "keep_releases": 2},
            "sftp-atomic": {"atomic": True, "transport": "sftp", "keep_releases": 2}}.items()}
        t0 = time.monotonic()
        paths = make_tree(mirror_dir, args.files, args.mb * 1_000_000)
        size = sum(p.stat().st_size for p in paths)
        print(f"tree: {len(paths)} files, {size / 1e6:.0f} MB (made in "
              f"{time.monotonic() - t0:.1f}s)")
        rows: dict[str, dict[str, list[tuple[float, int]]]] = {}

        def push(name: str) -> int:
            return Mirror(ours[name]).push("tree", "standby").bytes_sent

        runners: dict[str, Callable[[], int]] = {
            "bare rsync -a -e ssh": lambda: bare(rig, mirror_dir, "bare"),
            **{f"failover {n}": (lambda n=n: push(n)) for n in ours  # type: ignore[misc]
               if n in args.variants.split(",")}}
        for label, fn in runners.items():
            rows[label] = {"full": [timed(fn)], "incremental": []}
        for r in range(REPEAT):
            change(paths, 0.01, r)
            for label, fn in runners.items():
                rows[label]["incremental"].append(timed(fn))
        base = rows["bare rsync -a -e ssh"]
        print(f"{'':28} {'full s':>8} {'x bare':>7} {'MB sent':>8} | {'incr s':>7} "
              f"{'x bare':>7} {'MB sent':>8}")
        for label, r in rows.items():
            full_t, full_b = r["full"][0]
            inc_t = statistics.median(t for t, _ in r["incremental"])
            inc_b = statistics.median(b for _, b in r["incremental"])
            b_full = base["full"][0][0]
            b_inc = statistics.median(t for t, _ in base["incremental"])
            print(f"{label:28} {full_t:8.2f} {full_t / b_full:7.2f} {full_b / 1e6:8.1f} | "
                  f"{inc_t:7.2f} {inc_t / b_inc:7.2f} {inc_b / 1e6:8.2f}")
    finally:
        rig.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
