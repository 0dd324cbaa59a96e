"""bench/sync: push a 20,000-file / 500 MB tree to the rig's standby, full and 1% incremental.

Each of our transports is measured against bare `rsync -a -e ssh` of the same tree to the same
host, in the same run (same ssh options, same page cache): wall time and bytes sent.
Targets (issue 4): rsync path <= 1.15x bare rsync; SFTP incremental <= 3x bare rsync incremental.

Fairness, on a shared and noisy machine: every timed push starts after `sync` (so one run's
write-back does not land on the next), the order of the runs rotates each round, full pushes
are repeated (the targets emptied in between, untimed) and the medians are compared; every
round's time is printed. An atomic push leaves work on the host after its session (the next
stage, old releases removed; release.py): the bench waits for it (untimed, printed) before the
next run, so it never runs beside another one.

A plain set (`atomic: false`) must not leave a half-updated tree and must resume a cut transfer,
which the issue asks of rsync's `--delay-updates` and `--partial-dir`; rsync itself is slower
with them than bare `rsync -a`, so a second baseline row, bare rsync with those options, shows
what our plain push adds on top of them.

    FAILOVER_RIG_NET=10.203.41 FAILOVER_RIG_PREFIX=i4 python -m bench.sync [--files N --mb M]
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

from bench.rigsite import inventory_doc
from failover.model.inventory import Inventory
from failover.sync.mirror import Mirror
from failover.sync.rsync import PARTIAL_DIR
from tests.rig import Rig
from tests.synctree import settled

FULL_ROUNDS = 5
INCREMENTAL_ROUNDS = 7


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
    state = work / name
    (state / "mirror").mkdir(parents=True)
    (state / "mirror" / "tree").symlink_to(tree)
    return Inventory.parse(inventory_doc(rig, work, state, [
        {"name": "tree", "path": str(rig.standby.data_dir / name) + "/", "max_delete": 100000,
         **sync}]))


PLAIN_OPTIONS = ["--delay-updates", f"--partial-dir={PARTIAL_DIR}", "--delete-delay"]


def bare(rig: Rig, src: Path, name: str, options: list[str] | None = None) -> int:
    dst = f"root@{rig.standby.address}:{rig.standby.data_dir / name}/"
    out = subprocess.run(["rsync", "-a", *(options or []), "--stats", "-e", rig.rsync_rsh(),
                          f"{src}/", dst], check=True, capture_output=True, text=True).stdout
    m = re.search(r"Total bytes sent: ([\d,]+)", out)
    return int(m.group(1).replace(",", "")) if m else 0


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    os.sync()
    t0 = time.monotonic()
    sent = fn()
    return time.monotonic() - t0, sent


def rotated(labels: list[str], round_: int) -> list[str]:
    k = round_ % len(labels)
    return labels[k:] + labels[:k]


def empty(path: Path) -> None:
    """Remove a pushed tree (and an atomic set's releases) so the next push is a full one."""
    for p in (path, Path(f"{path}.releases")):
        if p.is_symlink():
            p.unlink()
        elif p.exists():
            shutil.rmtree(p)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=20_000)
    ap.add_argument("--mb", type=int, default=500)
    ap.add_argument("--variants", default="rsync,rsync-atomic,sftp-atomic",
                    help="which of ours to run (comma-separated)")
    args = ap.parse_args()
    rig = Rig.from_env()
    work = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    rig.start()
    try:
        mirror_dir = work / "tree"
        mirror_dir.mkdir()
        ours = {name: inventory(rig, work, name, mirror_dir, **opts) for name, opts in {
            "rsync": {}, "rsync-atomic": {"atomic": True, "keep_releases": 2},
            "sftp-atomic": {"atomic": True, "transport": "sftp", "keep_releases": 2}}.items()
            if name in args.variants.split(",")}
        t0 = time.monotonic()
        paths = make_tree(mirror_dir, args.files, args.mb * 1_000_000)
        size = sum(p.stat().st_size for p in paths)
        print(f"tree: {len(paths)} files, {size / 1e6:.0f} MB (made in "
              f"{time.monotonic() - t0:.1f}s)")

        def push(name: str) -> int:
            return Mirror(ours[name]).push("tree", "standby").bytes_sent

        def reset(name: str) -> None:
            empty(rig.standby.data_dir / name)
            shutil.rmtree(work / name / "mirror" / ".pushed", ignore_errors=True)

        BARE, PLAIN = "bare rsync -a -e ssh", "bare + plain set options"
        runners: dict[str, Callable[[], int]] = {
            BARE: lambda: bare(rig, mirror_dir, "bare"),
            PLAIN: lambda: bare(rig, mirror_dir, "bare-plain", PLAIN_OPTIONS),
            **{f"failover {n}": (lambda n=n: push(n)) for n in ours}}  # type: ignore[misc]
        resets = {BARE: lambda: empty(rig.standby.data_dir / "bare"),
                  PLAIN: lambda: empty(rig.standby.data_dir / "bare-plain"),
                  **{f"failover {n}": (lambda n=n: reset(n)) for n in ours}}
        after: list[float] = []

        def run(label: str) -> tuple[float, int]:
            result = timed(runners[label])
            if "atomic" in label:
                t0 = time.monotonic()
                settled(rig.standby.data_dir / label.removeprefix("failover "))
                after.append(time.monotonic() - t0)
            return result
        rows: dict[str, dict[str, list[tuple[float, int]]]] = {
            label: {"full": [], "incremental": []} for label in runners}
        for r in range(FULL_ROUNDS):
            for label in rotated(list(runners), r):
                if r and "sftp" in label:
                    continue  # ~30 s a time, and no target for it: once is enough
                resets[label]()
                rows[label]["full"].append(run(label))
        for r in range(INCREMENTAL_ROUNDS):
            change(paths, 0.01, r)
            for label in rotated(list(runners), r):
                rows[label]["incremental"].append(run(label))
        def med(label: str, kind: str, i: int = 0) -> float:
            return statistics.median(sample[i] for sample in rows[label][kind])

        print(f"medians: {FULL_ROUNDS} full pushes (SFTP: 1), {INCREMENTAL_ROUNDS} incrementals")
        print(f"{'':28} {'full s':>8} {'x bare':>7} {'MB sent':>8} | {'incr s':>7} "
              f"{'x bare':>7} {'MB sent':>8}")
        for label in rows:
            print(f"{label:28} {med(label, 'full'):8.2f} "
                  f"{med(label, 'full') / med(BARE, 'full'):7.2f} "
                  f"{med(label, 'full', 1) / 1e6:8.1f} | {med(label, 'incremental'):7.2f} "
                  f"{med(label, 'incremental') / med(BARE, 'incremental'):7.2f} "
                  f"{med(label, 'incremental', 1) / 1e6:8.2f}")
        if "failover rsync" in rows:
            print("failover rsync x (bare + plain set options): full "
                  f"{med('failover rsync', 'full') / med(PLAIN, 'full'):.2f}, incremental "
                  f"{med('failover rsync', 'incremental') / med(PLAIN, 'incremental'):.2f}")
        if after:
            print(f"host work after an atomic push, waited for before the next run: median "
                  f"{statistics.median(after):.2f}s, max {max(after):.2f}s")
        print("each round (s):")
        for label, row in rows.items():
            print(f"  {label:26} full " + " ".join(f"{t:.2f}" for t, _ in row["full"])
                  + " | incr " + " ".join(f"{t:.2f}" for t, _ in row["incremental"]))
    finally:
        rig.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
