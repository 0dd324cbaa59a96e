"""Trees as manifests (path -> kind, size, mtime, mode, link), and what a push left on a host.

A manifest is what decides a push without asking the host: `diff(mirror, live)` names what
would be created, updated and deleted, the way rsync names them (directories end in '/').
Files compare by size, mtime and mode (rsync's quick check), symlinks by target.

The *pushed record* (`<state_dir>/mirror/.pushed/<set>@<host>`) is the manifest of the tree the
last complete push left live on a host, with the host's address, port and path, the set's
excludes and (atomic sets) the release id. It is removed before every push and written after
one completes, so an interrupted or refused push leaves none, and a record that does not match
the push at hand (another path, other excludes, a moved host) is ignored. The host side still
checks that the recorded release is the live one (release.py); a record is a shortcut, never the
only safeguard.

Excludes follow rsync's common forms: `name`, `*.log` (any depth), `dir/` (directories only),
`a/b` (anchored at the set's root).
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from failover.state.files import write_atomic
from failover.sync.changes import ChangeList
from failover.sync.rsync import PARTIAL_DIR

if TYPE_CHECKING:
    from failover.remote.ssh import SshTarget

TMP_PREFIX = ".~failover~"
RECORD_VERSION = 1


class Entry(NamedTuple):
    """One path of a tree. Directories carry no size or mtime, symlinks no size or mode. Two
    entries are the same tree entry when `same`: directories whatever their mode, symlinks by
    target (their mtime is kept for rsync's own itemized view, predict.py), files by size, mtime
    and mode."""

    kind: str  # f file, d directory, l symlink
    size: int = 0
    mtime: int = 0
    mode: int = 0o644
    link: str = ""

    def same(self, other: Entry) -> bool:
        if self.kind != other.kind:
            return False
        return self.kind == "d" or (self.link == other.link if self.kind == "l" else
                                    self == other)


Manifest = dict[str, Entry]
_DIR, _LINK, _FILE = Entry("d"), Entry("l"), Entry("f")


def make_entry(kind: str, size: int, mtime: int, mode: int, link: str = "") -> Entry:
    """An Entry as every manifest holds it: a directory keeps only its mode, a symlink its
    target and mtime; anything that is neither is a file."""
    if kind == "d":
        return Entry("d", 0, 0, mode)
    if kind == "l":
        return Entry("l", 0, mtime, 0o777, link)
    return Entry("f", size, mtime, mode)


class Excludes:
    """The set's exclude patterns, compiled once: `match(rel, is_dir)`."""

    def __init__(self, patterns: list[str]) -> None:
        groups: dict[tuple[bool, bool], list[str]] = {}
        for pattern in patterns:
            pat = pattern.rstrip("/")
            anchored = "/" in pat
            groups.setdefault((pattern.endswith("/"), anchored), []).append(
                fnmatch.translate(pat.lstrip("/") if anchored else pat))
        self._rules = [(dir_only, anchored, re.compile("|".join(regexes)))
                       for (dir_only, anchored), regexes in groups.items()]

    def __bool__(self) -> bool:
        return bool(self._rules)

    def match(self, rel: str, is_dir: bool) -> bool:
        for dir_only, anchored, regex in self._rules:
            if dir_only and not is_dir:
                continue
            if regex.match(rel if anchored else rel.rsplit("/", 1)[-1]):
                return True
        return False


def excluded(rel: str, is_dir: bool, patterns: list[str]) -> bool:
    return Excludes(patterns).match(rel, is_dir)


def skipped(name: str) -> bool:
    """Our own and rsync's temporary names: never part of a tree."""
    return name.startswith((TMP_PREFIX, PARTIAL_DIR))


def local_manifest(root: Path, excludes: list[str], *, names_only: bool = False,
                   mtime_ns: bool = False) -> Manifest:
    """The tree under `root` (one lstat per entry; ~4 us each). {} when it does not exist.

    `names_only`: kinds from the directory entries, no lstat (a plain set's record needs no
    more: ~5x faster). `mtime_ns`: mtimes in nanoseconds, as fine as rsync's own quick check
    (a file rewritten within the same second at the same size is still a change); without
    it whole seconds, all SFTP carries.
    """
    out: Manifest = {}
    rules = Excludes(excludes)
    stack = [(str(root), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = os.scandir(folder)
        except FileNotFoundError:
            continue
        with entries:
            for e in entries:
                rel = prefix + e.name
                if names_only:
                    is_dir = e.is_dir(follow_symlinks=False)
                    if skipped(e.name) or (rules and rules.match(rel, is_dir)):
                        continue
                    out[rel] = _DIR if is_dir else _LINK if e.is_symlink() else _FILE
                    if is_dir:
                        stack.append((e.path, rel + "/"))
                    continue
                st = e.stat(follow_symlinks=False)
                kind = kind_of(st.st_mode)
                if skipped(e.name) or (rules and rules.match(rel, kind == "d")):
                    continue
                out[rel] = make_entry(kind, st.st_size, st.st_mtime_ns if mtime_ns
                                 else int(st.st_mtime), stat.S_IMODE(st.st_mode),
                                 os.readlink(e.path) if kind == "l" else "")
                if kind == "d":
                    stack.append((e.path, rel + "/"))
    return out


# One tree on a host, as `sh -c LIST_SCRIPT sh ROOT` prints it (GNU find): per entry three
# NUL-terminated fields, "KIND SIZE MTIME MODE", the symlink target and the path. NUL is the one
# byte no name holds; a tab or newline in a name is read back whole. MTIME is `%T@`, seconds with
# ten decimals (nanoseconds and a zero). Nothing at all when ROOT is not a directory.
LIST_SCRIPT = ('[ -d "$1" ] || exit 0; cd -- "$1" && find . -mindepth 1 -printf '
               "'%y %s %T@ %m\\0%l\\0%P\\0'")


def parse_listing(text: str, excludes: list[str], *, mtime_ns: bool) -> Manifest:
    """LIST_SCRIPT's output as a manifest, excluded and temporary paths (and all below them)
    left out. `mtime_ns`: exact nanoseconds; otherwise whole seconds as `int(float(MTIME))`."""
    found: Manifest = {}
    rules = Excludes(excludes)
    pruned: list[str] = []
    fields = text.split("\0")
    for i in range(0, len(fields) - 2, 3):
        head, link, rel = fields[i].split(" "), fields[i + 1], fields[i + 2]
        if len(head) != 4 or not rel:
            continue
        kind, size, mtime, mode = head
        if any(rel.startswith(p + "/") for p in pruned):
            continue
        if skipped(rel.rsplit("/", 1)[-1]) or (rules and rules.match(rel, kind == "d")):
            pruned.append(rel)
            continue
        found[rel] = make_entry(kind, int(size), ns_of(mtime) if mtime_ns else int(float(mtime)),
                                int(mode, 8), link)
    return found


def ns_of(seconds: str) -> int:
    """`1700000000.1234567890` -> 1700000000123456789, exactly (a float keeps ~7 decimals)."""
    sign = -1 if seconds.startswith("-") else 1
    whole, _, frac = seconds.lstrip("-").partition(".")
    return sign * (int(whole or "0") * 10**9 + int((frac + "000000000")[:9]))


def whole_seconds(ns: int) -> int:
    """A nanosecond mtime as `int(os.stat().st_mtime)` reads it (what SFTP manifests hold)."""
    sec, frac = divmod(ns, 10**9)
    return int(float(sec) + frac * 1e-9)


def kind_of(mode: int) -> str:
    return "d" if stat.S_ISDIR(mode) else "l" if stat.S_ISLNK(mode) else "f"


def diff(src: Manifest, dst: Manifest) -> ChangeList:
    """What turns `dst` into `src`, named as rsync names them (directories end in '/')."""
    def name(rel: str, e: Entry) -> str:
        return rel + "/" if e.kind == "d" else rel

    created = [name(r, src[r]) for r in sorted(src.keys() - dst.keys())]
    updated = [name(r, src[r]) for r in sorted(r for r, e in src.items()
                                               if r in dst and not e.same(dst[r]))]
    deleted = [name(r, dst[r]) for r in sorted(dst.keys() - src.keys(), reverse=True)]
    sent = sum(src[r.rstrip("/")].size for r in created + updated if src[r.rstrip("/")].kind == "f")
    files = sum(1 for r in created + updated if src[r.rstrip("/")].kind == "f")
    return ChangeList(created, updated, deleted, bytes_sent=sent, files_transferred=files)


@dataclass(frozen=True)
class Pushed:
    """What the last complete push left live on one host."""

    release: str  # the live release id (atomic sets), "" for a plain directory
    entries: Manifest


class PushedRecords:
    """The pushed records of one state dir (see the module docstring)."""

    def __init__(self, mirror_root: Path) -> None:
        self.dir = mirror_root / ".pushed"

    def _path(self, set_name: str, host: str) -> Path:
        return self.dir / f"{set_name}@{host}"

    @staticmethod
    def _key(target: SshTarget, host_path: str, excludes: list[str],
             mtime_ns: bool) -> dict[str, object]:
        return {"v": RECORD_VERSION, "host": target.host, "address": target.address,
                "port": target.port, "path": host_path, "exclude": excludes,
                "mtime": "ns" if mtime_ns else "s"}

    def load(self, set_name: str, target: SshTarget, host_path: str,
             excludes: list[str], *, mtime_ns: bool = False) -> Pushed | None:
        """The record, or None when there is none or it was made for another push."""
        try:
            raw = self._path(set_name, target.host).read_bytes()
        except FileNotFoundError:
            return None
        header, _, body = raw.partition(b"\n")
        try:
            head = json.loads(header)
            if head.get("key") != self._key(target, host_path, excludes, mtime_ns) or \
                    head.get("bytes") != len(body):  # another push's, or cut short
                return None
            fields = body.decode("utf-8", "surrogateescape").split("\0")
            entries = {fields[i + 5]: Entry(fields[i], int(fields[i + 1]), int(fields[i + 2]),
                                            int(fields[i + 3], 8), fields[i + 4])
                       for i in range(0, len(fields) - 5, 6)}
        except (ValueError, IndexError, AttributeError):
            return None  # damaged: the push takes the slow, checked path
        return Pushed(str(head.get("release", "")), entries)

    def forget(self, set_name: str, host: str) -> None:
        self._path(set_name, host).unlink(missing_ok=True)

    def save(self, set_name: str, target: SshTarget, host_path: str, excludes: list[str],
             pushed: Pushed, *, mtime_ns: bool = False) -> None:
        body = "\0".join(f"{e.kind}\0{e.size}\0{e.mtime}\0{e.mode:o}\0{e.link}\0{rel}"
                         for rel, e in pushed.entries.items()).encode("utf-8", "surrogateescape")
        header = json.dumps({"key": self._key(target, host_path, excludes, mtime_ns),
                             "release": pushed.release, "bytes": len(body)}).encode()
        write_atomic(self._path(set_name, target.host), header + b"\n" + body, durable=False)
