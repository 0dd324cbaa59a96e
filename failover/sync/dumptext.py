"""A dump's own text, read as it streams by: its tables and their row counts, the objects a
staged swap of tables cannot move, the source's position, and whether it ran to its end.

Pure: bytes in, facts out (dumps.py feeds it the decompressed stream; no second read of the
dump is ever needed). Counting from the dump itself, not from the source database, is what
makes the counts those of the data the dump holds: the source goes on taking orders meanwhile.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod


class DumpParser(ABC):
    """Reads a dump's text as it streams by: tables and their rows, what the swap cannot move,
    the source's position, and whether the dump ran to its end."""

    def __init__(self) -> None:
        self.tables: dict[str, int] = {}
        self.position: str | None = None
        self.unmovable: list[str] = []  # objects the staged swap would lose (views, triggers...)
        self.complete = False
        self._carry = b""

    def feed(self, data: bytes) -> None:
        data = self._carry + data
        end = data.rfind(b"\n") + 1
        self._carry = data[end:]
        self._lines(data[:end])

    def close(self) -> None:
        if self._carry:
            self._lines(self._carry + b"\n")
            self._carry = b""

    @abstractmethod
    def _lines(self, data: bytes) -> None:
        """Whole lines (each ending in \\n)."""


_STRING = re.compile(rb"'(?:[^'\\]|\\.)*'")
_NAME = re.compile(rb"`((?:[^`]|``)+)`")


def _name(line: bytes, start: int) -> str:
    found = _NAME.match(line, start)
    return found.group(1).replace(b"``", b"`").decode("utf-8", "replace") if found else "?"


class MySqlDumpParser(DumpParser):
    """mysqldump's text: a `CREATE TABLE` per table, then its rows as extended INSERTs. MariaDB's
    mysqldump writes `INSERT INTO `t` VALUES` on a line of its own and then one row per line
    (a value's newlines are escaped, `\\n`), the last ending in `);`; MySQL's writes a whole
    INSERT on one line, whose rows are its tuples (counted with quoted strings skipped)."""

    _OBJECTS: tuple[tuple[bytes, str], ...] = (
        (b"/*!50001 VIEW ", "view"), (b"*/ /*!50003 TRIGGER ", "trigger"),
        (b" PROCEDURE ", "procedure"), (b" FUNCTION ", "function"),
        (b"/*!50106 EVENT ", "event"))

    def __init__(self) -> None:
        super().__init__()
        self._inserting: str | None = None

    def _lines(self, data: bytes) -> None:
        pos = 0
        while pos < len(data):
            if self._inserting is not None:  # one row per line up to the one ending in ");"
                found = data.find(b");\n", pos)
                if found < 0:
                    self.tables[self._inserting] += data.count(b"\n", pos)
                    return
                self.tables[self._inserting] += data.count(b"\n", pos, found + 3)
                self._inserting, pos = None, found + 3
                continue
            eol = data.find(b"\n", pos)  # whole lines only: there is one
            line, pos = data[pos:eol], eol + 1
            if line.startswith(b"INSERT INTO `"):
                name = _name(line, 12)
                self.tables.setdefault(name, 0)
                if line.endswith(b" VALUES"):
                    self._inserting = name
                else:
                    text = _STRING.sub(b"''", line) if b"'" in line else line
                    self.tables[name] += text.count(b"),(") + 1
            elif line.startswith(b"CREATE TABLE `"):
                self.tables.setdefault(_name(line, 13), 0)
            elif line.startswith(b"-- Dump completed"):
                self.complete = True
            elif line.startswith((b"-- CHANGE MASTER TO MASTER_LOG_FILE",
                                  b"-- SET GLOBAL gtid_slave_pos")):
                found_at = line[3:].decode("utf-8", "replace").rstrip(";")
                self.position = found_at if self.position is None else \
                    f"{self.position}; {found_at}"
            elif line.startswith((b"/*!", b"CREATE DEFINER=")):
                self._object(line)

    def _object(self, line: bytes) -> None:
        for marker, kind in self._OBJECTS:
            at = line.find(marker)
            if at >= 0 and (kind not in ("procedure", "function")
                            or line.startswith(b"CREATE DEFINER=")):
                rest = line[at + len(marker):].split(b" ", 1)[0].split(b"(", 1)[0]
                self.unmovable.append(f"{kind} {rest.strip(b'`').decode('utf-8', 'replace')}")
                return


class PostgresDumpParser(DumpParser):
    """pg_dump's plain text: each table's rows are the lines of its `COPY ... FROM stdin;`
    block, up to the `\\.` line."""

    def __init__(self) -> None:
        super().__init__()
        self._copying: str | None = None

    def _lines(self, data: bytes) -> None:
        pos = 0
        while pos < len(data):
            if self._copying is not None:
                if data.startswith(b"\\.\n", pos):
                    end = pos
                else:
                    found = data.find(b"\n\\.\n", pos)
                    if found < 0:
                        self.tables[self._copying] += data.count(b"\n", pos)
                        return
                    end = found + 1
                self.tables[self._copying] += data.count(b"\n", pos, end)
                self._copying = None
                pos = end + 3
                continue
            eol = data.find(b"\n", pos)  # whole lines only: there is one
            line, pos = data[pos:eol], eol + 1
            if line.startswith(b"COPY ") and line.endswith(b"FROM stdin;"):
                name = line[5:].split(b" ", 1)[0].decode("utf-8", "replace")
                self.tables[name] = self.tables.get(name, 0)
                self._copying = name
            elif line.startswith(b"CREATE TABLE "):
                self.tables.setdefault(line[13:].split(b" ", 1)[0].decode("utf-8", "replace"), 0)
            elif line.startswith(b"-- PostgreSQL database dump complete"):
                self.complete = True
