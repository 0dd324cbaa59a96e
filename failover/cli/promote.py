"""`failover promote HOST`: a person clears a host's demoted mark (engine/fence.py), audited.

Automation never chooses a demoted host; after a failover the old host stays demoted until a
person has looked at it (its data, its fence) and says it may win the site again.
"""

from __future__ import annotations

import click

from failover.cli import complete
from failover.cli.app import App
from failover.cli.render import stamp
from failover.errors import UsageError


@click.command()
@click.argument("host", shell_complete=complete.hosts)
@click.option("--yes", "-y", is_flag=True, help="Do not ask (required without a terminal).")
@click.option("--wait", default=60.0, show_default=True, metavar="SECONDS",
              help="How long to wait for another run's lock.")
@click.pass_obj
def promote(app: App, host: str, yes: bool, wait: float) -> bool:
    """Clear HOST's demoted mark: automation may choose it again."""
    from failover.engine.fence import promote as clear_mark
    from failover.model.state import Demoted

    inv = app.inventory
    if host not in inv.hosts:
        raise UsageError(f"HOST: unknown host {host!r}; hosts: {', '.join(inv.hosts)}")

    def confirm(mark: Demoted) -> None:
        fenced = "fenced" if mark.fenced else "NOT fenced"
        app.confirm(f"Clear {host}'s demoted mark ({mark.why}; {fenced})? Automation may then "
                    "move the site to it.", yes)

    mark = clear_mark(app.store, app.audit, host, wait=wait, confirm=confirm)
    if mark is None:
        app.out(f"{host} is not demoted; nothing to do")
        return True
    app.out(f"{host} promoted: no longer demoted (was since {stamp(mark.since)}: {mark.why})")
    return True


COMMANDS = [promote]
