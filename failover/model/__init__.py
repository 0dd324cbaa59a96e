"""Frozen values: the inventory, playbooks and results. No I/O; imports nothing of the package."""
