"""Plain data (parsed YAML or JSON) -> frozen models, with every problem found at once.

    inventory = coerce(Inventory, data)      # or Inventory.parse(data)
    # raises Invalid(problems): [(("hosts", "ovh-gra", "ssh", "port"), "'22x' is not a port
    #                            (1-65535)", False), ...]

Contract:
- Every problem is a `Problem(path, message, on_key)`: the path of keys and list indexes into the
  input, what is wrong and what would be valid, and whether it is about the key itself (an unknown
  key, a bad host name used as a key). Problems are collected, never raised one by one.
- Types understood: models (msgspec Structs, model/types.Model), `Annotated[...]` with the
  metadata of model/types.py (`Parse`, `After`, `Tag`, `msgspec.Meta` bounds), unions (the branch
  whose shape, mapping, list or scalar, fits the value decides), `Literal`, `list`, `dict`, `str`,
  `int`, `float`, `bool`, `Path`, `Secret` and `Any`.
- Numbers and booleans may come as text (a `${VAR}` always expands to text): "4" is 4, "true" is
  true. A string field never takes a number: `name: 5` is an error, as a typo usually is.
- A value typed `Secret` is never shown in a message: `***` stands in for it.
- A model's `__post_init__` may raise ValueError: that is a problem at the model's path. It runs
  also when the model's only problems are unknown keys, so a step with an unknown action still
  says what a step needs.
- `skip`: paths already reported elsewhere (an unset ${VAR}); they fail silently.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Collection
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, Union, get_args, get_origin

import msgspec

from failover.model.scalars import BAD, bounds, got, one_of, scalar, suggest, unknown_key
from failover.model.types import After, Parse, Plugin, Secret, Tag

__all__ = ["Invalid", "KeyPath", "Problem", "coerce", "fields_of", "model_keys", "one_of",
           "suggest", "tags", "unknown_key"]

KeyPath = tuple[str | int, ...]


class Problem(NamedTuple):
    path: KeyPath
    message: str
    on_key: bool = False


class Invalid(ValueError):
    """The input does not fit the model; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, p.path))}: {p.message}"
                                   for p in problems))
        self.problems = problems


_UNIONS = (Union, types.UnionType)


def coerce(tp: Any, data: Any, *, skip: Collection[KeyPath] = (),
           hidden: Collection[str] = ()) -> Any:
    """`data` as `tp`; raises Invalid with every problem.

    `hidden`: root keys the caller sets itself: accepted, never offered as valid keys.
    """
    walker = _Walker(skip, hidden)
    value = walker.value(tp, data, ())
    if walker.problems:
        raise Invalid(walker.problems)
    return value


def model_keys(model: type) -> list[str]:
    """The keys a model accepts, as written in YAML (`from`, not `from_`), sorted."""
    return sorted(f.encode_name for f in fields_of(model))


def tags(union: Any, key: str) -> list[str]:
    """The values of `key` the models of a tagged union accept, in declaration order."""
    found: list[str] = []
    for member in _members(_split(union)[0]):
        field = next((f for f in fields_of(member) if f.encode_name == key), None)
        found += [str(v) for v in get_args(field.type)] if field else []
    return found


@functools.cache
def fields_of(model: type) -> tuple[msgspec.structs.FieldInfo, ...]:
    """A model's fields, annotations resolved (cached: resolving is the slow part)."""
    return msgspec.structs.fields(model)


def _split(tp: Any) -> tuple[Any, tuple[Any, ...]]:
    if get_origin(tp) is Annotated:
        base, *meta = get_args(tp)
        return base, tuple(meta)
    return tp, ()


def _members(tp: Any) -> list[Any]:
    return list(get_args(tp)) if get_origin(tp) in _UNIONS else [tp]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


def _shape(tp: Any) -> str:
    base = _split(tp)[0]
    if _is_model(base) or get_origin(base) is dict or base is dict:
        return "mapping"
    return "list" if get_origin(base) is list else "scalar"


def _shape_of(value: Any) -> str:
    return "mapping" if isinstance(value, dict) else "list" if isinstance(value, list) \
        else "scalar"


def _noun(tp: Any) -> str:
    base = _split(tp)[0]
    if _shape(base) != "scalar":
        return "a mapping" if _shape(base) == "mapping" else "a list"
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false",
            Path: "a file path", Secret: "a string"}.get(base, "a value")


class _Walker:
    def __init__(self, skip: Collection[KeyPath], hidden: Collection[str]) -> None:
        self.skip = set(skip)
        self.hidden = set(hidden)
        self.problems: list[Problem] = []
        self.type_errors: set[KeyPath] = set()  # paths whose value had the wrong shape or type

    def fail(self, path: KeyPath, message: str, *, on_key: bool = False,
             type_error: bool = False) -> Any:
        self.problems.append(Problem(path, message, on_key))
        if type_error:
            self.type_errors.add(path)
        return BAD

    def value(self, tp: Any, data: Any, path: KeyPath) -> Any:
        if path in self.skip:
            return BAD
        base, meta = _split(tp)
        parse = next((m for m in meta if isinstance(m, Parse)), None)
        tag = next((m for m in meta if isinstance(m, Tag)), None)
        plugin = next((m for m in meta if isinstance(m, Plugin)), None)
        secret = _split(base)[0] is Secret
        if parse is not None:
            try:
                value = parse.fn(data)
            except ValueError as exc:
                return self.fail(path, str(exc))
        elif tag is not None:
            value = self.tagged(base, tag.key, data, path)
        elif plugin is not None:
            value = self.plugged(plugin, data, path)
        else:
            value = self.typed(base, data, path)
        if value is BAD:
            return BAD
        for m in meta:
            if isinstance(m, msgspec.Meta) and (problem := bounds(m, value, path)):
                return self.fail(path, problem)
            if isinstance(m, After):
                try:
                    value = m.fn(value)
                except ValueError as exc:
                    message = str(exc)
                    if secret and isinstance(data, str) and data:
                        message = message.replace(data, "***")
                    return self.fail(path, message)
        return value

    def typed(self, tp: Any, data: Any, path: KeyPath) -> Any:
        origin = get_origin(tp)
        if tp is Any:
            return data
        if origin in _UNIONS:
            return self.union(_members(tp), data, path)
        if origin is Literal:
            if any(data == v and type(data) is type(v) for v in get_args(tp)):
                return data
            return self.fail(path, f"{got(data)} is not one of: "
                                   f"{one_of(str(v) for v in get_args(tp))}")
        if _is_model(tp):
            return self.model(tp, data, path)
        if origin is list:
            if not isinstance(data, list):
                return self.fail(path, f"expected a list, got {got(data)}", type_error=True)
            items = [self.value(get_args(tp)[0], x, (*path, i)) for i, x in enumerate(data)]
            return BAD if any(x is BAD for x in items) else items
        if origin is dict:
            return self.mapping(tp, data, path)
        return self.scalar(tp, data, path)

    def scalar(self, tp: Any, data: Any, path: KeyPath) -> Any:
        value = scalar(tp, data)
        if value is BAD:
            return self.fail(path, f"expected {_noun(tp)}, got {got(data, tp is Secret)}",
                             type_error=True)
        return value

    def mapping(self, tp: Any, data: Any, path: KeyPath) -> Any:
        if not isinstance(data, dict):
            return self.fail(path, f"expected a mapping, got {got(data)}", type_error=True)
        key_tp, value_tp = get_args(tp)
        out: dict[Any, Any] = {}
        for k, v in data.items():
            here = (*path, k)
            inner = _Walker((), ())
            key = inner.value(key_tp, k, here)
            self.problems += [p._replace(on_key=True) for p in inner.problems]
            out[key] = self.value(value_tp, v, here)
        return BAD if any(k is BAD or v is BAD for k, v in out.items()) else out

    def model(self, cls: type, data: Any, path: KeyPath) -> Any:
        if not isinstance(data, dict):
            return self.fail(path, f"expected a mapping, got {got(data)}", type_error=True)
        fields = {f.encode_name: f for f in fields_of(cls)}
        valid = sorted(k for k in fields if not (path == () and k in self.hidden))
        for key in data:
            if key not in fields:
                self.fail((*path, key), unknown_key(str(key), valid), on_key=True)
        kwargs: dict[str, Any] = {}
        good = True
        for key, f in fields.items():
            if key not in data:
                if f.required:
                    self.fail((*path, key), "required key is missing")
                    good = False
                continue
            kwargs[f.name] = self.value(f.type, data[key], (*path, key))
            good = good and kwargs[f.name] is not BAD
        if not good:
            return BAD
        try:
            return cls(**kwargs)
        except (ValueError, TypeError) as exc:
            return self.fail(path, str(exc))

    def tagged(self, union: Any, key: str, data: Any, path: KeyPath) -> Any:
        if not isinstance(data, dict):
            return self.fail(path, f"expected a mapping, got {got(data)}", type_error=True)
        valid = tags(union, key)
        if key not in data:
            return self.fail((*path, key), f"required key is missing; one of: {one_of(valid)}")
        for member in _members(union):
            if str(data[key]) in tags(member, key) and isinstance(data[key], str):
                return self.model(member, data, path)
        return self.fail((*path, key), f"{got(data[key])} is not one of: {one_of(valid)}")

    def plugged(self, plugin: Plugin, data: Any, path: KeyPath) -> Any:
        """As `tagged`, with the models found through the plug-in registry (model/types.py)."""
        if not isinstance(data, dict):
            return self.fail(path, f"expected a mapping, got {got(data)}", type_error=True)
        valid = plugin.names()
        if plugin.key not in data:
            return self.fail((*path, plugin.key),
                             f"required key is missing; one of: {one_of(valid)}")
        name = data[plugin.key]
        if isinstance(name, str) and name in valid:
            return self.model(plugin.model(name), data, path)
        return self.fail((*path, plugin.key), f"{got(name)} is not one of: {one_of(valid)}")

    def union(self, members: list[Any], data: Any, path: KeyPath) -> Any:
        if data is None and type(None) in members:
            return None
        members = [m for m in members if m is not type(None)]
        if len(members) == 1:
            return self.value(members[0], data, path)
        fitting = [m for m in members if _shape(m) == _shape_of(data)]
        # a value of exactly a member's type goes to that member first ("200" stays text)
        fitting.sort(key=lambda m: _split(m)[0] is not type(data))
        first: _Walker | None = None
        for member in fitting:
            trial = _Walker(self.skip, self.hidden)
            value = trial.value(member, data, path)
            if not trial.problems and value is not BAD:
                return value
            first = first or trial
        if first is not None and path not in first.type_errors:
            self.problems += first.problems  # the branch fits; its own problems explain it
            return BAD
        nouns = " or ".join(dict.fromkeys(_noun(m) for m in members))
        secret = any(_split(m)[0] is Secret for m in members)
        return self.fail(path, f"expected {nouns}, got {got(data, secret)}", type_error=True)
