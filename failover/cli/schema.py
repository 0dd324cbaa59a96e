"""`failover schema [inventory|playbook]`: the JSON Schema of the inventory (or of a playbook),
generated from the models (config/schema.py), for editors that complete and check YAML while it
is written (docs/editors.md). Needs no inventory; changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import click

from failover.cli.app import App


@click.command()
@click.argument("kind", type=click.Choice(["inventory", "playbook"]), default="inventory")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Write the schema to FILE instead of stdout.")
@click.pass_obj
def schema(app: App, kind: str, output: Path | None) -> bool:
    """Print the JSON Schema of the inventory (default) or of a playbook."""
    from failover.config import inventory_schema, playbook_schema

    doc = inventory_schema() if kind == "inventory" else playbook_schema()
    text = json.dumps(doc, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text)
        app.out(f"{output}: the {kind} JSON Schema")
    return True


COMMANDS = [schema]
