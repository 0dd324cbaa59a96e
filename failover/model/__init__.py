"""Frozen values: the inventory, playbooks and results. No I/O; imports nothing of the package
at import time (plug-in settings models are found by name when a value is coerced: types.Plugin)."""
