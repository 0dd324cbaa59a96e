"""Shell completion (click's, for bash, zsh and fish): `failover completion SHELL` prints the
script; the parameters below complete host, playbook and sync set names from the inventory that
`-i` (or $FAILOVER_INVENTORY, or ./inventory.yaml) names on the command line being completed."""

from __future__ import annotations

import click
from click.shell_completion import CompletionItem, get_completion_class

from failover.cli.app import App
from failover.onboard.names import InventoryNames, inventory_names

SHELLS = ("bash", "zsh", "fish")


def _names(ctx: click.Context) -> InventoryNames:
    app = ctx.find_object(App)
    return inventory_names(app.inventory_path) if app else InventoryNames()


def _matching(names: tuple[str, ...], incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


def hosts(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return _matching(_names(ctx).hosts, incomplete)


def playbooks(ctx: click.Context, param: click.Parameter,
              incomplete: str) -> list[CompletionItem]:
    return _matching(_names(ctx).playbooks, incomplete)


def sync_sets(ctx: click.Context, param: click.Parameter,
              incomplete: str) -> list[CompletionItem]:
    return _matching(_names(ctx).sync_sets, incomplete)


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> bool:
    """Print the shell completion script for SHELL (bash, zsh or fish)."""
    from failover.cli.main import cli

    script_class = get_completion_class(shell)
    assert script_class is not None  # click ships all three
    click.echo(script_class(cli, {}, "failover", "_FAILOVER_COMPLETE").source())
    return True


COMMANDS = [completion]
