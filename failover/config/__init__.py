"""Configuration: YAML with file:line marks, ${VAR} expansion, validation with clear reasons.

Public API:
- `load_inventory(path, environ=None) -> Inventory`
- `load_playbook(path, inventory, environ=None) -> Playbook`
- `failover.config.lint.lint(inventory) -> list[str]` (warnings; imported on its own)
- `inventory_schema()`, `playbook_schema()` (JSON Schema for editors)
All loaders raise `failover.errors.ConfigError` carrying every reason found.
"""

from typing import Any

from failover.config.load import load_inventory, load_playbook

__all__ = ["inventory_schema", "load_inventory", "load_playbook", "playbook_schema"]


def __getattr__(name: str) -> Any:
    """The JSON Schemas are built on first use: `failover check` never needs them."""
    if name in ("inventory_schema", "playbook_schema"):
        from failover.config import schema

        return getattr(schema, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
