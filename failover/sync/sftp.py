"""SFTP for hosts without rsync: one paramiko session (manifests, applying a plan, the swap),
and the pull over it. The push over it is push_sftp.py.

Contract (the same as the rsync path, see files.py and base.py):
- A manifest (path -> kind, size, mtime, link target) of each side decides what to send: a file
  whose size and whole-second mtime match is not sent. Only changed files cross the wire.
- The pull is gated as over rsync (report.check_pull) before anything changes, and fills the
  mirror's stage (snapshots.py); a dry run changes nothing and also returns the tree the new
  snapshot will hold.
- A file is written to a temporary name and renamed over its old name (posix-rename): a
  hard-linked file shared with a live release or an older snapshot is replaced, never written
  through. `apply_push(staged=True)` renames changed files in together at the end, then deletes
  (like rsync's --delay-updates --delete-delay).
- Manifests, their diff and the exclude rules are tree.py's, shared with the rsync path.

Notes: the server is OpenSSH's `internal-sftp`/`sftp-server` (SYMLINK argument order: see
`_symlink`). Files are compared by whole-second mtime, which SFTP carries. The
host needs `cp`, `sh` and `mkdir` for the atomic path (GNU coreutils or busybox).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import shutil
import stat
from pathlib import Path

import paramiko

from failover.errors import SyncError
from failover.model.syncset import SyncSet
from failover.remote.ssh import SshTarget, connect
from failover.sync import predict
from failover.sync.changes import ChangeList
from failover.sync.report import SyncReport, check_pull, make_report
from failover.sync.snapshots import Stage
from failover.sync.tree import (
    LIST_SCRIPT,
    TMP_PREFIX,
    Entry,
    Excludes,
    Manifest,
    diff,
    kind_of,
    local_manifest,
    make_entry,
    parse_listing,
    skipped,
)

log = logging.getLogger(__name__)

def _entry(st: paramiko.SFTPAttributes, link: str = "") -> Entry:
    mode = st.st_mode or 0
    return make_entry(kind_of(mode), int(st.st_size or 0), int(st.st_mtime or 0),
                      stat.S_IMODE(mode), link)


def remote_manifest(sftp: paramiko.SFTPClient, root: str, excludes: list[str]) -> Manifest:
    """Walk `root` on the host (one LISTDIR per directory). {} when it does not exist."""
    out: Manifest = {}
    rules = Excludes(excludes)
    try:
        sftp.stat(root)
    except FileNotFoundError:
        return out
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        for attr in sftp.listdir_attr(f"{root}/{rel_dir}".rstrip("/")):
            rel = rel_dir + attr.filename
            is_dir = stat.S_ISDIR(attr.st_mode or 0)
            if skipped(attr.filename) or rules.match(rel, is_dir):
                continue
            link = sftp.readlink(f"{root}/{rel}") or "" if stat.S_ISLNK(attr.st_mode or 0) else ""
            out[rel] = _entry(attr, link)
            if is_dir:
                stack.append(rel + "/")
    return out


def in_tree_order(names: list[str]) -> list[str]:
    """Created and updated names, each folder before what it holds (a folder that replaces a
    file must exist before the files that go in it)."""
    return sorted(names, key=lambda name: name.rstrip("/").split("/"))


class SftpSession:
    """One SSH connection with an SFTP channel; commands run on the same connection."""

    def __init__(self, target: SshTarget, timeout: float) -> None:
        self.target = target
        self.client = connect(target)
        self.sftp = self.client.open_sftp()
        self.sftp.get_channel().settimeout(timeout)  # type: ignore[union-attr]

    def close(self) -> None:
        self.sftp.close()
        self.client.close()

    def __enter__(self) -> SftpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, argv: list[str], what: str) -> str:
        """Run a command on this connection; its stdout, or SyncError naming `what`."""
        _, stdout, stderr = self.client.exec_command(shlex.join(argv))
        out = stdout.read()
        status = stdout.channel.recv_exit_status()
        if status != 0:
            detail = stderr.read().decode("utf-8", "replace").strip().splitlines()
            raise SyncError(f"{what} on {self.target.describe()} failed (exit {status})"
                            + (f": {detail[-1]}" if detail else ""))
        return out.decode("utf-8", "surrogateescape")

    def manifest(self, root: str, excludes: list[str]) -> Manifest:
        """The host's tree under `root`: one `find` when the host has GNU find (fast), else
        the SFTP walk. {} when `root` does not exist."""
        try:
            out = self.run(["sh", "-c", LIST_SCRIPT, "sh", root], f"listing {root}")
        except SyncError:
            return remote_manifest(self.sftp, root, excludes)
        return parse_listing(out, excludes, mtime_ns=False)

    def _symlink(self, link: str, path: str) -> None:
        """`path -> link`, as OpenSSH's server reads paramiko's SYMLINK (checked on the rig)."""
        self.sftp.symlink(link, path)

    def apply_push(self, local: Path, work: str, src: Manifest, dst: Manifest,
                   plan: ChangeList, *, staged: bool) -> None:
        """Make `work` on the host match `src`. `staged`: rename changed files in at the end."""
        renames: list[tuple[str, str]] = []
        for item in in_tree_order(plan.created + plan.updated):
            rel = item.rstrip("/")
            entry, path = src[rel], f"{work}/{rel}"
            if entry.kind == "d":
                if rel in dst and dst[rel].kind != "d":  # a folder where a file was
                    self._remove(path)
                if rel not in dst or dst[rel].kind != "d":
                    self.sftp.mkdir(path, entry.mode)
                continue
            tmp = f"{os.path.dirname(path)}/{TMP_PREFIX}{os.path.basename(path)}"
            if entry.kind == "l":
                self._remove(tmp)
                self._symlink(entry.link, tmp)
            else:
                self.sftp.put(str(local / rel), tmp, confirm=False)
                self.sftp.chmod(tmp, entry.mode)
                self.sftp.utime(tmp, (entry.mtime, entry.mtime))
            if rel in dst and dst[rel].kind == "d":
                self.run(["rm", "-rf", "--", path], f"replacing directory {rel}")
            renames.append((tmp, path))
            if not staged:
                self.sftp.posix_rename(*renames.pop())
        for tmp, path in renames:
            self.sftp.posix_rename(tmp, path)
        for item in plan.deleted:
            path = f"{work}/{item.rstrip('/')}"
            if item.endswith("/"):
                self.run(["rm", "-rf", "--", path], f"deleting {item}")
            else:
                self._remove(path)

    def swap(self, path: str, link: str) -> None:
        """Point the symlink `path` at `link` with one rename(2) (posix-rename@openssh.com)."""
        folder, name = path.rsplit("/", 1)
        tmp = f"{folder}/.{name}.failover-new"
        self._remove(tmp)
        self._symlink(link, tmp)
        self.sftp.posix_rename(tmp, path)

    def _remove(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.sftp.remove(path)

    def apply_pull(self, remote: str, local: Path, src: Manifest, plan: ChangeList) -> None:
        """Make the local mirror `local` match the host's `remote` tree (`src`)."""
        for item in in_tree_order(plan.created + plan.updated):
            rel = item.rstrip("/")
            entry, path = src[rel], local / rel
            if entry.kind == "d":
                if path.is_symlink() or path.is_file():
                    path.unlink()
                path.mkdir(mode=entry.mode, exist_ok=True)
                continue
            tmp = path.with_name(TMP_PREFIX + path.name)
            tmp.unlink(missing_ok=True)
            if entry.kind == "l":
                tmp.symlink_to(entry.link)
            else:
                self.sftp.get(f"{remote}/{rel}", str(tmp))
                os.chmod(tmp, entry.mode)
                os.utime(tmp, (entry.mtime, entry.mtime))
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            os.replace(tmp, path)
        for item in plan.deleted:
            path = local / item.rstrip("/")
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:  # gone already, or under a folder that became a file
                with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                    path.unlink()


def pull(sset: SyncSet, target: SshTarget, host_path: str, base: Path | None,
         stage: Stage | None, allow: int | None = None) -> tuple[SyncReport, Manifest]:
    """The pull over SFTP, gated as over rsync (report.check_pull) against the last good
    snapshot `base`, into `stage` (the caller promotes it); `stage` None: a dry run, which also
    returns the tree the new snapshot will hold (nanosecond mtimes)."""
    with SftpSession(target, sset.io_timeout) as s:
        remote = host_path.rstrip("/")
        src = s.manifest(remote, sset.exclude)
        mine = local_manifest(base, sset.exclude) if base else {}
        plan = diff(src, mine)
        check_pull(sset, target.host, host_path, now=len(mine), after=len(src),
                   deleted=len(plan.deleted), allow=allow)
        if stage is not None:
            into = stage.ready()
            s.apply_pull(remote, into, src, plan if stage.pristine else
                         diff(src, local_manifest(into, sset.exclude)))
    after = predict.after_sftp_pull(src, local_manifest(base, sset.exclude, mtime_ns=True)
                                    if base else {}, plan) if stage is None else {}
    return (make_report(sset, "pull", target.host, plan, dry_run=stage is None,
                        transport="sftp"), after)
