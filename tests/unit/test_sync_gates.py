"""A pull's gates (report.check_pull): an empty source, max_delete, max_delete_percent with
octoDNS's floor, --allow-deletes; and what rsync tells them (rsync.source_files, in_place)."""

from __future__ import annotations

from pathlib import Path

import pytest

from failover.errors import UnsafePlan
from failover.model.syncset import SyncSet
from failover.remote.ssh import SshTarget
from failover.sync.changes import ChangeList
from failover.sync.report import check_deletions, check_pull, pull_limit
from failover.sync.rsync import rsync_argv
from failover.sync.rsync_output import in_place, source_files


def webroot(**values: object) -> SyncSet:
    return SyncSet.parse({"name": "webroot", "path": "/var/www/shop/", **values})


def test_the_share_counts_from_ten_files_as_octodns_does() -> None:
    sset = webroot()  # max_delete 200, max_delete_percent 25
    assert pull_limit(sset, 9) == (200, "max_delete=200")  # under the floor: no share limit
    assert pull_limit(sset, 10) == (2, "max_delete_percent=25 (2 of 10)")  # 2.5 rounds down
    assert pull_limit(sset, 41) == (10, "max_delete_percent=25 (10 of 41)")
    assert pull_limit(sset, 10_000) == (200, "max_delete=200")  # the lower limit names itself
    assert pull_limit(webroot(max_delete_percent=100), 50)[0] == 50  # every file: no limit
    assert pull_limit(sset, 41, allow=40) == (40, "--allow-deletes 40")
    assert pull_limit(sset, 41, allow=0) == (0, "--allow-deletes 0")
    # a database set's tables: the share counts from the first one
    assert pull_limit(sset, 4, floor=1) == (1, "max_delete_percent=25 (1 of 4)")
    assert pull_limit(sset, 3, floor=1) == (0, "max_delete_percent=25 (0 of 3)")


def test_at_the_limit_a_pull_passes_one_more_is_refused() -> None:
    sset = webroot()
    assert check_pull(sset, "primary", "/var/www/shop/", now=10, after=8, deleted=2) == 2
    with pytest.raises(UnsafePlan, match=r"would delete 3 files from the mirror, more than "
                                         r"max_delete_percent=25 \(2 of 10\) allows"):
        check_pull(sset, "primary", "/var/www/shop/", now=10, after=7, deleted=3)
    assert check_pull(sset, "primary", "/var/www/shop/", now=9, after=1, deleted=8) == 200


def test_a_refusal_names_the_path_the_counts_then_the_overrides() -> None:
    sset = webroot(path={"primary": "/srv/old/", "standby": "/var/www/shop/"})
    with pytest.raises(UnsafePlan) as err:
        check_pull(sset, "primary", "/srv/old/", now=41, after=1, deleted=40)
    assert str(err.value) == (
        "sync webroot from primary would delete 40 files from the mirror, more than "
        "max_delete_percent=25 (10 of 41) allows: primary:/srv/old/ holds 1 file, the mirror "
        "41 files. Check sync[webroot].path.primary first. If the deletions are meant: "
        "--allow-deletes 40 for this run (failover sync, run, failover, failback), or raise "
        "sync[webroot].max_delete or sync[webroot].max_delete_percent in the inventory. The "
        "mirror keeps its last good copy")
    assert check_pull(sset, "primary", "/srv/old/", now=41, after=1, deleted=40, allow=40) == 40
    with pytest.raises(UnsafePlan, match="more than --allow-deletes 39 allows"):
        check_pull(sset, "primary", "/srv/old/", now=41, after=1, deleted=40, allow=39)


def test_an_empty_source_is_refused_whatever_the_override() -> None:
    for allow in (None, 1000):
        with pytest.raises(UnsafePlan) as err:
            check_pull(webroot(), "primary", "/srv/empty/", now=41, after=0, deleted=41,
                       allow=allow)
        assert str(err.value) == (
            "sync webroot from primary refused: primary:/srv/empty/ holds no files (it is "
            "empty, or holds only excluded paths); the mirror holds 41 files and keeps its last "
            "good copy. Check sync[webroot].path: an empty source is never pulled (pushed, it "
            "would wipe the standbys)")
    with pytest.raises(UnsafePlan, match=r"holds no files .*; the mirror holds nothing yet\. "
                                         r"Check"):  # the first pull too
        check_pull(webroot(), "primary", "/srv/empty/", now=0, after=0, deleted=0)


def test_a_push_names_its_override() -> None:
    plan = ChangeList([], [], ["a", "b", "c"], 0, 0)
    check_deletions(webroot(max_delete=3), "standby", plan)
    with pytest.raises(UnsafePlan, match=r"more than max_delete=2; check sync\[webroot\].path "
                                         r"first; .* --allow-deletes 3 for this run"):
        check_deletions(webroot(max_delete=2), "standby", plan)
    check_deletions(webroot(max_delete=2), "standby", plan, allow=3)
    with pytest.raises(UnsafePlan, match="more than --allow-deletes 1;"):
        check_deletions(webroot(max_delete=2), "standby", plan, allow=1)


STATS = """Number of files: 5 (reg: 3, dir: 2)
Number of created files: 0
Number of deleted files: 1 (reg: 1)
Number of regular files transferred: 1
Total bytes sent: 1,234
"""


def test_source_files_leaves_out_the_transfer_root() -> None:
    assert source_files(STATS) == 4
    assert source_files("Number of files: 1 (dir: 1)\n") == 0  # an empty folder
    assert source_files("Number of files: 20,201 (reg: 20,000, dir: 201)\n") == 20_200
    assert source_files("sent 10 bytes\n") is None  # no --stats: no count, never 0


def test_in_place_lists_attribute_only_changes() -> None:
    lines = [".f...p..... mode-only.html", ">f.st...... new-content.html",
             ".f....og... owner.html", ".L..t...... link -> target", "cLc........ moved -> x",
             ".d..t...... folder/", "*deleting   gone.html", ">f+++++++++ a\\#011tab",
             ".f...p..... odd -> name.txt"]
    assert in_place(lines) == ["mode-only.html", "owner.html", "link", "odd -> name.txt"]


def test_a_pull_into_a_stage_is_itemized_without_delay_updates(tmp_path: Path) -> None:
    (tmp_path / "key").write_text("")
    target = SshTarget("primary", "10.0.0.1", 22, "root", tmp_path / "key", tmp_path / "kh", 5.0)
    argv = rsync_argv("root@10.0.0.1:/srv/", "/m/.next/", target, delete=True, dry_run=False,
                      excludes=[], max_delete=10, staged=True, itemize=True)
    assert "--itemize-changes" in argv
    assert "--no-inc-recursive" in argv
    assert "--delay-updates" not in argv
    deletes = [a for a in argv if a.startswith(("--delete", "--max-delete"))]
    assert deletes == ["--delete", "--max-delete=10"]
    release = rsync_argv("/m/x/", "root@10.0.0.1:/srv.releases/.next/", target, delete=True,
                         dry_run=False, excludes=[], staged=True)
    assert "--itemize-changes" not in release
