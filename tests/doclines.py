"""Every command line a user is shown in README.md and docs/*.md, found by reading the Markdown.

Where commands are found:
- fenced blocks marked sh, bash, shell or console (console: the `$ ` lines): each simple command
  (split at `&&`, `||`, `;`, `|`), comments dropped;
- fenced blocks marked crontab: every schedule line (its command part is kept as a shell string);
- fenced blocks marked ini: a systemd unit, named by the last `/path/name.service` (or .timer,
  ...) shown before the block; its `Exec...=` lines (ExecStart=, ...) are commands too;
- inline code: `failover ...`, a path ending in `/failover`, `sudo ...`, `make ...`, a crontab line
  (five schedule fields), an option fragment (`--to HOST`, `-i INVENTORY`), a failover command
  without the program name (`watch --interval 10s`), and any span of two words or more that starts
  with a program (one on PATH, or one of PROGRAMS).

A block of any other kind (yaml, json, unmarked) that holds a line looking like a command is a
problem, and so is a unit with no name: the test fails rather than skipping something silently.
"""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SHELL_LANGS = {"sh", "bash", "shell", "console"}
# programs the docs may show that need not be installed here; anything on PATH counts too
PROGRAMS = {"aws", "apt-get", "crontab", "curl", "dig", "journalctl", "mysql", "mysqldump",
            "node_exporter", "pg_dump", "pip", "pip3", "promtool", "psql", "python", "python3",
            "rsync", "ssh", "sudo", "systemctl", "systemd-analyze", "useradd"}
CRON_FIELD = r"(?:\*|[\d*,/-]+|[a-zA-Z]{3}(?:-[a-zA-Z]{3})?)"
CRON = re.compile(rf"\s*((?:{CRON_FIELD}\s+){{4}}{CRON_FIELD}|@\w+)\s+(?P<command>\S.*)")
UNIT_NAME = re.compile(r"(?:^|/)(?P<name>[\w@.-]+\.(?:service|timer|socket|path|mount|target))$")
# a line in a non-command block that looks like a command someone should be able to run
COMMAND_LIKE = re.compile(r"^\s*(?:\$ |failover |make |sudo |\S+/bin/failover )")
FENCE = re.compile(r"^(?P<fence>```+|~~~+)\s*(?P<info>\S*)")
SPAN = re.compile(r"(?<!`)(?P<ticks>`+)(?!`)(?P<code>.+?)(?<!`)(?P=ticks)(?!`)", re.DOTALL)
OPTION = re.compile(r"--?[A-Za-z][\w-]*(?:=\S*)?")  # `--dry-run`, `-q`, `--wait=60`
SEPARATORS = {"&&", "||", ";", "|"}
REDIRECT = re.compile(r"(?P<fd>\d?)(?P<op>>>|>|<)(?P<target>.+)")  # `>>log`, `2>&1`


@dataclass(frozen=True)
class DocLine:
    """One command as the docs show it. `text` is its words joined by single spaces (quotes and
    comments gone): the key of the explicit not-run list. `argv` is the command's words; for
    `crontab` the schedule is dropped and `shell` keeps the command part for /bin/sh."""

    file: str
    line: int
    kind: str  # failover | fragment | crontab | make | program
    text: str
    argv: tuple[str, ...]
    shell: str = ""

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}: {self.text}"


@dataclass(frozen=True)
class Unit:
    """A systemd unit file shown in the docs."""

    file: str
    line: int
    name: str
    text: str


@dataclass
class Found:
    lines: list[DocLine] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def doc_files(repo: Path) -> list[Path]:
    return [repo / "README.md", *sorted((repo / "docs").glob("*.md"))]


def find(repo: Path, commands: set[str]) -> Found:
    """Every command line of the repo's docs; `commands` are failover's command names."""
    found = Found()
    for path in doc_files(repo):
        scan(path.relative_to(repo).as_posix(), path.read_text(), commands, found)
    return found


def scan(name: str, text: str, commands: set[str], found: Found) -> None:
    lines = text.splitlines()
    prose: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            prose.append((i + 1, lines[i]))
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines))
                    if lines[j].strip().startswith(m["fence"])), len(lines))
        unit = _spans(name, prose, commands, found)  # a unit is named in the prose before it
        prose = []
        _block(name, i + 2, m["info"].lower(), lines[i + 1:end], unit, found)
        i = end + 1
    _spans(name, prose, commands, found)


def _block(name: str, first: int, lang: str, body: list[str], unit: str, found: Found) -> None:
    if lang in SHELL_LANGS:
        for n, line in _logical(first, body):
            if lang == "console":
                if not line.startswith("$ "):
                    continue  # output
                line = line[2:]
            for words in _simple_commands(name, n, line, found):
                _add(found, name, n, words)
    elif lang == "crontab":
        for n, line in _logical(first, body):
            if line.lstrip().startswith("#") or "=" in line.split()[0]:
                continue  # a comment or an environment line
            _cron(found, name, n, line)
    elif lang == "ini":
        if not unit:
            found.problems.append(f"{name}:{first}: an ini block with no unit name shown before "
                                  "it (e.g. `/etc/systemd/system/NAME.service`:)")
            return
        if any(u.name == unit for u in found.units):
            found.problems.append(f"{name}:{first}: a second unit named {unit}")
        found.units.append(Unit(name, first, unit, "\n".join(body) + "\n"))
        for k, line in enumerate(body):
            key, _, value = line.partition("=")
            if key.strip().startswith("Exec"):  # ExecStart=, ExecStartPre=, ExecStop=, ...
                words = shlex.split(value.strip().lstrip("-@+!:"))
                _add(found, name, first + k, words)
    else:
        for k, line in enumerate(body):
            if COMMAND_LIKE.match(line) or CRON.fullmatch(line):
                found.problems.append(f"{name}:{first + k}: a command in a ```{lang} block: "
                                      f"mark the block sh, console or crontab: {line.strip()}")


def _logical(first: int, body: list[str]) -> Iterator[tuple[int, str]]:
    """(line number, line) with `\\` continuations joined; blank lines dropped."""
    start, parts = first, []
    for k, line in enumerate(body):
        if not parts:
            start = first + k
        if line.rstrip().endswith("\\"):
            parts.append(line.rstrip()[:-1])
            continue
        parts.append(line)
        joined = " ".join(parts).strip()
        parts = []
        if joined and not joined.startswith("#"):
            yield start, joined


def _simple_commands(name: str, n: int, line: str, found: Found) -> list[list[str]]:
    lex = shlex.shlex(line, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    lex.commenters = "#"
    try:
        tokens = list(lex)
    except ValueError as e:
        found.problems.append(f"{name}:{n}: cannot split {line!r}: {e}")
        return []
    out: list[list[str]] = [[]]
    for token in tokens:
        if token in SEPARATORS:
            out.append([])
        else:
            out[-1].append(token)
    return [words for words in out if words]


def _spans(name: str, prose: list[tuple[int, str]], commands: set[str], found: Found) -> str:
    """Inline code in the prose lines; returns the last unit name shown in them."""
    unit = ""
    paragraph: list[tuple[int, str]] = []
    for n, line in [*prose, (0, "")]:
        if line.strip():
            paragraph.append((n, line))
            continue
        if paragraph:
            text = "\n".join(line for _, line in paragraph)
            for m in SPAN.finditer(text):
                n0 = paragraph[0][0] + text.count("\n", 0, m.start("code"))
                code = " ".join(m["code"].split())
                if u := UNIT_NAME.search(code):
                    unit = u["name"]
                _span(found, name, n0, code, commands)
        paragraph = []
    return unit


def _span(found: Found, name: str, n: int, code: str, commands: set[str]) -> None:
    if CRON.fullmatch(code):
        _cron(found, name, n, code)
        return
    try:
        words = shlex.split(code)
    except ValueError as e:  # unbalanced quotes: a YAML value or a message, unless a command
        if code.split()[0] in ("failover", "sudo", "make") or _is_program(code.split()[0]):
            found.problems.append(f"{name}:{n}: cannot split `{code}`: {e}")
        return
    first = words[0]
    if len(words) < 2 and not OPTION.fullmatch(first):
        return  # a name: `failover`, `check`, `flock`, a path
    if first in ("failover", "sudo", "make") or first.endswith("/failover"):
        _add(found, name, n, words)
    elif first.startswith("-") or first in commands:  # `--to HOST`, `watch --interval 10s`
        argv = tuple(words) if first.startswith("-") else ("failover", *words)
        found.lines.append(DocLine(name, n, "fragment", " ".join(words), argv))
    elif _is_program(first):
        _add(found, name, n, words)


def _is_program(word: str) -> bool:
    if word in PROGRAMS:
        return True
    return re.fullmatch(r"[\w.+-]+", word) is not None and shutil.which(word) is not None


def _cron(found: Found, name: str, n: int, line: str) -> None:
    m = CRON.fullmatch(line)
    if not m:
        found.problems.append(f"{name}:{n}: not a crontab line (five schedule fields, then the "
                              f"command): {line}")
        return
    shell = m["command"]
    words = [w for w in shlex.split(shell) if not REDIRECT.fullmatch(w)]
    found.lines.append(DocLine(name, n, "crontab", " ".join(shlex.split(line)), tuple(words),
                               shell=shell))


def _add(found: Found, name: str, n: int, words: list[str]) -> None:
    program = next(iter(strip_sudo(tuple(words))), "")
    if program == "failover" or program.endswith("/failover"):
        kind = "failover"
    elif program == "make":
        kind = "make"
    else:
        kind = "program"
    found.lines.append(DocLine(name, n, kind, " ".join(words), tuple(words)))


def strip_sudo(argv: tuple[str, ...]) -> tuple[str, ...]:
    """`sudo [-u USER] COMMAND...` -> `COMMAND...` (the docs' production user; tests run as
    root); any other argv as it is."""
    if argv[:1] != ("sudo",):
        return argv
    return argv[3:] if argv[1:2] == ("-u",) else argv[1:]
