"""Configuration: YAML with file:line marks, ${VAR} expansion, validation with clear reasons.

Public API:
- `load_inventory(path, environ=None) -> Inventory`
- `load_playbook(path, inventory, environ=None) -> Playbook`
- `lint(inventory) -> list[str]` (warnings)
- `inventory_schema()`, `playbook_schema()` (JSON Schema for editors)
All loaders raise `failover.errors.ConfigError` carrying every reason found.
"""

from failover.config.lint import lint
from failover.config.load import load_inventory, load_playbook
from failover.config.schema import inventory_schema, playbook_schema

__all__ = ["inventory_schema", "lint", "load_inventory", "load_playbook", "playbook_schema"]
