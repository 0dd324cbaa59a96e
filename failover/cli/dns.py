"""`failover dns show` (what every zone serves now and which host it points at) and
`failover dns diff --to HOST` (the exact changes a flip would make). Both only read."""

from __future__ import annotations

from typing import Any

import click

from failover.cli import complete
from failover.cli.app import App
from failover.cli.render import table


@click.group()
def dns() -> None:
    """Read the managed DNS records through the providers' APIs (changes nothing)."""


@dns.command()
@click.pass_obj
def show(app: App) -> bool:
    """Current values of every managed record, per zone, and the host they point at (with
    `services:` and no --service: every service's)."""
    if app.service is not None or len(app.site.services) < 2:
        return _show(app)
    if app.json:
        app.print_json({"site": app.site.site, "services": {
            name: _read(app.for_service(name)) for name in app.site.services}})
        return True
    for name in app.site.services:
        app.out(f"== service {name}")
        _show(app.for_service(name))
    return True


def _show(app: App) -> bool:
    doc = _read(app)
    if app.json:
        app.print_json(doc)
        return True
    zones, active = doc["zones"], doc["points_at"]
    for z in zones:
        where = z["points_at"] or "no single host (values match none, or a mix)"
        app.out(f"{z['zone']} ({z['provider']}{'' if z['atomic'] else ', not atomic'}): "
                f"points at {where}")
        rows = [["NAME", "TYPE", "TTL", "VALUES"]]
        rows += [[r["name"], r["type"], "-" if r["ttl"] is None else str(r["ttl"]),
                  ", ".join(r["values"]) or "(absent)"] for r in z["records"]]
        for line in table(rows):
            app.out("  " + line)
    app.out(f"DNS points at: {active or 'no single host: zones disagree or match no host'}")
    return True


def _read(app: App) -> dict[str, Any]:
    """The managed records of the app's inventory (or service) as the providers return them."""
    from failover.dns.plan import active_host, points_at
    from failover.dns.registry import provider_for

    inv = app.inventory
    zones: list[dict[str, Any]] = []
    currents = []
    for zone in inv.dns:
        provider = provider_for(zone)
        current = provider.read()
        currents.append(current)
        records = [{"name": name, "type": rtype,
                    "ttl": current[(name, rtype)].ttl if (name, rtype) in current else None,
                    "values": list(current[(name, rtype)].values) if (name, rtype) in current
                    else []} for name, rtype in provider.managed]
        zones.append({"zone": provider.zone_name, "provider": provider.name,
                      "atomic": provider.ATOMIC, "points_at": points_at(inv, zone, current),
                      "records": records})
    return {"site": inv.site, "points_at": active_host(inv, currents), "zones": zones}


@dns.command()
@click.option("--to", "to", required=True, metavar="HOST", help="The host to point DNS at.",
              shell_complete=complete.hosts)
@click.pass_obj
def diff(app: App, to: str) -> bool:
    """The changes a flip to HOST would make: values before and after, per zone."""
    from failover.dns.flip import plan_flip

    plans = [plan for _, plan in plan_flip(app.inventory, to)]
    changes = sum(len(p.changes) for p in plans)
    if app.json:
        app.print_json({"to": to, "changes": changes, "zones": [p.to_json() for p in plans]})
        return True
    for plan in plans:
        app.out(f"{plan.zone} ({plan.provider}):")
        for line in plan.lines() if not plan.empty else ["no change"]:
            app.out(f"  {line}")
    app.out(f"{changes} change(s) to point DNS at {to}" if changes else
            f"DNS already points at {to}; a flip would change nothing")
    return True


COMMANDS = [dns]
