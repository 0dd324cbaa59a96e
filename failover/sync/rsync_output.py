"""Reading rsync's output: itemized changes, --stats numbers, exit codes as sentences, and a
remote wrapper's `@failover` notes (release.py). Pure functions over text.

Implementation notes:
- rsync runs with LC_ALL=C and escapes odd bytes in names as `\\#ooo`, which `parse_itemized`
  decodes.
- A remote wrapper (`--rsync-path`, release.py) talks back on stderr in lines starting
  `@failover ` (stdout is rsync's protocol); they are returned as notes, never shown as errors.
"""

from __future__ import annotations

import re

from failover.remote.openssh import stderr_cause

NOTE = "@failover "  # how a remote wrapper's lines start (release.py)

EXIT_MEANINGS = {
    1: "syntax or usage error (a bug in failover, or an rsync too old on one side)",
    2: "protocol incompatibility between the two rsync versions",
    3: "a source or destination path could not be used",
    4: "an option is not supported by the other side's rsync",
    5: "could not start the rsync protocol (is rsync installed on the host?)",
    10: "network I/O error",
    11: "file I/O error (disk full? missing parent folder? permissions?)",
    12: "the connection broke mid-transfer (or rsync is missing on the host)",
    13: "rsync diagnostics error",
    14: "rsync IPC error",
    20: "rsync was interrupted",
    22: "out of memory",
    23: "partial transfer: some files or attributes were not transferred",
    24: "some source files vanished during the transfer",
    25: "the --max-delete limit stopped deletions: the host held more to delete than planned",
    30: "timed out sending or receiving data",
    35: "timed out waiting for a connection",
    255: "ssh failed (host unreachable, login refused, or host key problem)",
}

_ITEM = re.compile(r"^([<>ch.])([fdLDS])(\S{9,10}) (.+)$")
_DELETING = re.compile(r"^\*deleting +(.+)$")
_ESCAPE = re.compile(rb"\\#([0-7]{3})")


def split_notes(stderr: str) -> tuple[list[str], str]:
    """A remote wrapper's `@failover` lines (without the prefix), and the rest of stderr."""
    lines = stderr.splitlines()
    return ([ln.removeprefix(NOTE) for ln in lines if ln.startswith(NOTE)],
            "\n".join(ln for ln in lines if not ln.startswith(NOTE)))


def note_error(notes: list[str]) -> str:
    """What the wrapper said went wrong (its last `error: ` note), or ""."""
    failed = [n.removeprefix("error: ") for n in notes if n.startswith("error: ")]
    return failed[-1] if failed else ""


def _unescape(name: str) -> str:
    raw = name.encode("utf-8", "surrogateescape")
    raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 8)]), raw)
    return raw.decode("utf-8", "replace")


def parse_itemized(lines: list[str]) -> tuple[list[str], list[str], list[str], list[str]]:
    """--itemize-changes lines -> (itemized, created, updated, deleted) names.

    Directories keep their trailing slash. The transfer root (`./`) and directories whose only
    change is their mtime (a side effect of their contents changing) are not listed as updated.
    """
    itemized: list[str] = []
    created: list[str] = []
    updated: list[str] = []
    deleted: list[str] = []
    for line in lines:
        if m := _DELETING.match(line):
            itemized.append(line)
            deleted.append(_unescape(m.group(1)))
            continue
        m = _ITEM.match(line)
        if not m:
            continue
        itemized.append(line)
        kind, ftype, attrs, name = m.groups()
        name = name.split(" -> ", 1)[0] if ftype == "L" else name.split(" => ", 1)[0]
        name = _unescape(name)
        if name == "./":
            continue
        if kind != "." and set(attrs) == {"+"}:
            created.append(name)
        elif ftype == "d" and set(attrs) <= {".", "t", " "}:
            continue
        else:
            updated.append(name)
    return itemized, created, updated, deleted


def _stat(text: str, label: str) -> int:
    m = re.search(rf"^{re.escape(label)}: ([\d,.]+)", text, re.MULTILINE)
    return int(re.sub(r"\D", "", m.group(1))) if m else 0


def parse_stats(text: str) -> dict[str, int]:
    """The `--stats` numbers we report (0 when rsync did not print them)."""
    return {"bytes_sent": _stat(text, "Total bytes sent"),
            "bytes_received": _stat(text, "Total bytes received"),
            "files_transferred": _stat(text, "Number of regular files transferred")}


def source_files(text: str) -> int | None:
    """The entries of the sender's file list, without the transfer root (`./`): --stats'
    "Number of files: 5 (reg: 3, dir: 2)" is 4. None when rsync did not print it."""
    if not re.search(r"^Number of files: ", text, re.MULTILINE):
        return None
    return max(0, _stat(text, "Number of files") - 1)


def in_place(itemized: list[str]) -> list[str]:
    """The files and symlinks that rsync changes in place, with no new inode: only their mode,
    owner, group or (symlinks) mtime differ (`.f...p.....`, `.L..t......`). A file whose
    content, size or mtime differs is written to a new inode and renamed over the name."""
    names = []
    for line in itemized:
        m = _ITEM.match(line)
        if m and m.group(1) == "." and m.group(2) in "fL":
            name = m.group(4).split(" -> ", 1)[0] if m.group(2) == "L" else m.group(4)
            names.append(_unescape(name))
    return names


def describe_exit(code: int, stderr: str, where: str) -> str:
    meaning = EXIT_MEANINGS.get(code, "unexpected failure")
    cause = stderr_cause(stderr)
    return f"rsync {where} failed (exit {code}, {meaning})" + (f": {cause}" if cause else "")
