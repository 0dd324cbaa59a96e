"""predict.py and the listing it reads (tree.py): pure comparisons, no host."""

from __future__ import annotations

import os
from pathlib import Path

from failover.model.inventory import SyncSet
from failover.sync.changes import ChangeList
from failover.sync.predict import (
    after_sftp_pull,
    host_compare,
    itemize,
    own_deletions,
    push_changes,
    whole_seconds_tree,
)
from failover.sync.tree import (
    Entry,
    Pushed,
    local_manifest,
    ns_of,
    parse_listing,
    whole_seconds,
)

S = 1_700_000_000 * 10**9


def f(size: int = 1, mtime: int = S, mode: int = 0o644) -> Entry:
    return Entry("f", size, mtime, mode)


def d(mode: int = 0o755) -> Entry:
    return Entry("d", 0, 0, mode)


def ln(target: str, mtime: int = S) -> Entry:
    return Entry("l", 0, mtime, 0o777, target)


def names(r: ChangeList) -> tuple[list[str], list[str], list[str]]:
    return sorted(r.created), sorted(r.updated), sorted(r.deleted)


def test_itemize_is_rsyncs_view() -> None:
    old = {"same": f(), "bigger": f(1), "touched": f(mtime=S), "chmod": f(),
           "dir": d(), "dir-mode": d(), "link": ln("a"), "link-time": ln("a"),
           "was-file": f(), "was-dir": d(), "was-dir/inner": f(), "gone": f()}
    new = {"same": f(), "bigger": f(2), "touched": f(mtime=S + 1), "chmod": f(mode=0o600),
           "dir": d(), "dir-mode": d(0o700), "link": ln("b"), "link-time": ln("a", S + 1),
           "was-file": d(), "was-dir": f(), "new": f()}
    result = itemize(new, old)
    assert names(result) == (
        ["new", "was-dir", "was-file/"],  # a new kind is created
        ["bigger", "chmod", "dir-mode/", "link", "link-time", "touched"],
        ["gone", "was-dir/inner"])
    assert (result.files_transferred, result.bytes_sent) == (4, 0)  # chmod sends no data


def test_host_compare_is_the_release_scripts_view() -> None:
    old = {"was-file": f(), "was-dir": d(), "link-time": ln("a"), "dir-mode": d()}
    new = {"was-file": d(), "was-dir": f(), "link-time": ln("a", S + 1), "dir-mode": d(0o700)}
    assert names(host_compare(new, old)) == ([], ["was-dir"], [])


def test_atomic_max_delete_counts_only_the_sets_own_paths() -> None:
    assert own_deletions(["a.log", "cache/", "x/page.html", "keep.txt"],
                         ["*.log", "cache/"]) == ["x/page.html", "keep.txt"]


def test_sftp_views_in_whole_seconds() -> None:
    tree = {"f": f(mtime=S + 999_000_000), "d": d(), "l": ln("x", S + 5)}
    assert whole_seconds_tree(tree) == {"f": f(mtime=1_700_000_000), "d": d(),
                                        "l": ln("x", 1_700_000_000)}
    source = {"sent": f(2, 1_700_000_001), "kept": f(1, 1_700_000_000)}
    mirror = {"sent": f(1, S), "kept": f(1, S + 123)}
    pulled = ChangeList([], ["sent"], [], 0, 1)
    assert after_sftp_pull(source, mirror, pulled) == {"sent": f(2, S + 10**9),
                                                       "kept": f(1, S + 123)}


def test_whole_seconds_reads_as_os_stat_does(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_text("x")
    for ns in (S, S + 1, S + 999_999_999, S + 500_000_000, -1_500_000_000):
        os.utime(path, ns=(ns, ns))
        assert whole_seconds(ns) == int(path.stat().st_mtime)


def test_listing_keeps_odd_names_and_nanoseconds(tmp_path: Path) -> None:
    text = ("d 4096 1700000000.0000000000 755\0\0dir\0"
            "f 3 1700000000.1234567890 644\0\0dir/a\tname\nwith breaks\0"
            "l 5 1700000001.5000000000 777\0target\twith tab\0link\0"
            "f 1 1700000000.9999999990 600\0\0error.log\0"
            "d 4096 1700000000.0000000000 755\0\0cache\0"
            "f 1 1700000000.0000000000 644\0\0cache/page\0")
    assert parse_listing(text, ["*.log", "cache/"], mtime_ns=True) == {
        "dir": d(), "dir/a\tname\nwith breaks": f(3, S + 123_456_789),
        "link": ln("target\twith tab", S + 1_500_000_000)}
    assert parse_listing(text, [], mtime_ns=False)["error.log"] == f(1, 1_700_000_001, 0o600)
    assert ns_of("-1.5000000000") == -1_500_000_000


def test_local_manifest_keeps_a_symlinks_mtime(tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to("nowhere")
    os.utime(tmp_path / "link", ns=(S + 7, S + 7), follow_symlinks=False)
    assert local_manifest(tmp_path, [], mtime_ns=True) == {"link": ln("nowhere", S + 7)}
    assert ln("nowhere", S + 7).same(ln("nowhere", S))  # tree.diff compares links by target


def test_push_changes_answers_what_the_sync_will_change() -> None:
    plain = SyncSet(name="web", path="/srv/web")
    atomic = SyncSet(name="web", path="/srv/web", atomic=True, max_delete=1)
    live = {"index.html": f(1), "gone.html": f(), "old": d()}
    tree = {"index.html": f(2), "new.html": f()}
    assert names(push_changes(plain, tree, live)) == (
        ["new.html"], ["index.html"], ["gone.html", "old/"])
    # atomic, no usable record: the host's comparison of the new release with the live one
    assert names(push_changes(atomic, tree, live)) == names(host_compare(tree, live))
    # atomic, the record names the live release: the record's diff, not the listing
    record = Pushed("R1", {"index.html": f(2)})
    assert names(push_changes(atomic, tree, live, known=record, live_release="R1")) == (
        ["new.html"], [], [])
    # ... unless it names another release, or deletes more than max_delete
    assert names(push_changes(atomic, tree, live, known=record, live_release="R2")) == \
        names(host_compare(tree, live))
    many = Pushed("R1", {"a": f(), "b": f()})
    assert names(push_changes(atomic, tree, live, known=many, live_release="R1")) == \
        names(host_compare(tree, live))
