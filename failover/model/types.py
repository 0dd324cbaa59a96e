"""Small value types shared by the inventory and playbook models."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, ConfigDict

# Every model forbids unknown keys (a typo must never pass silently) and is immutable.
STRICT = ConfigDict(extra="forbid", frozen=True, strict=False, hide_input_in_errors=True)

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


def _port(value: int) -> int:
    if not 1 <= value <= 65535:
        raise ValueError(f"{value} is not a port (1-65535)")
    return value


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


Duration = Annotated[float, BeforeValidator(parse_duration)]
Cidr = Annotated[str, AfterValidator(_cidr)]
Port = Annotated[int, AfterValidator(_port)]
IPv4 = Annotated[str, AfterValidator(_ipv4)]
IPv6 = Annotated[str, AfterValidator(_ipv6)]
Name = Annotated[str, AfterValidator(_name)]
Fqdn = Annotated[str, AfterValidator(_fqdn)]
