"""The base of every model: a frozen msgspec Struct with keyword-only fields.

Models are compared by value and created in microseconds (`failover check` runs every minute from
cron, so what a healthy round imports is measured: bench/startup.py). They hold already-valid
values; `Model.parse(data)` (model/coerce.py) turns plain data (parsed YAML or JSON) into them and
says, for every problem at once, where and what is valid.
"""

from typing import TYPE_CHECKING, Annotated, Any, Self, get_args, get_origin

import msgspec

from failover.model.coerce import coerce
from failover.model.types import json_default

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:
    def dataclass_transform(**_: Any) -> Any:
        return lambda cls: cls


class _KeywordOnly(msgspec.StructMeta):
    """Every model's fields are keyword-only (msgspec sets kw_only per class, not inherited)."""

    def __new__(mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any],
                **options: Any) -> Any:
        options.setdefault("kw_only", True)
        return super().__new__(mcls, name, bases, namespace, **options)


@dataclass_transform(kw_only_default=True, frozen_default=True,
                     field_specifiers=(msgspec.field,))  # what the metaclass does, for mypy
class Model(msgspec.Struct, metaclass=_KeywordOnly, frozen=True, forbid_unknown_fields=True):
    """A frozen value. `replace(**changes)` makes a changed copy (the original stays)."""

    def replace(self, **changes: Any) -> Self:
        return msgspec.structs.replace(self, **changes)

    @classmethod
    def parse(cls, data: Any) -> Self:
        """Coerce plain data into this model; raises `Invalid` listing every problem."""
        value: Self = coerce(cls, data)
        return value

    def to_json(self) -> Any:
        """Plain JSON-able data as users write it (`from`, not `from_`); secrets as ***."""
        return msgspec.to_builtins(self, enc_hook=json_default)


def optional_model(model: type[Model], name: str, doc: str) -> type[Model]:
    """`model` with every field optional and None by default: None is "not given", so a
    partial section names only the keys it changes (a service's `policy:`: model/services.py)."""
    fields: list[tuple[str, object, None]] = []
    for f in msgspec.structs.fields(model):
        base, meta = f.type, ()
        if get_origin(base) is Annotated:
            base, *metas = get_args(base)
            inner = [m for m in metas if not isinstance(m, msgspec.Meta) or m.description is None]
            meta = tuple(m for m in metas if m not in inner)
            base = Annotated[(base, *inner)] if inner else base  # bounds stay on the value
        fields.append((f.encode_name, Annotated[(base | None, *meta)] if meta else base | None,
                       None))
    namespace: dict[str, object] = {"__annotations__": {n: t for n, t, _ in fields},
                                    "__module__": __name__, "__qualname__": name}
    namespace.update({n: d for n, _, d in fields})
    made: type[Model] = _KeywordOnly(name, (Model,), namespace)
    made.__doc__ = doc
    return made
