"""The audit log's files and its hash chain: which files hold it, in what order, and `verify`.

Files, oldest first: the rotated ones, `audit-<sequence>-<UTC time>.jsonl.gz` (or `.jsonl` when a
rotation stopped before compressing it), then the live `audit.jsonl`. Each line written since the
chain began carries `prev`: the SHA-256 (hex) of the previous line's text, across files; the first
line of a new log has `prev` = GENESIS. `audit.meta.json` keeps the hash of the last line (the
head), so the last line is covered too. Lines written before the chain (no `prev`) are read and
counted as unchained; the first chained line after them names the last of them as its `prev`.

An edited, removed or inserted line breaks the chain at that line: the next line's `prev` (or the
head, for the last line) no longer matches its hash.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

# hashlib and gzip are imported where a line is hashed or a rotated file read: a round that
# writes nothing (`check --no-act`) never loads OpenSSL's libcrypto for them

GENESIS = "0" * 64
LIVE = "audit.jsonl"
META = "audit.meta.json"
ROTATED_GLOB = "audit-*.jsonl*"


def line_hash(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def audit_files(state_dir: Path) -> list[Path]:
    """Every file of the log, oldest first. A rotated file left both plain and compressed by an
    interrupted rotation is read once (the plain one: the compressed one is written whole or not
    at all, and the plain one is removed only after)."""
    rotated: dict[str, Path] = {}
    for path in state_dir.glob(ROTATED_GLOB):
        stem = path.name.removesuffix(".gz")
        if stem.endswith(".jsonl") and (stem not in rotated or path.suffix != ".gz"):
            rotated[stem] = path
    files = [rotated[stem] for stem in sorted(rotated)]
    live = state_dir / LIVE
    return [*files, live] if live.exists() else files


def _lines(path: Path) -> Iterator[str]:
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            yield line.rstrip("\n")


class Entry(msgspec.Struct, frozen=True):
    file: Path
    line: int  # 1-based, in its file
    text: str
    record: dict[str, Any] | None  # None: the line is not a JSON object


def entries(state_dir: Path) -> Iterator[Entry]:
    """Every non-empty line of the log, oldest first."""
    for path in audit_files(state_dir):
        try:
            for n, text in enumerate(_lines(path), 1):
                if not text.strip():
                    continue
                try:
                    record = json.loads(text)
                except ValueError:
                    record = None
                yield Entry(path, n, text, record if isinstance(record, dict) else None)
        except FileNotFoundError:  # rotated away while we read the list
            continue


class Break(msgspec.Struct, frozen=True):
    file: Path
    line: int
    why: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.why}"


class ChainReport(msgspec.Struct):
    ok: bool = True
    head: str | None = None  # hash of the last line
    lines: int = 0
    unchained: int = 0  # lines written before the chain began (no `prev`)
    files: list[str] = msgspec.field(default_factory=list)
    broken: list[Break] = msgspec.field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "head": self.head, "lines": self.lines,
                "unchained": self.unchained, "files": self.files,
                "broken": [{"file": str(b.file), "line": b.line, "why": b.why}
                           for b in self.broken]}


def parse_meta(data: bytes) -> dict[str, Any]:
    try:
        meta = json.loads(data)
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def read_meta(state_dir: Path) -> dict[str, Any]:
    try:
        return parse_meta((state_dir / META).read_bytes())
    except FileNotFoundError:
        return {}


def verify(state_dir: Path) -> ChainReport:
    """Check every line's `prev` against the hash of the line before it, and the last line
    against the head kept in audit.meta.json. A broken link names the line that was changed
    (the one whose hash no longer matches what the next line, or the head, recorded)."""
    report = ChainReport(files=[str(p) for p in audit_files(state_dir)])
    before: Entry | None = None
    chained = False
    for entry in entries(state_dir):
        report.lines += 1
        prev = entry.record.get("prev") if entry.record is not None else None
        if entry.record is None:
            report.broken.append(Break(entry.file, entry.line, "not a JSON object"))
        elif prev is None:
            if chained:
                report.broken.append(Break(entry.file, entry.line,
                                           "has no `prev` inside the chain (line inserted)"))
            else:
                report.unchained += 1
        else:
            expected = line_hash(before.text) if before is not None else GENESIS
            if prev != expected:
                report.broken.append(_blame(before, entry))
            chained = True
        before = entry
    if before is not None:
        report.head = line_hash(before.text)
        recorded = read_meta(state_dir).get("head")
        if chained and recorded is not None and recorded != report.head:
            report.broken.append(Break(before.file, before.line,
                                       "the log's last line does not hash to the head kept "
                                       f"in {META} (line edited, or lines removed after it)"))
    report.ok = not report.broken
    return report


def _blame(before: Entry | None, entry: Entry) -> Break:
    if before is None:
        return Break(entry.file, entry.line,
                     "its predecessor is missing (lines or older files removed before it)")
    return Break(before.file, before.line,
                 f"does not hash to what the next line ({entry.file.name}:{entry.line}) "
                 "recorded as `prev` (this line edited, or lines removed or inserted here)")
