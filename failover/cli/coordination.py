"""`failover coordination status`: the etcd cluster, the checkers alive with their last round
and view, the leader and its lease, as this checker reads them (inventory's `coordination:`).
`failover status` shows the same section when the inventory has one."""

from __future__ import annotations

import json
import time
from typing import Any

import click

from failover.cli.app import App
from failover.errors import UsageError


@click.group()
def coordination() -> None:
    """Several checkers through etcd (the inventory's coordination: section)."""


@coordination.command()
@click.pass_obj
def status(app: App) -> bool:
    """The cluster, the checkers alive, how each sees every host, the leader."""
    if app.inventory.coordination is None:
        raise UsageError("the inventory has no coordination: section (one checker, local files)")
    doc = coordination_doc(app)
    if app.json:
        app.print_json(doc)
        return True
    for line in coordination_lines(app, doc):
        app.out(line)
    return True


def coordination_doc(app: App) -> dict[str, Any]:
    """What etcd says now: members, live checkers and their views, the leader. With
    `services:` the views are per service: the one --service names, else every one's (under
    "services")."""
    from failover.coord.backend import EtcdStateBackend
    from failover.model.services import service_names

    inv, store = app.inventory, app.site_store
    assert inv.coordination is not None
    assert isinstance(store, EtcdStateBackend)
    session = store.session
    client, now = session.client, time.time()
    leader = client.get(session.key("leader"))
    doc: dict[str, Any] = {
        "prefix": session.prefix, "quorum": inv.coordination.needed,
        "expected_checkers": inv.coordination.expected_checkers,
        "members": [{"name": m["name"], "urls": m["urls"], "healthy": m["status"] is not None}
                    for m in client.members()],
        "leader": None, "last_leader": None}
    if app.service is None and len(names := service_names(app.site)) > 1:
        doc["services"] = {name: _views(app.for_service(name), session, now) for name in names}
    else:
        doc.update(_views(app, session, now))
    last = client.get(session.key("last-leader"))
    if last is not None:
        holder = json.loads(last.value)
        doc["last_leader"] = {"checker": holder.get("checker"), "token": last.mod_revision,
                              "ago": round(now - float(holder.get("since", now)), 1)}
    if leader is not None:
        holder = json.loads(leader.value)
        left = client.call("/v3/lease/timetolive", {"ID": str(leader.lease)}).get("TTL")
        doc["leader"] = {"checker": holder.get("checker"), "token": leader.create_revision,
                         "held_for": round(now - float(holder.get("since", now)), 1),
                         "lease_ttl_left": int(left or 0)}
    return doc


def _views(app: App, session: Any, now: float) -> dict[str, Any]:
    """The live checkers' views of the service `app` acts on, and how far they agree."""
    from failover.coord.views import read_views, summary
    from failover.model.state import HostState

    inv = app.inventory
    assert inv.coordination is not None
    views = read_views(session, inv.service)
    return {
        "checkers": [{"checker": v.checker, "round": v.round, "age": round(now - v.at, 1),
                      "online": v.online, "active": v.active, "provider": v.provider,
                      "hosts": {h: _word(v.hosts.get(h, HostState())) for h in inv.hosts}}
                     for v in sorted(views.values(), key=lambda v: v.checker)],
        "agreement": [line.removeprefix("coordination: ")
                      for line in summary(list(inv.hosts), views, inv.coordination.needed)[1:]]}


def coordination_lines(app: App, doc: dict[str, Any]) -> list[str]:
    members = doc["members"]
    healthy = sum(1 for m in members if m["healthy"])
    lines = [f"etcd: {healthy}/{len(members)} members healthy "
             f"({', '.join(m['name'] + ('' if m['healthy'] else ' DOWN') for m in members)})"]
    lead = doc["leader"]
    last = doc["last_leader"]
    if lead is not None:
        lines.append(f"leader: {lead['checker']} (token {lead['token']}, for "
                     f"{lead['held_for']}s, lease {lead['lease_ttl_left']}s left)")
    else:
        lines.append("leader: none now (between rounds)" + (
            "" if last is None else f"; last: {last['checker']} (token {last['token']}), "
                                    f"took the lead {last['ago']}s ago"))
    parts = doc["services"].items() if "services" in doc else [(app.inventory.service, doc)]
    for service, part in parts:
        of = f" of service {service}" if service else ""
        lines.append(f"checkers{of}: {len(part['checkers'])} alive of "
                     f"{doc['expected_checkers']} expected, quorum {doc['quorum']}")
        for c in part["checkers"]:
            seen = ", ".join(f"{h} {w}" for h, w in c["hosts"].items())
            lines.append(f"  {c['checker']}: round {c['round']}, {c['age']}s ago"
                         f"{'' if c['online'] else ' (offline)'}: {seen}")
        lines += part["agreement"]
    return lines


def _word(h: Any) -> str:
    if h.down:
        return f"DOWN ({h.fail} failed in a row)"
    return f"failing ({h.fail} in a row)" if h.fail else "up"


COMMANDS = [coordination]
