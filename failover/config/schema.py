"""JSON Schemas for editors (completion and checks while writing inventory.yaml and playbooks).

Contract: `inventory_schema()` describes what a user writes: the loader-set `path` is absent,
`state_dir` is optional (default ".failover"), and durations accept both seconds and strings such
as "30s", "5m", "1h30m" (the type alone would say "number", since parsing happens in a
`Parse` hook). Editors read `${VAR}` as the literal string, so a `${VAR}` in a number field shows
as a warning there while `failover validate` accepts it.
"""

from __future__ import annotations

import logging
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import msgspec

from failover.model.coerce import fields_of
from failover.model.inventory import Inventory
from failover.model.playbook import Playbook
from failover.model.types import Parse, Secret, Tag, expand_plugins, parse_duration

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
    schema["properties"].pop("service", None)
    schema["properties"].pop("whole", None)
    schema["required"] = [k for k in schema["required"] if k not in ("path", "state_dir")]
    schema["properties"]["state_dir"]["default"] = ".failover"
    schema["title"] = "failover inventory"
    return schema


def playbook_schema() -> dict[str, Any]:
    """A playbook's JSON Schema (draft 2020-12)."""
    schema = _schema(Playbook)
    schema["title"] = "failover playbook"
    return schema


def _schema(root: type) -> dict[str, Any]:
    defs: dict[str, Any] = {}
    top = _model(root, defs, root=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **top,
            **({"$defs": defs} if defs else {})}


_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"}, int: {"type": "integer"}, float: {"type": "number"},
    bool: {"type": "boolean"}, Path: {"type": "string"},
    Secret: {"type": "string", "description": "a secret: write ${VAR}, never the value itself"},
}


def _model(cls: type, defs: dict[str, Any], *, root: bool = False) -> dict[str, Any]:
    """An object schema for a model; nested models go to `defs` and are referenced."""
    if not root and cls.__name__ in defs:
        return {"$ref": f"#/$defs/{cls.__name__}"}
    if not root:
        defs[cls.__name__] = {}  # placeholder: a model may refer to itself
    properties: dict[str, Any] = {}
    required: list[str] = []
    for f in fields_of(cls):
        prop = _type(f.type, defs)
        if f.required:
            required.append(f.encode_name)
        elif f.default is not msgspec.NODEFAULT:
            prop = {**prop, "default": msgspec.to_builtins(f.default, enc_hook=str)}
        elif f.default_factory is not msgspec.NODEFAULT:
            prop = {**prop, "default": msgspec.to_builtins(f.default_factory(), enc_hook=str)}
        properties[f.encode_name] = prop
    schema = {"title": cls.__name__, "type": "object", "properties": properties,
              "required": required, "additionalProperties": False}
    if cls.__doc__ and cls.__doc__ is not msgspec.Struct.__doc__:
        schema["description"] = " ".join(cls.__doc__.split())
    if root:
        return schema
    defs[cls.__name__] = schema
    return {"$ref": f"#/$defs/{cls.__name__}"}


def _type(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    tp = expand_plugins(tp)
    base, meta = (get_args(tp)[0], get_args(tp)[1:]) if hasattr(tp, "__metadata__") else (tp, ())
    if any(isinstance(m, Parse) and m.fn is parse_duration for m in meta):
        return dict(DURATION_SCHEMA)
    origin = get_origin(base)
    if origin in (Union, types.UnionType):
        members = [m for m in get_args(base) if m is not type(None)]
        branches = [_type(m, defs) for m in members]
        if type(None) in get_args(base):
            branches.append({"type": "null"})
        out: dict[str, Any] = {"anyOf": branches} if len(branches) > 1 else branches[0]
        tag = next((m.key for m in meta if isinstance(m, Tag)), None)
        if tag:
            out = {"oneOf": branches, "discriminator": {"propertyName": tag}}
    elif origin is Literal:
        out = {"enum": list(get_args(base))}
    elif origin is list:
        out = {"type": "array", "items": _type(get_args(base)[0], defs)}
    elif origin is dict:
        out = {"type": "object", "additionalProperties": _type(get_args(base)[1], defs)}
    elif isinstance(base, type) and issubclass(base, msgspec.Struct):
        out = _model(base, defs)
    else:
        out = dict(_SCALARS.get(base, {}))
    for m in meta:
        if isinstance(m, msgspec.Meta):
            out |= _bounds(m, out.get("type"))
    return out


def _bounds(meta: msgspec.Meta, kind: Any) -> dict[str, Any]:
    names = {"ge": "minimum", "gt": "exclusiveMinimum", "le": "maximum", "lt": "exclusiveMaximum"}
    out = {names[k]: getattr(meta, k) for k in names if getattr(meta, k) is not None}
    if meta.description:
        out["description"] = meta.description
    if meta.min_length is not None:
        out["minItems" if kind == "array" else "minProperties" if kind == "object"
            else "minLength"] = meta.min_length
    return out
