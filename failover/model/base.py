"""The base of every model: a frozen msgspec Struct with keyword-only fields.

Models are compared by value and created in microseconds (`failover check` runs every minute from
cron, so what a healthy round imports is measured: bench/startup.py). They hold already-valid
values; `Model.parse(data)` (model/coerce.py) turns plain data (parsed YAML or JSON) into them and
says, for every problem at once, where and what is valid.
"""

from typing import TYPE_CHECKING, Any, Self

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


