"""bench/pull: an incremental pull of bench/sync's tree (20,000 files in 200 folders, 500 MB,
1% of the files changed each round), before and after the mirror kept snapshots, in one run.

Variants, each pulling the primary's tree into a mirror of its own:
- before: the pull of commit BEFORE (default 4354e51, the last one without snapshots: the mirror
  is one folder updated in place, after rsync's dry run for max_delete, with --delay-updates and
  --delete-delay), its own code taken with `git archive`;
- after: this tree's pull (the gates' dry run, beside it the stage's hard-link copy of the last
  good snapshot, `cp -al`; the transfer into the stage; the symlink's swap). The work after it
  (the snapshot past keep_snapshots removed), which the caller does not wait for, is waited
  for untimed before the next round, and printed;
- link-dest: the design not taken, each snapshot made by `rsync --link-dest=<previous>` into an
  empty folder after the same dry run;
- bare rsync -a -e ssh into one folder: the floor.

Each of ours runs in a Python process of its own, timed inside it from the call of the pull to
its return (imports excluded); every timed pull starts after `sync`, the order rotates each
round, the medians are compared; every round's time is printed.

    FAILOVER_RIG_NET=10.203.50 FAILOVER_RIG_PREFIX=h5 FAILOVER_RIG_PORT_OFFSET=50 \\
        python -m bench.pull [--files N --mb M --rounds R --before REV]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.rigsite import inventory_doc
from bench.sync import change, make_tree, rotated
from tests.rig import Rig
from tests.synctree import mirror_settled

REPO = Path(__file__).resolve().parent.parent

# Runs in a process of its own: argv inventory.json variant [previous-snapshot new-snapshot].
ONE_PULL = r"""
import json, sys, time
import failover
print(failover.__file__)
from failover.model.inventory import Inventory
from failover.sync.mirror import Mirror
inv = Inventory.parse(json.load(open(sys.argv[1])))
variant = sys.argv[2]
if variant == "link-dest":
    from failover.remote.openssh import SshMaster
    from failover.sync.rsync import remote_path, rsync_argv, run_rsync
    from failover.remote.ssh import ssh_target
    target = ssh_target(inv, "primary")
    src = remote_path(target, inv.sync[0].path_on("primary"))
    t0 = time.monotonic()
    with SshMaster(target) as ssh:
        run_rsync(rsync_argv(src, sys.argv[3] + "/", target, delete=True, dry_run=True,
                             excludes=[], control=ssh.ready()), 3600, target=target, master=ssh)
        run_rsync(rsync_argv(src, sys.argv[4] + "/", target, delete=True, dry_run=False,
                             excludes=[], link_dest=sys.argv[3], staged=True, itemize=True,
                             control=ssh.ready()), 3600, target=target, master=ssh)
else:
    t0 = time.monotonic()
    Mirror(inv).pull("tree", "primary")
print(time.monotonic() - t0)
"""


def inventory(rig: Rig, work: Path, name: str, source: Path) -> Path:
    doc = inventory_doc(rig, work, work / name, [
        {"name": "tree", "path": {"primary": f"{source}/",
                                  "standby": f"{rig.standby.data_dir / name}/"},
         "max_delete": 100000}])
    path = work / f"{name}.json"
    path.write_text(json.dumps(doc))
    return path


def one_pull(code_dir: Path, inv: Path, variant: str, *extra: str) -> float:
    """One pull in a process whose `failover` is the one in `code_dir` (run outside the
    repository: `python -c` puts its working folder first on sys.path)."""
    os.sync()
    out = subprocess.run([sys.executable, "-c", ONE_PULL, str(inv), variant, *extra],
                         env={**os.environ, "PYTHONPATH": f"{code_dir}:{REPO}"}, check=True,
                         capture_output=True, text=True, cwd=inv.parent).stdout
    module, took = out.split()
    assert module.startswith(f"{code_dir}/"), (module, code_dir)
    return float(took)


def bare(rig: Rig, source: Path, dest: Path) -> float:
    os.sync()
    t0 = time.monotonic()
    subprocess.run(["rsync", "-a", "--delete", "-e", rig.rsync_rsh(),
                    f"root@{rig.primary.address}:{source}/", f"{dest}/"], check=True,
                   capture_output=True)
    return time.monotonic() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=20_000)
    ap.add_argument("--mb", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--before", default="4354e51", help="the commit measured as `before`")
    args = ap.parse_args()
    rig = Rig.from_env()
    work = Path(tempfile.mkdtemp(prefix="bench-pull-"))
    old = work / "before-code"
    old.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", args.before, "failover"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
    rig.start()
    try:
        source = rig.primary.data_dir / "bench-pull"
        t0 = time.monotonic()
        paths = make_tree(source, args.files, args.mb * 1_000_000)
        size = sum(p.stat().st_size for p in paths)
        print(f"tree: {len(paths)} files, {size / 1e6:.0f} MB (made in "
              f"{time.monotonic() - t0:.1f}s); before = {args.before}")
        invs = {n: inventory(rig, work, n, source) for n in ("before", "after")}
        links = work / "link-dest"
        links.mkdir()
        generation = [0]
        after_work: list[float] = []

        def after() -> float:
            took = one_pull(REPO, invs["after"], "snapshot")
            t1 = time.monotonic()
            mirror_settled(work / "after", "tree")
            after_work.append(time.monotonic() - t1)
            return took

        def link_dest() -> float:
            prev, new = links / str(generation[0]), links / str(generation[0] + 1)
            took = one_pull(REPO, invs["after"], "link-dest", str(prev), str(new))
            shutil.rmtree(prev, ignore_errors=True)
            generation[0] += 1
            return took

        labels = {
            "before (one folder, in place)": lambda: one_pull(old, invs["before"], "plain"),
            "after (snapshots)": after,
            "link-dest snapshots": link_dest,
            "bare rsync -a -e ssh": lambda: bare(rig, source, work / "bare"),
        }
        full = {label: run() for label, run in labels.items()}  # the first, full pulls
        rows: dict[str, list[float]] = {label: [] for label in labels}
        for r in range(args.rounds):
            change(paths, 0.01, r)
            for label in rotated(list(labels), r):
                rows[label].append(labels[label]())
        base = statistics.median(rows["before (one folder, in place)"])
        floor = statistics.median(rows["bare rsync -a -e ssh"])
        print(f"incremental pull, 1% of {len(paths)} files changed: median of {args.rounds}")
        print(f"{'':32} {'full s':>7} | {'incr s':>7} {'x before':>9} {'x bare':>7}")
        for label, times in rows.items():
            med = statistics.median(times)
            print(f"{label:32} {full[label]:7.2f} | {med:7.2f} {med / base:9.2f} "
                  f"{med / floor:7.2f}")
        print("work after a snapshot pull, from its return (untimed; a next pull would wait "
              f"for it): median {statistics.median(after_work[1:]):.2f}s, max "
              f"{max(after_work[1:]):.2f}s")
        print("each round (s):")
        for label, times in rows.items():
            print(f"  {label:30} " + " ".join(f"{t:.2f}" for t in times))
    finally:
        rig.stop()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(rig.primary.data_dir / "bench-pull", ignore_errors=True)


if __name__ == "__main__":
    main()
