"""Scalars for model/coerce.py: plain values (often text, since a `${VAR}` always expands to text)
as str, int, float, bool, Path or Secret; bounds from `msgspec.Meta`; and how a message shows the
value it got. Pure functions; a value that does not fit is `BAD`, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path, PurePath
from typing import Any

import msgspec

from failover.model.types import Secret


class _Bad:
    """The result of a value that had a problem (reported, or skipped on purpose)."""


BAD: Any = _Bad()
_NOUNS = {"hosts": "host", "dns": "zone", "checks": "check", "records": "record", "steps": "step"}
_BOUNDS = (("ge", "{} or more"), ("gt", "more than {}"), ("le", "{} or less"),
           ("lt", "less than {}"))
_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


def one_of(values: Iterable[str]) -> str:
    return ", ".join(values) or "none"


def suggest(word: str, valid: Iterable[str]) -> str:
    """` (did you mean 'address'?)` when `word` looks like a typo of one of `valid`."""
    import difflib

    close = difflib.get_close_matches(word, list(valid), n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


def unknown_key(key: str, valid: list[str]) -> str:
    return f"unknown key; valid keys here: {one_of(valid)}{suggest(key, valid)}"


def got(value: Any, secret: bool = False) -> str:
    if secret:
        return "***"
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return "a mapping" if isinstance(value, dict) else "a list"
    return repr(value) if isinstance(value, str) else str(value)


def scalar(tp: Any, data: Any) -> Any:
    """`data` as the scalar type `tp`, or BAD (a bool is never a number, nor a number text)."""
    if isinstance(data, bool) and tp is not bool:
        return BAD
    converters: dict[Any, Callable[[Any], Any]] = {
        str: lambda d: d if isinstance(d, str) else BAD,
        int: _int, float: _float, bool: _bool,
        Path: lambda d: Path(d) if isinstance(d, str | PurePath) and str(d) else BAD,
        Secret: lambda d: Secret(d) if isinstance(d, str) else BAD,
    }
    convert = converters.get(tp)
    return BAD if convert is None else convert(data)


def _int(data: Any) -> Any:
    if isinstance(data, int):
        return data
    if isinstance(data, float):
        return int(data) if data.is_integer() else BAD
    if isinstance(data, str) and data.strip().lstrip("+-").isdigit():
        return int(data.strip())
    return BAD


def _float(data: Any) -> Any:
    if isinstance(data, int | float):
        return float(data)
    try:
        return float(data) if isinstance(data, str) else BAD
    except ValueError:
        return BAD


def _bool(data: Any) -> Any:
    if isinstance(data, bool):
        return data
    text = str(data).strip().lower() if isinstance(data, str | int) else ""
    return True if text in _TRUE else False if text in _FALSE else BAD


def bounds(meta: msgspec.Meta, value: Any, path: tuple[str | int, ...]) -> str:
    for name, phrase in _BOUNDS:
        bound = getattr(meta, name, None)
        if bound is None or isinstance(value, list | dict | str):
            continue
        ok = {"ge": value >= bound, "gt": value > bound, "le": value <= bound,
              "lt": value < bound}[name]
        if not ok:
            return f"must be {phrase.format(bound)}, got {value}"
    if meta.min_length is not None and len(value) < meta.min_length:
        last = next((p for p in reversed(path) if isinstance(p, str)), "")
        noun = _NOUNS.get(last, "entry")
        limit = meta.min_length
        plural = (noun[:-1] + "ies" if noun.endswith("y") else noun + "s") if limit != 1 else noun
        hint = " (a primary and at least one standby)" if noun == "host" else ""
        return f"needs at least {limit} {plural}{hint}, got {len(value) or 'none'}"
    return ""
