"""Secrets are never printed: the process's list of secret strings, and `redact()` that masks them.

Every way out goes through `redact()`: log lines, ours and every library's (cli/logs.py masks each
record as it is made), the command's own output (cli/app.py, cli/main.py), and the JSON of the
audit log, the journals and `--json` (state/files.dumps).

Where secrets come from: every secret-typed value of the inventory (`register_inventory`: the
PowerDNS api_key, TSIG secrets, lexicon credentials, the notify webhooks' URLs), and values learnt
while running (`register`): a TSIG secret read from its file, a playbook's `webhook:` URL once
rendered (engine/runner.py registers them before the run writes anything).

A URL is a secret as a whole and through its path and query, which is where Slack, Mattermost and
Teams webhooks carry their token and what HTTP libraries log (urllib3: `"POST /hook/T0/B1/xyz
HTTP/1.1" 200`); its scheme, host and port stay readable: `https://hooks.example/***`.

Why one process-wide list: log records come from any module and any thread (urllib3's pool,
paramiko's transport thread), and logging itself is process-wide. The list only grows.
Values shorter than MIN_LENGTH are not masked: masking "x" everywhere would garble every line,
and such a value protects nothing.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from urllib.parse import quote, urlsplit

MASK = "***"
MIN_LENGTH = 4
_SAFE_IN_PATH = "!#$%&'()*+,/:;=?@[]~"  # what requests leaves as it is when it quotes a URL


class Redactor:
    """A set of secret strings and what each one is replaced with. Thread-safe."""

    def __init__(self) -> None:
        self._masks: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, value: str) -> None:
        """Mask `value` (and, if it is a URL, its path and query) from now on."""
        value = value.strip()
        if len(value) < MIN_LENGTH:
            return
        masks = {value: MASK}
        parts = urlsplit(value) if "://" in value else None
        if parts is not None and parts.hostname:
            port = f":{parts.port}" if parts.port else ""
            masks[value] = f"{parts.scheme}://{parts.hostname}{port}/{MASK}"
            tail = value.split(parts.netloc, 1)[1]  # path, query and fragment, as written
            if len(tail.rstrip("/")) >= MIN_LENGTH:
                for form in (tail, quote(tail, safe=_SAFE_IN_PATH)):
                    masks[form] = f"/{MASK}"
        for text, mask in list(masks.items()):  # as it appears inside JSON text, too
            escaped = json.dumps(text)[1:-1]
            masks.setdefault(escaped, mask)
        with self._lock:
            if all(self._masks.get(k) == v for k, v in masks.items()):
                return
            self._masks.update(masks)
            longest_first = sorted(self._masks, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, longest_first)))

    def __call__(self, text: str) -> str:
        pattern = self._pattern
        if pattern is None or not text:
            return text
        masks = self._masks
        return pattern.sub(lambda m: masks[m.group(0)], text)

    def __len__(self) -> int:
        return len(self._masks)


SECRETS = Redactor()


def redact(text: str) -> str:
    """`text` with every registered secret masked."""
    return SECRETS(text)


def register(value: str) -> None:
    """From now on, mask `value` wherever it would be printed or written."""
    SECRETS.add(value)


def register_inventory(inventory: object) -> None:
    """Register every secret-typed value (one with `get_secret_value()`) the inventory holds."""
    for value in secret_values(inventory):
        SECRETS.add(value)


def secret_values(node: object, _depth: int = 0) -> list[str]:
    """Every secret-typed value inside `node`: models, dataclasses, mappings and sequences."""
    getter = getattr(node, "get_secret_value", None)
    if callable(getter):
        value = getter()
        return [value] if isinstance(value, str) else []
    if _depth > 20 or isinstance(node, str | bytes | int | float | bool) or node is None:
        return []
    if isinstance(node, Mapping):
        children: list[object] = [*node.keys(), *node.values()]
    elif isinstance(node, list | tuple | set | frozenset):
        children = list(node)
    elif (names := getattr(node, "__dataclass_fields__", None)) and not isinstance(node, type):
        children = [getattr(node, name) for name in names]
    elif fields := getattr(node, "__struct_fields__", None):  # our models (msgspec Structs)
        children = [getattr(node, name) for name in fields]
    else:
        return []
    return [value for child in children for value in secret_values(child, _depth + 1)]
