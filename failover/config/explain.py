"""Turn pydantic validation errors into Reasons: file:line:column, dotted key, what would be valid.

Contract of `explain(exc, root, doc)`:
- one Reason per problem, sorted by position; every pydantic error is accounted for.
- pydantic's `loc` is mapped to the YAML path by walking the model types alongside it: the tags
  pydantic inserts for discriminated unions (`('dns', 0, 'powerdns', 'api_key')`) and the branch
  labels of plain unions (`'str'`, `'list[str]'`) are dropped; errors about a mapping key
  (`'[key]'`) point at the key.
- where a union has several branches, the errors of the branches that do not match the shape of
  the value (a mapping where a string or a mapping was allowed) are dropped, and type errors of
  the same value are merged: `expected a string or a list, got 5`.
- a value typed `SecretStr` is never shown: `***` stands in for it.
The type walking lives in `locate.py`.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Collection, Iterable
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from failover.config.locate import Where, locate, model_keys, tags
from failover.config.yamlmarks import Document, KeyPath
from failover.errors import Reason
from failover.model.types import Port

log = logging.getLogger(__name__)

_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "path_type": "a file path",
}
_BOUNDS = {
    "greater_than_equal": ("ge", "{} or more"),
    "greater_than": ("gt", "more than {}"),
    "less_than_equal": ("le", "{} or less"),
    "less_than": ("lt", "less than {}"),
}
_NOUNS = {"hosts": "host", "dns": "zone", "checks": "check", "records": "record", "steps": "step"}
_PORT_METADATA = list(get_args(Port)[1:])


def explain(exc: ValidationError, root: type[BaseModel], doc: Document, data: Any, *,
            skip: Collection[KeyPath] = (), hidden: Collection[str] = ()) -> list[Reason]:
    """Reasons for every error of `exc` (raised validating `data` as `root`).

    `skip`: paths already reported (an unset ${VAR}); errors at or under them are left out.
    `hidden`: top-level keys the loader sets, never listed as valid keys.
    """
    located = [(err, locate(root, err["loc"], data)) for err in exc.errors()]
    located = [(e, w) for e, w in located if not any(w.path[: len(s)] == s for s in skip)]
    decided = {w.union for _, w in located if w.union and w.branch_fits}
    reasons: dict[tuple[KeyPath, bool], list[tuple[ErrorDetails, Where]]] = {}
    extra: list[Reason] = []
    for err, where in located:
        if where.union and not where.branch_fits and where.union in decided:
            continue  # another branch fits the value's shape and explains the problem
        reasons.setdefault((where.path, where.on_key), []).append((err, where))
        extra += _hidden_extras(err, where, doc, hidden)
    out = [r for group in reasons.values() for r in _reasons(group, doc, hidden)] + extra
    log.debug("explain: errors=%d reasons=%d", len(located), len(out))
    return sort_reasons(out)


def sort_reasons(reasons: Iterable[Reason]) -> list[Reason]:
    unique = dict.fromkeys(reasons)
    return sorted(unique, key=lambda r: (r.file, r.line or 0, r.column or 0, r.key))


def suggest(word: str, valid: Iterable[str]) -> str:
    """` (did you mean 'address'?)` when `word` looks like a typo of one of `valid`."""
    close = difflib.get_close_matches(word, list(valid), n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


def one_of(values: Iterable[str]) -> str:
    return ", ".join(values) or "none"


def _reasons(group: list[tuple[ErrorDetails, Where]], doc: Document,
             hidden: Collection[str]) -> list[Reason]:
    """The reasons for the errors at one path; type errors of union branches become one."""
    err, where = group[0]
    expected = [_EXPECTED[e["type"]] for e, _ in group if e["type"] in _EXPECTED]
    if len(group) > 1 and len(expected) == len(group):
        either = " or ".join(dict.fromkeys(expected))
        message = f"expected {either}, got {_got(err['input'], where)}"
        return [doc.reason(where.path, message, key=where.on_key)]
    out = []
    for one, here in group:
        path, message, on_key = _message(one, here, hidden)
        out.append(doc.reason(path, message, key=on_key))
    return out


def _message(err: ErrorDetails, where: Where, hidden: Collection[str]) -> tuple[KeyPath, str, bool]:
    kind, ctx, value = err["type"], err.get("ctx", {}), err["input"]
    path = where.path
    if kind == "extra_forbidden":
        keys = [k for k in model_keys(where.owner) if not (where.owner_is_root and k in hidden)]
        return path, unknown_key(str(path[-1]), keys), True
    if kind == "missing":
        return path, "required key is missing", False
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        name = str(ctx.get("discriminator", "")).strip("'\"")
        valid = one_of(tags(where.type, name))
        if kind == "union_tag_not_found":
            return (*path, name), f"required key is missing; one of: {valid}", False
        return (*path, name), f"{_got(ctx.get('tag'), where)} is not one of: {valid}", False
    if kind == "literal_error":
        literals = [str(v) for v in get_args(where.type)] or [str(ctx.get("expected", ""))]
        return path, f"{_got(value, where)} is not one of: {one_of(literals)}", where.on_key
    if kind in ("int_parsing", "int_type", "int_from_float") and where.metadata == _PORT_METADATA:
        return path, f"{_got(value, where)} is not a port (1-65535)", False
    if kind in _EXPECTED:
        return path, f"expected {_EXPECTED[kind]}, got {_got(value, where)}", where.on_key
    if kind in _BOUNDS:
        bound, phrase = _BOUNDS[kind]
        return path, f"must be {phrase.format(ctx.get(bound))}, got {_got(value, where)}", False
    if kind in ("too_short", "too_long"):
        return path, _length(kind, ctx, path), False
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        message = str(ctx["error"])
    else:
        message = err["msg"].replace("Input should be", "should be")
    if where.secret and isinstance(value, str) and value:
        message = message.replace(repr(value), "***").replace(value, "***")
    return path, message, where.on_key


def _length(kind: str, ctx: dict[str, Any], path: KeyPath) -> str:
    last = next((p for p in reversed(path) if isinstance(p, str)), "")
    noun = _NOUNS.get(last, "entry")
    limit = int(ctx.get("min_length" if kind == "too_short" else "max_length", 0))
    plural = (noun[:-1] + "ies" if noun.endswith("y") else noun + "s") if limit != 1 else noun
    actual = ctx.get("actual_length")
    got = f"got {actual}" if actual else "got none"
    hint = " (a primary and at least one standby)" if noun == "host" else ""
    word = "at least" if kind == "too_short" else "at most"
    return f"needs {word} {limit} {plural}{hint}, {got}"


def _hidden_extras(err: ErrorDetails, where: Where, doc: Document,
                   hidden: Collection[str]) -> list[Reason]:
    """Unknown keys of a mapping whose model-level validator failed (pydantic stops before it
    would report them), e.g. a playbook step `shell:` that also has no valid action."""
    if err["type"] not in ("value_error", "assertion_error") or not isinstance(where.value, dict):
        return []
    if not (isinstance(where.type, type) and issubclass(where.type, BaseModel)):
        return []
    keys = [k for k in model_keys(where.type) if not (where.path == () and k in hidden)]
    return [doc.reason((*where.path, k), unknown_key(k, keys), key=True)
            for k in where.value if k not in keys]


def unknown_key(key: str, valid: list[str]) -> str:
    return f"unknown key; valid keys here: {one_of(valid)}{suggest(key, valid)}"


def _got(value: Any, where: Where) -> str:
    if where.secret:
        return "***"
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return repr(value)
    return str(value)
