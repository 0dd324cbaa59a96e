"""Map a pydantic error location onto the YAML path, by walking the model types along it.

pydantic's `loc` mixes the keys of the input with names of its own: the tag of a discriminated
union (`('dns', 0, 'powerdns', 'api_key')`), the branch label of a plain union
(`('sync', 0, 'path', 'str')`) and `'[key]'` for an error about a mapping key. Walking the types
in step with `loc` tells them apart without guessing from the data, and also yields what the
messages need: the model that owns a key (its valid keys), the field's metadata (a `Port`), the
final type (a `Literal`'s values, `SecretStr`).
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr

from failover.config.yamlmarks import KeyPath

_UNIONS = (Union, types.UnionType)


@dataclass
class Where:
    """Where an error is in the YAML, and what the model expects there."""

    path: KeyPath = ()
    on_key: bool = False  # the error is about the key itself, not its value
    owner: type[BaseModel] | None = None  # the model whose key path[-1] is (or would be)
    owner_is_root: bool = False
    type: Any = None  # the expected type at `path`, unwrapped (None when unknown)
    metadata: list[Any] = field(default_factory=list)  # the field's validators and constraints
    value: Any = None  # the input at `path` (None when absent)
    union: KeyPath | None = None  # path of the innermost plain union passed on the way
    branch_fits: bool = True  # that union's branch matches the shape (mapping, list) of the value

    @property
    def secret(self) -> bool:
        return self.type is SecretStr


def locate(root: type[BaseModel], loc: tuple[int | str, ...], data: Any) -> Where:
    """Walk `root`'s types along `loc` over the input `data`; see the module docstring."""
    where = Where(value=data)
    path: list[str | int] = []
    tp: Any = root
    disc: str | None = None
    parts = list(loc)
    i = 0
    while True:
        tp, disc = _unwrap(tp, disc)
        if i >= len(parts):
            break
        part = parts[i]
        i += 1
        members = _members(tp)
        if disc is not None:  # pydantic's tag of a discriminated union: not in the YAML
            tp = next((m for m in members if str(part) in tags(m, disc)), None)
            disc = None
            continue
        if len(members) > 1:  # a plain union's branch label: not in the YAML
            tp = _branch(members, str(part))
            where.union = tuple(path)
            shape = _shape_of(where.value)  # a scalar could have been any branch
            where.branch_fits = shape == "scalar" or _shape(tp) == shape
            continue
        if part == "[key]":
            where.on_key = True
            continue
        path.append(part)
        where.metadata = []
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            where.owner, where.owner_is_root = tp, len(path) == 1
            info = _field(tp, str(part))
            if info is None:
                tp = None
            else:
                tp, disc, where.metadata = info.annotation, info.discriminator, list(info.metadata)
                disc = disc if isinstance(disc, str) else None
        elif get_origin(tp) is dict:
            tp = get_args(tp)[1]
        elif get_origin(tp) is list:
            tp = get_args(tp)[0]
        else:
            tp = None
        where.value = _child(where.value, part)
    where.path = tuple(path)
    where.type = tp
    return where


def model_keys(model: type[BaseModel] | None) -> list[str]:
    """The keys a model accepts, as written in YAML (aliases), sorted."""
    if model is None:
        return []
    return sorted(info.alias or name for name, info in model.model_fields.items())


def tags(tp: Any, discriminator: str) -> list[str]:
    """The values of `discriminator` a (union of) model(s) accepts: ['http', 'tcp']."""
    out: list[str] = []
    for member in _members(tp):
        if isinstance(member, type) and issubclass(member, BaseModel):
            info = member.model_fields.get(discriminator)
            if info is not None:
                out += [str(v) for v in get_args(info.annotation)]
    return out


def _unwrap(tp: Any, disc: str | None) -> tuple[Any, str | None]:
    """Strip Annotated (keeping a discriminator) and `| None` until a concrete type or union."""
    while True:
        if get_origin(tp) is Annotated:
            args = get_args(tp)
            for meta in args[1:]:
                found = getattr(meta, "discriminator", None)
                disc = found if isinstance(found, str) else disc
            tp = args[0]
            continue
        members = _members(tp)
        if len(members) == 1 and members[0] is not tp:
            tp = members[0]
            continue
        return tp, disc


def _members(tp: Any) -> list[Any]:
    if get_origin(tp) in _UNIONS:
        return [a for a in get_args(tp) if a is not type(None)]
    return [tp]


def _field(model: type[BaseModel], key: str) -> Any:
    for name, info in model.model_fields.items():
        if (info.alias or name) == key:
            return info
    return None


def _branch(members: list[Any], label: str) -> Any:
    """The union member pydantic's branch label names ('str', 'list[str]', 'dict[...]', 'Model')."""
    for member in members:
        base, _ = _unwrap(member, None)
        origin = get_origin(base)
        if origin is not None and label.startswith(f"{origin.__name__}["):
            return member
        if isinstance(base, type) and label in (base.__name__, f"{base.__name__}[]"):
            return member
    return next((m for m in members if _shape(m) == "scalar"), members[0])


def _shape(tp: Any) -> str:
    base, _ = _unwrap(tp, None)
    if get_origin(base) is dict or (isinstance(base, type) and issubclass(base, BaseModel)):
        return "mapping"
    return "list" if get_origin(base) is list else "scalar"


def _shape_of(value: Any) -> str:
    if isinstance(value, dict):
        return "mapping"
    return "list" if isinstance(value, list) else "scalar"


def _child(value: Any, part: str | int) -> Any:
    if isinstance(value, dict):
        return value.get(part)
    if isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
        return value[part]
    return None
