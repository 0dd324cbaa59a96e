"""`failover validate`: schema, references, playbooks, and single-point-of-failure lint."""

from __future__ import annotations

import click

from failover.cli.app import App


@click.command()
@click.pass_obj
def validate(app: App) -> int:
    """Check the inventory and its playbooks; print warnings. Exit 0 valid, 2 invalid."""
    from failover.config import lint, load_playbook
    from failover.errors import ConfigError

    inv = app.inventory
    reasons = []
    for path in inv.playbooks.values():
        try:
            load_playbook(path, inv)
        except ConfigError as e:
            reasons += e.reasons
    if reasons:
        raise ConfigError(reasons)
    warnings = lint(inv)
    if app.json:
        app.print_json({"valid": True, "inventory": str(inv.path), "warnings": warnings})
        return 0
    app.out(f"{inv.path}: valid: site {inv.site}, {len(inv.hosts)} hosts, {len(inv.dns)} zone(s), "
            f"{len(inv.checks)} checks, {len(inv.playbooks)} playbooks")
    for w in warnings:
        app.out(f"warning: {w}")
    return 0


COMMANDS = [validate]
