"""Read a YAML file into plain data plus a (line, column) mark for every mapping key and value.

Contract:
- `read_yaml(path)` returns a `Document`: the data (dicts, lists, scalars as PyYAML's SafeLoader
  types them), and marks addressed by path tuples such as ("hosts", "ovh-gra", "ssh", "port") or
  ("dns", 0, "api_key"). Lines and columns are 1-based.
- Mapping keys are always strings: a scalar key keeps its text (`22:` is "22", `on:` is "on"), so
  host names never turn into numbers or booleans. A non-scalar key is an error.
- A key that appears twice in one mapping is an error (YAML allows the parser to keep either).
  Merge keys (`<<: *defaults`) are supported; explicit keys win over merged ones.
- Every problem raises `ConfigError` with file:line:column: syntax errors (the parser's problem in
  one line), an empty file, duplicate keys (all of them, at once), unreadable files.

Why compose-then-walk: PyYAML's node tree carries a start mark for every node, so walking it gives
marks for keys and values without patching the constructor. A file is composed by libyaml
(`CSafeLoader`, ~5x faster: `failover check` reads the inventory every minute) when PyYAML has
it; a file libyaml refuses is read again by the pure-Python `SafeLoader`, whose syntax messages
are more specific (it names the offending character) and the same on every install.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import msgspec
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from failover.errors import ConfigError, Reason

log = logging.getLogger(__name__)

KeyPath = tuple[str | int, ...]

_MERGE_TAG = "tag:yaml.org,2002:merge"


class MarkedLoader(yaml.SafeLoader):
    """SafeLoader that only composes; `read_yaml` builds the data and marks from its nodes."""


_FAST_LOADER: type[Any] | None = getattr(yaml, "CSafeLoader", None)


class Mark(msgspec.Struct, frozen=True):
    line: int  # 1-based
    column: int  # 1-based


class Document(msgspec.Struct):
    """A loaded YAML file: `data` plus marks for keys (`keys`) and values (`values`)."""

    file: str
    data: Any
    keys: dict[KeyPath, Mark] = msgspec.field(default_factory=dict)
    values: dict[KeyPath, Mark] = msgspec.field(default_factory=dict)

    def mark(self, path: KeyPath, *, key: bool = False) -> Mark | None:
        """The mark of `path` (of its key if `key`), else of the nearest parent that has one.

        A parent is marked at its key when it has one (`ovh-gra:` for a missing
        hosts.ovh-gra.address); list items and the root are marked at their value.
        """
        exact = (self.keys, self.values) if key else (self.values, self.keys)
        for marks in exact:
            if path in marks:
                return marks[path]
        for end in range(len(path) - 1, -1, -1):
            parent = path[:end]
            found = self.keys.get(parent) or self.values.get(parent)
            if found:
                return found
        return None

    def reason(self, path: KeyPath, message: str, *, key: bool = False) -> Reason:
        """A Reason at `path` (see `mark`), its key shown dotted: `dns[0].records[2].values`."""
        mark = self.mark(path, key=key)
        return Reason(
            self.file,
            mark.line if mark else None,
            mark.column if mark else None,
            dotted(path),
            message,
        )


def dotted(path: KeyPath) -> str:
    """("dns", 0, "api_key") -> "dns[0].api_key"."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def read_yaml(path: Path, label: str | None = None) -> Document:
    """Load one YAML document from `path`; `label` is how messages name the file (default: path).

    Raises ConfigError for an unreadable file, a syntax error, an empty file, a non-string key,
    a recursive alias or duplicate keys.
    """
    file = label if label is not None else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError([Reason(file, None, None, "", f"cannot read the file: {why}")]) from None
    if _FAST_LOADER is not None:
        try:
            return _read(file, _FAST_LOADER(text))
        except ConfigError as exc:
            if not any(r.message.startswith(("YAML syntax error", "YAML error"))
                       for r in exc.reasons):
                raise  # a problem of ours (duplicate keys...): same words from either loader
    return _read(file, MarkedLoader(text))


def _read(file: str, loader: Any) -> Document:
    try:
        node = loader.get_single_node()
        if node is None:
            empty = "the file is empty (expected a YAML mapping)"
            raise ConfigError([Reason(file, None, None, "", empty)])
        builder = _Builder(loader, Document(file, None))
        builder.doc.data = builder.walk(node, ())
    except yaml.MarkedYAMLError as exc:
        raise ConfigError([_syntax_reason(file, exc)]) from None
    except yaml.YAMLError as exc:  # reader errors: control characters and the like
        raise ConfigError([Reason(file, None, None, "", f"YAML error: {exc}")]) from None
    finally:
        loader.dispose()
    if builder.reasons:
        raise ConfigError(builder.reasons)
    log.debug("read: file=%s marks=%d", file, len(builder.doc.values))
    return builder.doc


# The parser's words for the two mistakes everyone makes, and what to do about them.
_HINTS = {
    "mapping values are not allowed here": "; quote a value that contains ': '",
    "that cannot start any token": "; indent with spaces, not tabs",
}


def _syntax_reason(file: str, exc: yaml.MarkedYAMLError) -> Reason:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    if exc.context and exc.problem:
        problem = f"{exc.problem} ({exc.context})"
    problem += next((hint for words, hint in _HINTS.items() if words in problem), "")
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else None
    return Reason(file, line, column, "", f"YAML syntax error: {problem}")


def _mark(node: Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Walks the node tree once, building data and marks and collecting structural reasons."""

    def __init__(self, loader: MarkedLoader, doc: Document) -> None:
        self.loader = loader
        self.doc = doc
        self.reasons: list[Reason] = []
        self._open: set[int] = set()  # ids of collection nodes being walked (recursive aliases)

    def walk(self, node: Node, path: KeyPath) -> Any:
        self.doc.values.setdefault(path, _mark(node))
        if isinstance(node, ScalarNode):
            return self.loader.construct_object(node, deep=True)
        if id(node) in self._open:
            self.reasons.append(self.doc.reason(path, "an alias refers to itself (recursive YAML)"))
            return None
        self._open.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.walk(item, (*path, i)) for i, item in enumerate(node.value)]
            assert isinstance(node, MappingNode)
            return self._mapping(node, path)
        finally:
            self._open.discard(id(node))

    def _mapping(self, node: MappingNode, path: KeyPath, out: dict[str, Any] | None = None,
                 *, merging: bool = False) -> dict[str, Any]:
        """Explicit pairs first, then merge sources (`<<`) fill the keys still missing."""
        out = {} if out is None else out
        sources: list[MappingNode] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                sources += _merge_sources(value_node)
                continue
            if not isinstance(key_node, ScalarNode):
                self.reasons.append(self.doc.reason(path, "a key must be a plain name, not a "
                                                          "list or mapping"))
                continue
            key = str(key_node.value)
            here = (*path, key)
            if key in out:
                if not merging:
                    first = self.doc.keys[here].line
                    mark = _mark(key_node)
                    self.reasons.append(Reason(self.doc.file, mark.line, mark.column, dotted(here),
                                               f"duplicate key (first defined at line {first})"))
                continue
            self.doc.keys[here] = _mark(key_node)
            out[key] = self.walk(value_node, here)
        for source in sources:
            if id(source) in self._open:
                self.reasons.append(self.doc.reason(path, "a merge (<<) refers to itself"))
                continue
            self._open.add(id(source))
            self._mapping(source, path, out, merging=True)
            self._open.discard(id(source))
        return out


def _merge_sources(node: Node) -> list[MappingNode]:
    if isinstance(node, MappingNode):
        return [node]
    if isinstance(node, SequenceNode):
        return [n for n in node.value if isinstance(n, MappingNode)]
    raise yaml.constructor.ConstructorError(
        None, None, "a merge key (<<) needs a mapping or a list of mappings", node.start_mark
    )
