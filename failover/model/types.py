"""The small value types the inventory and playbooks share, and the annotation metadata that
model/coerce.py reads.

A field's annotation may carry metadata for coerce:
- `Parse(fn)`: `fn(raw value)` returns the field's value or raises ValueError with the message
  (durations, ports: they accept several spellings).
- `After(fn)`: after the base type is coerced, `fn(value)` returns it (maybe normalised) or
  raises ValueError (IP addresses, names, URLs).
- `msgspec.Meta(ge=, le=, min_length=)`: bounds, also shown in the JSON Schema.
- `Tag("type")` on a union of models: the key whose value picks the model.
- `Plugin("provider", "failover.dns.registry")` on a plug-in base model: the same, for models
  that live beside their plug-ins (dns/powerdns.py, checks/http.py); see `Plugin`.
"""

from __future__ import annotations

import importlib
import ipaddress
import re
from collections.abc import Callable
from typing import Annotated, Any

from msgspec import Meta

__all__ = ["After", "Cidr", "Duration", "Fqdn", "IPv4", "IPv6", "Meta", "Name", "Parse", "Plugin",
           "Port", "Secret", "Tag", "format_age", "format_duration", "parse_duration"]


class Parse:
    """Annotation metadata: `fn(raw)` makes the value (see the module docstring)."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn


class After:
    """Annotation metadata: `fn(value)` checks the coerced value (see the module docstring)."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn


class Tag:
    """Annotation metadata on a union of models: `key` names the model (`type: http`)."""

    def __init__(self, key: str) -> None:
        self.key = key


class Plugin:
    """Annotation metadata on a plug-in base model: `Annotated[ZoneBase, Plugin("provider",
    "failover.dns.registry")]`. The value of `key` names the plug-in; the module `registry` holds
    `PLUGINS`, a mapping name -> "module:SettingsModel", in the order messages list the names.

    This is the seam that keeps model/ free of back-ends: the model names a registry by its
    dotted path and imports nothing of it at import time (no import cycle, no start-up cost).
    Coercing a value imports the registry (a small module) and the one plug-in module the value
    names; `union()` imports them all (docs, JSON Schema). Raises ImportError when a registry or
    plug-in module cannot be imported.
    """

    def __init__(self, key: str, registry: str) -> None:
        self.key = key
        self.registry = registry

    def _plugins(self) -> dict[str, str]:
        plugins: dict[str, str] = importlib.import_module(self.registry).PLUGINS
        return plugins

    def names(self) -> list[str]:
        """The valid values of `key`, in the registry's order."""
        return list(self._plugins())

    def model(self, name: str) -> type:
        """The settings model of plug-in `name`; KeyError when there is none."""
        module, _, cls = self._plugins()[name].partition(":")
        found: type = getattr(importlib.import_module(module), cls)
        return found

    def union(self) -> Any:
        """`Annotated[M1 | M2 | ..., Tag(key)]` over every plug-in (imports every plug-in)."""
        from typing import Union

        members = tuple(self.model(name) for name in self.names())
        return Annotated[Union[members], Tag(self.key)]  # noqa: UP007 (built from a tuple)


def expand_plugins(tp: Any) -> Any:
    """`tp` with a `Plugin` annotation replaced by its tagged union; other types unchanged."""
    plugin = next((m for m in getattr(tp, "__metadata__", ()) if isinstance(m, Plugin)), None)
    return tp if plugin is None else plugin.union()


SECRET_MASK = "***"  # noqa: S105 (the mask, not a password)


class Secret:
    """A value that must never be printed, logged or written: repr and str are `***`.

    `get_secret_value()` is the one way to read it, at the point of use (an HTTP header, a
    TSIG key).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{SECRET_MASK}')"

    def __str__(self) -> str:
        return SECRET_MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


def json_default(value: Any) -> Any:
    """JSON for the types msgspec and json do not know: secrets as ***, paths as text."""
    from pathlib import PurePath

    if isinstance(value, Secret):
        return SECRET_MASK
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return to_json()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


_NUM = r"(\d+(?:\.\d+)?)"
_DURATION = re.compile(rf"^\s*(?:{_NUM}h)?\s*(?:{_NUM}m)?\s*(?:{_NUM}s?)?\s*$")


def parse_duration(value: object) -> float:
    """`30s`, `5m`, `1h`, `1h30m`, or plain seconds -> seconds (float)."""
    if isinstance(value, bool):
        raise ValueError("is not a duration (e.g. 30s, 5m, 1h, or seconds)")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and value.strip() and (m := _DURATION.match(value)):
        h, mins, s = (float(g) if g else 0.0 for g in m.groups())
        seconds = h * 3600 + mins * 60 + s
    else:
        raise ValueError(f"{value!r} is not a duration (e.g. 30s, 5m, 1h, or seconds)")
    if seconds < 0:
        raise ValueError(f"{value!r} is negative; a duration is 0 or more (e.g. 30s, 5m, 1h)")
    return seconds


def format_duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds % 3600 == 0 and seconds:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0 and seconds:
        return f"{seconds // 60}m"
    return f"{seconds}s"


def format_age(seconds: float) -> str:
    """A measured age, rounded for people: `45s`, `12m`, `3h`, `2h 30m`, `3d` (format_duration
    is exact: it shows a configured value, and an age of 3 h and 1 s as `10801s`)."""
    seconds = max(0, round(seconds))
    if seconds < 120:
        return f"{seconds}s"
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes}m"
    if minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours}h {rest}m" if rest else f"{hours}h"
    return f"{round(minutes / 1440)}d"


def _port(value: object) -> int:
    text = str(value).strip() if isinstance(value, int | str) and not isinstance(value, bool) \
        else ""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        shown = repr(value) if isinstance(value, str) else str(value).lower() \
            if isinstance(value, bool) else value
        raise ValueError(f"{shown} is not a port (1-65535)")
    return int(text)


def _ipv4(value: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 address (e.g. 203.0.113.10)") from None


def _ipv6(value: str) -> str:
    try:
        return str(ipaddress.IPv6Address(value))
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv6 address (e.g. 2001:db8::10)") from None


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError(f"{value!r} is not a name (letters, digits, '.', '_', '-')")
    return value


def _fqdn(value: str) -> str:
    if not value.endswith("."):
        value += "."
    return value.lower()


def _cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        raise ValueError(f"{value!r} is not a network (e.g. 203.0.113.0/24)") from None


Duration = Annotated[float, Parse(parse_duration)]
Port = Annotated[int, Parse(_port), Meta(ge=1, le=65535)]
Cidr = Annotated[str, After(_cidr)]
IPv4 = Annotated[str, After(_ipv4)]
IPv6 = Annotated[str, After(_ipv6)]
Name = Annotated[str, After(_name)]
Fqdn = Annotated[str, After(_fqdn)]
