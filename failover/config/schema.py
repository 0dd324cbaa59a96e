"""JSON Schemas for editors (completion and checks while writing inventory.yaml and playbooks).

Contract: `inventory_schema()` describes what a user writes: the loader-set `path` is absent,
`state_dir` is optional (default ".failover"), and durations accept both seconds and strings such
as "30s", "5m", "1h30m" (pydantic alone would say "number", since parsing happens in a
validator). Editors read `${VAR}` as the literal string, so a `${VAR}` in a number field shows
as a warning there while `failover validate` accepts it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, get_args

from pydantic import BaseModel

from failover.model.inventory import Inventory
from failover.model.playbook import Playbook
from failover.model.types import parse_duration

log = logging.getLogger(__name__)

DURATION_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number", "minimum": 0},
        {"type": "string", "pattern": r"^\s*(\d+(\.\d+)?h)?\s*(\d+(\.\d+)?m)?\s*"
                                      r"(\d+(\.\d+)?s?)?\s*$"},
    ],
    "description": "a duration: 30s, 5m, 1h, 1h30m, or plain seconds",
}


def inventory_schema() -> dict[str, Any]:
    """The inventory's JSON Schema (draft 2020-12), as users write the file."""
    schema = _schema(Inventory)
    schema["properties"].pop("path", None)
    schema["required"] = [k for k in schema["required"] if k not in ("path", "state_dir")]
    schema["properties"]["state_dir"]["default"] = ".failover"
    schema["title"] = "failover inventory"
    return schema


def playbook_schema() -> dict[str, Any]:
    """A playbook's JSON Schema (draft 2020-12)."""
    schema = _schema(Playbook)
    schema["title"] = "failover playbook"
    return schema


def _schema(root: type[BaseModel]) -> dict[str, Any]:
    schema = root.model_json_schema()
    defs = schema.get("$defs", {})
    for model, key in _duration_fields(root, set()):
        target = schema if model is root else defs.get(model.__name__, {})
        prop = target.get("properties", {}).get(key)
        if prop is not None:
            default = prop.get("default")
            prop.clear()
            prop.update(DURATION_SCHEMA, title=key.replace("_", " ").capitalize())
            if default is not None:
                prop["default"] = default
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def _duration_fields(model: type[BaseModel], seen: set[type]) -> Iterator[tuple[type, str]]:
    if model in seen:
        return
    seen.add(model)
    for name, info in model.model_fields.items():
        if any(getattr(meta, "func", None) is parse_duration for meta in info.metadata):
            yield model, info.alias or name
        for sub in _models_in(info.annotation):
            yield from _duration_fields(sub, seen)


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in get_args(annotation):
        yield from _models_in(arg)
