"""`failover status`: active host, health streaks, cooldown, mirror ages, last run. Read-only."""

from __future__ import annotations

from typing import Any

import click

from failover.cli.app import App
from failover.cli.render import ago, stamp, table
from failover.engine.resume import stuck_reason, unfinished
from failover.families import state_words
from failover.model.types import format_duration
from failover.policy import auto_flips_in_window, cooldown_left


@click.command()
@click.pass_obj
def status(app: App) -> bool:
    """Show what the state file knows; contacts nothing (but etcd, with coordination:). With
    `services:`, every service."""
    from failover.model.services import service_names

    names = service_names(app.site)
    if app.service is None and len(names) > 1:
        return _services(app, names)
    return _one(app)


def _one(app: App) -> bool:
    inv = app.inventory
    state = app.store.load()
    now = app.clock()
    cooldown = cooldown_left(inv, state, now)
    stuck = unfinished(inv, app.store)  # a run that died or was interrupted (engine/resume.py)
    if app.json:
        doc: dict[str, Any] = state.to_json()
        doc["cooldown_left"] = round(cooldown, 1)
        doc["site"] = inv.site
        doc["data_age"] = _data_ages(app, state, now)  # issue 4: each standby's RPO per set
        doc["unfinished_run"] = None if stuck is None else {
            "id": stuck.id, "status": stuck.status, "playbook": stuck.title,
            "variables": stuck.variables, "message": stuck_reason(stuck)}
        if inv.coordination is not None:  # several checkers (etcd): cli/coordination.py
            from failover.cli.coordination import coordination_doc

            doc["coordination"] = coordination_doc(app)
        doc["notifications_owed"] = app.notifications_owed()  # notify/outbox.py
        app.print_json(doc)
        return True
    active = state.active or ("unknown until the first round (`failover dns show` says where DNS "
                              "points)")
    app.out(f"site {inv.site}: active host {active}")
    app.out(f"last round: {ago(state.last_round_at, now)}")
    rows = [["HOST", "STATE", "FAILED ROUNDS", "OK ROUNDS", "SINCE"]]
    for name in inv.hosts:
        h = state.hosts.get(name)
        # before the first round nobody knows which host is active (status reads no DNS)
        role = "" if state.active is None else "active, " if name == state.active else "standby, "
        if h is None:
            rows.append([name, f"{role}unchecked", "-", "-", "-"])
        else:
            word, _ = state_words(h.families)  # issue 20: one family failing, the other serving
            health = "DOWN" if h.down else word or ("failing" if h.fail else "up")
            rows.append([name, f"{role}{health}", str(h.fail), str(h.ok), stamp(h.changed_at)])
    for line in table(rows):
        app.out(line)
    for name, h in state.hosts.items():
        if h.families:
            app.out(f"{name} by family: {state_words(h.families)[1]}")
    for name, mark in state.demoted.items():
        fence = "fenced" if mark.fenced else "NOT FENCED: it may take orders if it comes back"
        app.out(f"demoted: {name} since {stamp(mark.since)} ({mark.why}); {fence} "
                f"({mark.detail}); `failover promote {name}` clears it")
    if state.last_flip is not None:
        f = state.last_flip
        app.out(f"last flip: {f.from_} -> {f.to} at {stamp(f.at)} (run {f.run_id})"
                + (f"; cooldown {cooldown / 60:.0f} min left" if cooldown else ""))
    if state.auto_flips:  # issue 3: policy.max_auto_failovers
        used, limit = len(auto_flips_in_window(inv, state, now)), inv.policy.max_auto_failovers
        app.out(f"automatic flips in the last {format_duration(inv.policy.auto_failover_window)}"
                f": {used} of {limit}" + ("; the next automatic failover is BLOCKED (a person "
                                          "decides)" if used >= limit else ""))
    for name, m in state.mirrors.items():
        pushes = ", ".join(f"{h} {ago(t, now)}" for h, t in m.pushed.items()) or "none"
        app.out(f"mirror {name}: pulled from {m.pulled_from or '-'} {ago(m.pulled_at, now)}; "
                f"pushed: {pushes}")
    for a in _data_ages(app, state, now):
        app.out(f"data age: {a['host']} {a['set']} "
                f"{'never synced' if a['age'] is None else ago(now - a['age'], now)}"
                + (" STALE (older than max_age)" if a["stale"] else ""))
    if stuck is not None:
        app.out(f"UNFINISHED: {stuck_reason(stuck)}")
    for o in app.notifications_owed():  # a channel was down: the next check round sends them
        app.out(f"notification owed: {o['event']} to {o['channel']} ({o['where']}) for "
                f"{format_duration(round(o['owed_for']))}; last error: {o['error']}")
    if state.last_run is not None:
        r = state.last_run
        app.out(f"last run: {r.id} {r.playbook} {r.status} ({r.from_} -> {r.to}) at "
                f"{stamp(r.started_at)}")
    if inv.coordination is not None:
        from failover.cli.coordination import coordination_doc, coordination_lines

        for line in coordination_lines(app, coordination_doc(app)):
            app.out(line)
    return True


def _services(app: App, names: list[str]) -> bool:
    """A line per service (where it lives, how its active host is), then each one's details."""
    units = [(name, app.for_service(name)) for name in names]
    if app.json:
        docs = {}
        for name, unit in units:
            state = unit.store.load()
            docs[name] = {**state.to_json(), "cooldown_left": round(cooldown_left(
                unit.inventory, state, app.clock()), 1)}
            docs[name].pop("services", None)
        app.print_json({"site": app.site.site, "services": docs,
                        "notifications_owed": app.notifications_owed()})
        return True
    for name, unit in units:
        state = unit.store.load()
        me = state.hosts.get(state.active or "")
        health = "unchecked" if me is None else "DOWN" if me.down else (
            "failing" if me.fail else "up")
        app.out(f"service {name}: active host {state.active or 'unknown'} ({health})")
    for name, unit in units:
        app.out("")
        app.out(f"== service {name}")
        _one(unit)  # what `status --service NAME` shows
    return True


def _data_ages(app: App, state: Any, now: float) -> list[dict[str, Any]]:
    from failover.freshness import data_ages

    return [{"host": a.host, "set": a.set, "age": None if a.age is None else round(a.age, 1),
             "max_age": a.max_age, "stale": a.stale}
            for host in app.inventory.hosts if host != state.active
            for a in data_ages(app.inventory, state, host, now)]


COMMANDS = [status]
