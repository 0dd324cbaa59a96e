"""Fault rows around syncing: the standby's or the mirror's disk fills up, the standby has no
rsync, the standby's link is cut in the middle of a push. The disks are real small tmpfs mounts
(the hosts share this machine's filesystem); the link is the rig's veth."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.faults.conftest import RowRecord
from tests.faults.ledger import Ledger, tree
from tests.rig import RigHost, faults
from tests.scenarios.interrupting import new_files, wait_until
from tests.site import PAGE, Site, at
from tests.synctree import mirror_settled

CATALOG = bytes(range(256)) * 8_000  # 2 MB: more than the small disks hold


def events(site: Site, name: str, **match: Any) -> list[dict[str, Any]]:
    return [e for e in site.audit() if e["event"] == name
            and all(e.get(k) == v for k, v in match.items())]


@contextmanager
def small_disk(path: Path, size: str = "1m", host: RigHost | None = None) -> Iterator[None]:
    """`path` (its files kept) on a tmpfs of `size`: writes past it fail with ENOSPC.

    This machine's mounts are private: a host's servers (started in a mount namespace of their
    own by `ip netns exec`) see a new mount only once restarted, so `host`'s sshd and web
    server are restarted after the mount, and again after the unmount."""
    keep = path.with_name(path.name + ".kept")
    shutil.move(path, keep)
    path.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
                   check=True)
    try:
        shutil.copytree(keep, path, symlinks=True, dirs_exist_ok=True)
        restart(host)
        yield
    finally:
        shutil.rmtree(keep)
        shutil.copytree(path, keep, symlinks=True)
        subprocess.run(["umount", str(path)], check=True)
        path.rmdir()
        shutil.move(keep, path)
        restart(host)


def restart(host: RigHost | None) -> None:
    if host is not None:
        for daemon in (host.sshd, host.http):
            daemon.stop()
            daemon.start()


def quiet(host: RigHost) -> None:
    """Wait until no rsync runs in the host's namespace (its side of a broken transfer)."""
    def rsyncs() -> list[str]:
        pids = subprocess.run(["ip", "netns", "pids", host.namespace], capture_output=True,
                              text=True, check=False).stdout.split()
        found = []
        for pid in pids:
            try:
                found.append(Path(f"/proc/{pid}/comm").read_text().strip())
            except OSError:
                continue
        return [name for name in found if name == "rsync"]

    deadline = time.monotonic() + 60
    while rsyncs():
        assert time.monotonic() < deadline, "the host's rsync never ended"
        time.sleep(0.1)


@pytest.mark.fault("standby-disk-full")
def test_a_full_standby_disk_fails_the_push_and_the_run(warm_site: Site, row: RowRecord) -> None:
    site = warm_site
    (site.primary.webroot / "catalog.bin").write_bytes(CATALOG)
    (site.primary.webroot / "orders.txt").write_text("order 1001\norder 1002\norder 1003\n")
    ledger = Ledger(site)
    with small_disk(site.standby.webroot, host=site.standby):
        standby_before = tree(site.standby.webroot)
        p = site.run("failover", "--yes")
        standby_after = {k: v for k, v in tree(site.standby.webroot).items()
                         if not k.startswith(".rsync-partial/")}
    out = p.stdout + p.stderr
    assert "Traceback" not in out
    assert "No space left on device" in out, out
    assert standby_after == standby_before  # --delay-updates: the live tree stays whole
    # the sync step's ignore_errors is for the pull from a host that may be gone: a push that
    # left the standby behind the mirror stops the run before DNS moves
    assert p.returncode == 1, out
    assert "would serve an older copy of set webroot than the mirror holds" in out
    assert "or run with --accept-stale to move the site to it as it is" in out
    sync = events(site, "step", action="sync")[-1]
    assert sync["status"] == "failed", sync
    assert not events(site, "step", action="dns", phase="steps")
    assert site.dns() == at(site.primary.address)
    row.see(f"push failed `No space left on device`, the standby's tree stayed whole; the run "
            f"stopped there despite ignore_errors (exit {p.returncode}, `--accept-stale` "
            f"named), DNS at {ledger.live()}")
    row.nothing_lost(ledger)


@pytest.mark.fault("standby-no-rsync")
def test_a_standby_without_rsync_gets_the_shop_over_sftp(warm_site: Site,
                                                         row: RowRecord) -> None:
    site = warm_site
    (site.primary.webroot / "orders.txt").write_text("order 1001\norder 1002\norder 1003\n")
    ledger = Ledger(site)
    with site.standby.hide_tools("rsync"):
        p = site.run("failover", "--yes")
    assert p.returncode == 0, p.stdout + p.stderr
    sync = events(site, "step", action="sync")[-1]
    assert sync["status"] == "ok", sync
    assert sync["data"]["push"]["transport"] == "sftp", sync["data"]
    assert site.dns() == at(site.standby.address)
    row.see("push over SFTP (transport sftp); failover done, the new order on the standby")
    row.nothing_lost(ledger)


@pytest.mark.fault("link-cut-mid-sync")
def test_a_link_cut_in_the_middle_of_a_push_leaves_no_half_tree(warm_site: Site,
                                                                row: RowRecord) -> None:
    site = warm_site
    # mirror and standby hold a 320 kB file; the standby loses it and the primary gets a new
    # page: the next pull is quick, the push that follows slow (the big file at 64 KiB/s)
    (site.primary.webroot / "catalog.bin").write_bytes(bytes(range(256)) * 1_250)
    assert site.run("sync", "--yes").returncode == 0
    (site.standby.webroot / "catalog.bin").unlink()
    (site.primary.webroot / "index.html").write_text(PAGE.format("v3"))
    site.edit(lambda inv: inv["sync"][0].update(bwlimit=64, io_timeout="2s"))
    ledger = Ledger(site)
    before = tree(site.standby.webroot)
    proc = site.popen("sync", "--yes")
    wait_until(proc, "the push writing to the standby", new_files(site.standby.webroot))
    # the connection is cut: the standby's side answers its next packet with a reset (a link
    # left down would be noticed only by ssh's keep-alives, after a minute)
    with faults.drop_port(site.standby, 22, verdict="reject with tcp reset"):
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, out + err
    assert "Traceback" not in out + err
    quiet(site.standby)  # the standby's side ends at its own io timeout
    settle = [p.name for p in site.standby.webroot.rglob(".*") if p.name != ".maintenance"]
    assert not settle, settle  # no temp file left behind
    after = tree(site.standby.webroot)
    new = tree(site.primary.webroot)
    # each file is the old one or the new one, never a torn one
    for path, digest in after.items():
        assert digest in (before.get(path), new.get(path)), path
    row.see("connection reset mid-push: sync exit 1 at once; no temp file left, every standby "
            "file the old or the new one")
    row.nothing_lost(ledger)


@pytest.mark.fault("mirror-disk-full")
def test_a_full_mirror_disk_keeps_the_last_good_mirror(warm_site: Site, row: RowRecord) -> None:
    site = warm_site
    mirror = site.state_dir / "mirror"
    mirror_settled(site.state_dir)
    ledger = Ledger(site)
    with small_disk(mirror):
        good = tree(mirror / "webroot")
        (site.primary.webroot / "catalog.bin").write_bytes(CATALOG)
        standby = tree(site.standby.webroot)
        p = site.run("sync", "--yes")
        out = p.stdout + p.stderr
        assert p.returncode == 1, out
        assert "Traceback" not in out
        assert "No space left on device" in out, out
        mirror_settled(site.state_dir)
        assert tree(mirror / "webroot") == good  # the last good copy, whole
        assert tree(site.standby.webroot) == standby  # nothing pushed from a half pull
        os.sync()
    row.see("sync exit 1 `No space left on device`; mirror still the last good copy, "
            "standby untouched")
    row.nothing_lost(ledger)
