"""A dry run's push list: what a push will change, predicted without changing anything.

A dry run shows the pull and the push, but the pull has not run: the mirror the push would send
is not there yet. So the push is predicted from *the tree the mirror will hold*, a Manifest
with nanosecond mtimes: the source host's tree as the pull will leave it (`list_tree`, one
`find` over the pull's own ssh connection; `after_sftp_pull` for an SFTP pull), or the mirror
as it is when there is no pull or it cannot run. `push_over_rsync` lists the target, and
`push_changes` (pure: what will the sync change?) compares that tree with it the way the real
push reports its changes:

- plain set: rsync's own itemized view (`itemize`): files by size, nanosecond mtime and mode,
  directories by mode, symlinks by target and mtime; an entry whose kind changes is created
  (rsync replaces it), and what was under a directory that became something else is deleted.
  The set's excludes hide paths on both sides, as rsync's do.
- atomic set: a release holds exactly the mirror, so the live release is listed without
  excludes (an excluded file in it is a deletion, as the real push reports it; max_delete counts
  only the set's own paths, `own_deletions`). When the pushed record names the live release and
  its deletions are within max_delete, the real push reports the record's diff (push_atomic.py), and
  so does this. Otherwise it is compared as the host compares (release.py, `host_compare`).
- SFTP (`transport: sftp`, or `auto` and a host without rsync): sftp.push's own plan, given
  the tree at whole-second mtimes (`whole_seconds_tree`), as SFTP compares.

Why listings, not an rsync dry run against a hard-link copy of the mirror brought up to date
first: bringing that copy up to date means fetching the source's changed files, i.e. a dry run
that transfers data and writes to the orchestrator's disk. A listing moves names and attributes.
Hosts need GNU find (`find -printf`), as the atomic release script does; when the source cannot
be listed, the push is predicted from the mirror as it is and the pull's report says so.
Not predicted: changes of owner or group alone (rsync -a carries them when it runs as root).
"""

from __future__ import annotations

from failover.model.syncset import SyncSet
from failover.remote.openssh import SshMaster, shared
from failover.remote.ssh import SshTarget
from failover.sync import release
from failover.sync.changes import ChangeList
from failover.sync.rsync import NoRsync
from failover.sync.tree import (
    LIST_SCRIPT,
    Entry,
    Manifest,
    Pushed,
    diff,
    excluded,
    parse_listing,
    whole_seconds,
)

# Runs a command after saying whether rsync is on the host's PATH (the first line of stdout).
_RSYNC_PROBE = ('if command -v rsync >/dev/null 2>&1; then echo rsync; else echo no-rsync; fi; '
                'exec "$@"')


def list_tree(master: SshMaster, root: str, excludes: list[str], timeout: float) -> Manifest:
    """The host's tree under `root` (nanosecond mtimes), without the excluded paths."""
    out = master.run(["sh", "-c", LIST_SCRIPT, "sh", root], f"listing {root}", timeout)
    return parse_listing(out, excludes, mtime_ns=True)


def after_sftp_pull(source: Manifest, mirror: Manifest, pulled: ChangeList) -> Manifest:
    """The mirror after an SFTP pull of `source` (whole-second mtimes) that applies `pulled`:
    what it sends gets the source's mtime; what it leaves alone keeps the mirror's own."""
    sent = {name.rstrip("/") for name in pulled.created + pulled.updated}
    return {rel: mirror[rel] if rel in mirror and rel not in sent else
            entry._replace(mtime=entry.mtime * 10**9) for rel, entry in source.items()}


def whole_seconds_tree(tree: Manifest) -> Manifest:
    """`tree` as an SFTP push reads the mirror (`local_manifest` in whole seconds)."""
    return {rel: e._replace(mtime=whole_seconds(e.mtime)) if e.kind != "d" else e
            for rel, e in tree.items()}


def own_deletions(deleted: list[str], excludes: list[str]) -> list[str]:
    """The deletions max_delete counts on an atomic push: not the paths the set excludes."""
    return [p for p in deleted if not excluded(p.rstrip("/"), p.endswith("/"), excludes)]


def push_over_rsync(sset: SyncSet, target: SshTarget, host_path: str, tree: Manifest,
                    known: Pushed | None, timeout: float,
                    opened: SshMaster | None = None) -> ChangeList | NoRsync:
    """What pushing a mirror holding `tree` to `target` will report, over one ssh connection
    (`opened`, or one of its own).

    `known`: the set's pushed record for this host (nanosecond mtimes), atomic sets only.
    NoRsync when the host has no rsync (the caller predicts the SFTP push instead, or refuses).
    """
    with shared(opened, target) as master:
        seen: list[bool] = []

        def probed(argv: list[str], what: str) -> str:
            out = master.run(["sh", "-c", _RSYNC_PROBE, "sh", *argv], what, timeout)
            first, _, rest = out.partition("\n")
            seen.append(first == "rsync")
            return rest

        if not sset.atomic:
            live = parse_listing(probed(["sh", "-c", LIST_SCRIPT, "sh", host_path],
                                        f"listing {host_path}"), sset.exclude, mtime_ns=True)
            return push_changes(sset, tree, live) if seen[0] else \
                NoRsync(f"with {target.describe()}")
        base = release.base_path(host_path)
        now = release.inspect(target, base, probed)
        if not seen[0]:
            return NoRsync(f"with {target.describe()}")
        live_id = now.path.rsplit("/", 1)[-1] if now.kind == "link" and now.path else ""
        if (planned := _from_record(sset, tree, known, live_id)) is not None:
            return planned  # the live release is not listed: the record names it
        return push_changes(sset, tree, list_tree(master, now.path, [], timeout)
                            if now.path else {}, known=known, live_release=live_id)


def push_changes(sset: SyncSet, tree: Manifest, live: Manifest, *, known: Pushed | None = None,
                 live_release: str = "") -> ChangeList:
    """What will the sync change? The change list a push of a mirror holding `tree` reports
    on a host whose set path holds `live` (nanosecond mtimes): pure, no I/O.

    A plain set: rsync's own itemized view (`itemize`). An atomic set: the diff against the
    pushed record `known` when it names the live release (`live_release`) and its deletions are
    within max_delete, as the real push then uses it; else the host's comparison of the new
    release with the live one (`host_compare`; `live` listed without excludes)."""
    if not sset.atomic:
        return itemize(tree, live)
    planned = _from_record(sset, tree, known, live_release)
    return planned if planned is not None else host_compare(tree, live)


def _from_record(sset: SyncSet, tree: Manifest, known: Pushed | None,
                 live_release: str) -> ChangeList | None:
    """An atomic push's changes from the pushed record, when the real push would use it."""
    if known is None or not known.release or known.release != live_release:
        return None
    planned = diff(tree, known.entries)
    if len(planned.deleted) > sset.max_delete:
        return None
    return _estimate(planned.created, planned.updated, planned.deleted, tree, known.entries)


def itemize(src: Manifest, dst: Manifest) -> ChangeList:
    """What rsync reports when it turns `dst` into `src` (--itemize-changes, read by
    rsync.parse_itemized): created, updated and deleted names, directories ending in '/'."""
    created: list[str] = []
    updated: list[str] = []
    for rel in sorted(src):
        new, old = src[rel], dst.get(rel)
        name = rel + "/" if new.kind == "d" else rel
        if old is None or old.kind != new.kind:
            created.append(name)
        elif not _rsync_same(new, old):
            updated.append(name)
    deleted = [rel + "/" if dst[rel].kind == "d" else rel
               for rel in sorted(dst.keys() - src.keys(), reverse=True)]
    return _estimate(created, updated, deleted, src, dst)


def _rsync_same(new: Entry, old: Entry) -> bool:
    """rsync -a's comparison of two entries of one kind (time-only changes of a directory are
    not reported: rsync.parse_itemized)."""
    if new.kind == "d":
        return new.mode == old.mode
    if new.kind == "l":
        return (new.link, new.mtime) == (old.link, old.mtime)
    return new == old


def host_compare(src: Manifest, live: Manifest) -> ChangeList:
    """The atomic release script's comparison of the new release with the live one: tree.diff,
    except that a directory replacing a file or symlink is not listed itself (release.py)."""
    found = diff(src, live)
    return _estimate(found.created, [n for n in found.updated if not n.endswith("/")],
                     found.deleted, src, live)


def _estimate(created: list[str], updated: list[str], deleted: list[str], src: Manifest,
              dst: Manifest) -> ChangeList:
    """The changes, with the files whose content would be sent counted (nothing is sent yet):
    new files, and files whose size or mtime differ."""
    def sent(name: str) -> bool:
        new, old = src[name.rstrip("/")], dst.get(name.rstrip("/"))
        return new.kind == "f" and (old is None or old.kind != "f" or
                                    (old.size, old.mtime) != (new.size, new.mtime))

    files = sum(1 for name in created + updated if sent(name))
    return ChangeList(created, updated, deleted, bytes_sent=0, files_transferred=files)
