"""`failover help [TOPIC]`: reference pages that ship with the package, so an installed
`failover` documents itself without the repository (a man page's job). `inventory` is
docs/inventory.md, written from the models by config/reference.py."""

from __future__ import annotations

import click

TOPICS = {"inventory": "every inventory key: type, default, meaning, example, mistakes"}


@click.command("help")
@click.argument("topic", required=False, type=click.Choice(list(TOPICS)), metavar="[TOPIC]")
@click.pass_context
def help_cmd(ctx: click.Context, topic: str | None) -> bool:
    """Print a reference page (TOPIC: inventory); without TOPIC, the topics and commands."""
    if topic is None:
        parent = ctx.parent
        click.echo(parent.get_help() if parent else "", nl=bool(parent))
        click.echo("\nHelp topics (failover help TOPIC):")
        for name, what in TOPICS.items():
            click.echo(f"  {name:<12}{what}")
        return True
    from failover.config.reference import reference

    click.echo(reference(), nl=False)
    return True


COMMANDS = [help_cmd]
