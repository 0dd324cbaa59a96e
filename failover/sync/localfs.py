"""Local file-system steps of the mirror's snapshots (snapshots.py): an flock taken within a
deadline, an inode of its own for one entry, the newest change time of a tree, a durable
rename in a folder. Each does one system-level thing; none knows about sets or pulls."""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
import time
from pathlib import Path

from failover.errors import SyncError
from failover.sync.tree import TMP_PREFIX


def lock_within(fd: int, where: Path, wait: float) -> None:
    """flock `fd` exclusively, polling; SyncError naming `where` after `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise SyncError(f"the mirror's snapshots in {where} stayed locked for "
                                f"{wait:g}s (another pull, or the work after one, "
                                "is still running)") from None
            time.sleep(0.01)


def read_text_or_empty(path: Path) -> str:
    """The file's text, stripped; "" when it does not exist."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return ""


def own_inode(path: Path) -> None:
    """Give `path` (a file or symlink shared as a hard link) an inode of its own, with the same
    content, owner, mode and times, by one rename over it; a folder or a lone link is left."""
    try:
        st = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return
    if st.st_nlink < 2 or stat.S_ISDIR(st.st_mode):
        return
    tmp = path.with_name(TMP_PREFIX + path.name)
    tmp.unlink(missing_ok=True)
    if stat.S_ISLNK(st.st_mode):
        os.symlink(os.readlink(path), tmp)
    else:
        shutil.copyfile(path, tmp, follow_symlinks=False)
    if os.geteuid() == 0:
        os.lchown(tmp, st.st_uid, st.st_gid)
    if not stat.S_ISLNK(st.st_mode):
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
    os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)
    os.replace(tmp, path)


def newest_change(root: Path) -> float:
    """The newest ctime in the tree under `root` (epoch seconds)."""
    newest = os.lstat(root).st_ctime
    stack = [str(root)]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for e in entries:
                newest = max(newest, e.stat(follow_symlinks=False).st_ctime)
                if e.is_dir(follow_symlinks=False):
                    stack.append(e.path)
    return newest


def fsync_dir(path: Path) -> None:
    """Make the renames in folder `path` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
