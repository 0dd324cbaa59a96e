"""`failover rehearse [--to HOST] [--canary]`: a fire drill customers never see.

It syncs the standby for real (a warm-up, as `failover sync --to HOST`), runs its checks, checks
its certificates, plans the DNS flip without applying it, lints the blast radius, with
`--canary` really flips the canary record and puts it back, then prints the readiness report
and the RTO estimate (failover/rehearse/). Exit 0 ready, 1 not ready, 2 usage or inventory
error.

Confirmation: like `failover sync`, since it writes to the standby: asked on a terminal, and
`--yes` without one. It takes the run lock like every acting command.
"""

from __future__ import annotations

import click

from failover.cli.app import App
from failover.errors import Interrupted, UsageError
from failover.interrupt import handled, signal_name


@click.command("rehearse")
@click.option("--to", "to", metavar="HOST", help="The standby to rehearse a failover to "
              "(default: the first standby).")
@click.option("--canary", is_flag=True,
              help="Really flip the inventory's canary record to the standby and put it back.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask (required without a terminal).")
@click.option("--wait", default=60.0, show_default=True, metavar="SECONDS",
              help="How long to wait for another run's lock.")
@click.pass_obj
def rehearse_cmd(app: App, to: str | None, canary: bool, yes: bool, wait: float) -> bool:
    """Rehearse a failover: sync and check the standby, plan DNS, estimate the time to
    recover. Customers see nothing; exit 0 ready, 1 not ready. With `services:` and no
    --service, every service in turn (ready when each one is)."""
    if app.service is not None or len(app.site.services) < 2:
        return _rehearse(app, to, canary, yes, wait)
    ready = True
    for name in app.site.services:
        if not app.json:
            app.out(f"== service {name}")
        ready = _rehearse(app.for_service(name), to, canary, yes, wait) and ready
    return ready


def _rehearse(app: App, to: str | None, canary: bool, yes: bool, wait: float) -> bool:
    from failover.config import load_playbook
    from failover.engine.active import run_target
    from failover.rehearse.drill import rehearse
    from failover.rehearse.text import audit_fields, lines, to_json

    inv = app.inventory
    if to is not None and to not in inv.hosts:
        raise UsageError(f"--to: unknown host {to!r}; hosts: {', '.join(inv.hosts)}")
    if canary and inv.canary is None:
        raise UsageError("--canary needs a canary record in the inventory: add `canary: "
                         f"failover-drill.{inv.dns[0].zone}` (a name no customer uses)")
    path = inv.playbooks.get("failover")
    playbook = load_playbook(path, inv) if path is not None else None

    def emit(text: str) -> None:
        if not app.quiet:
            click.echo(text, err=True)

    with app.store.lock(wait):
        state = app.resolve_active(app.store.load())
        assert state.active is not None
        target = run_target(inv, "failover", state.active, to)
        flips = f" and flips the canary {inv.canary} (then puts it back)" if canary else ""
        app.confirm(f"Rehearse a failover of {inv.site} from {state.active} to {target}? It "
                    f"syncs {target} (writes to it){flips}; no managed DNS record changes.", yes)
        try:
            drill = rehearse(inv, app.store, app.audit, state, target, canary=canary,
                             playbook=playbook, emit=emit, clock=app.clock)
        except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: say what the drill leaves
            handled()
            put_back = "; a flipped canary was put back on the way out (the log says if " \
                "that failed)" if canary else ""
            raise Interrupted(f"rehearsal interrupted by {signal_name(exc)}: no managed DNS "
                              f"record changed{put_back}; {target} may hold part of the sync; "
                              "run the drill again") from None
        app.audit.write("rehearsal", **audit_fields(drill))
    if app.json:
        app.print_json(to_json(drill))
    else:
        for line in lines(drill):
            app.out(line)
    return drill.ready


COMMANDS = [rehearse_cmd]
