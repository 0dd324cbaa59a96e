"""`failover validate`: schema, references, playbooks, and single-point-of-failure lint."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
import msgspec

from failover.cli.app import App

if TYPE_CHECKING:
    from failover.rehearse.estimate import Estimate
from failover.model.inventory import Inventory, Policy
from failover.model.types import format_duration


@click.command()
@click.pass_obj
def validate(app: App) -> bool:
    """Check the inventory and its playbooks; print warnings. Exit 0 valid, 2 invalid."""
    from failover.config import load_playbook
    from failover.config.lint import lint
    from failover.errors import ConfigError
    from failover.model.services import service_names, view

    inv = app.site
    reasons = []
    for unit in [view(inv, name) for name in service_names(inv)]:  # each service's playbooks
        for path in unit.playbooks.values():
            try:
                load_playbook(path, unit)
            except ConfigError as e:
                reasons += [r for r in e.reasons if r not in reasons]
    if reasons:
        raise ConfigError(reasons)
    warnings = lint(inv)
    rto = _rto(inv)
    if rto.over:
        warnings.append(f"the RTO estimate ({rto.lines()[0].split(': ', 1)[1]}) is over "
                        "policy.rto_target: lower the TTLs, failure_threshold or "
                        "check_interval, or raise the target; `failover rehearse` measures it")
    if app.json:
        app.print_json({"valid": True, "inventory": str(inv.path), "warnings": warnings,
                        "policy": inv.policy.to_json(), "rto": rto.to_json(),
                        "rto_parts": rto.details()})
        return True
    app.out(f"{inv.path}: valid: site {inv.site}, {len(inv.hosts)} hosts, {len(inv.dns)} zone(s), "
            f"{len(inv.checks)} checks, {len(inv.playbooks)} playbooks")
    written = written_keys(inv.path)
    app.out(f"policy: {policy_in_effect(inv.policy, written.get('policy', set()))}")
    for line in in_effect_beside_policy(inv, written):
        app.out(line)
    for line in rto.lines():  # the budget from the inventory; `rehearse` measures it
        app.out(line)
    for w in warnings:
        app.out(f"warning: {w}")
    return True


def _rto(inv: Inventory) -> Estimate:
    """The RTO budget from the inventory alone: detection, each step up to DNS (the last real
    failover's journal where there is one, else a stated default), the largest TTL. `rehearse`
    measures the steps."""
    from failover.config import load_playbook
    from failover.rehearse.estimate import Measured, estimate, last_failover

    path = inv.playbooks.get("failover")
    playbook = load_playbook(path, inv) if path is not None else None
    return estimate(inv, playbook, Measured(), last_failover(inv))


def written_keys(path: Path) -> dict[str, set[str]]:
    """The keys the inventory writes: of `policy`, of `sync[N]`, and at the top ("")."""
    from failover.config.yamlmarks import read_yaml

    data = read_yaml(path).data
    data = data if isinstance(data, dict) else {}
    sets = data.get("sync")
    sets = sets if isinstance(sets, list) else []
    found = {"": set(data), "policy": set(data.get("policy") or {})}
    return found | {f"sync[{i}]": set(s) for i, s in enumerate(sets) if isinstance(s, dict)}


def _shown(value: object) -> str:
    return format_duration(value) if isinstance(value, float) else \
        str(value).lower() if isinstance(value, bool) or value is None else str(value)


GUARDS = ("max_delete", "max_delete_percent", "keep_snapshots")  # a sync set's, as validate shows


def in_effect_beside_policy(inv: Inventory, written: dict[str, set[str]]) -> list[str]:
    """What else a newcomer cannot see: each service's own policy keys, each sync set's guards
    and the state folder, defaults marked."""
    lines = [f"policy of service {name}: " + ", ".join(
        f"{k} {_shown(v)}" for k, v in msgspec.structs.asdict(service.policy).items()
        if v is not None) + "; the rest as policy"
        for name, service in inv.services.items() if service.policy is not None]
    for i, sset in enumerate(inv.sync):
        mine = written.get(f"sync[{i}]", set())
        lines.append(f"sync {sset.name}: " + ", ".join(
            f"{k} {getattr(sset, k)}" + ("" if k in mine else " (default)") for k in GUARDS))
    beside = "" if "state_dir" in written[""] else " (default: .failover beside the inventory)"
    return [*lines, f"state: {inv.state_dir}{beside}"]


def policy_in_effect(policy: Policy, written: set[str]) -> str:
    """Every policy value, the ones not written marked as defaults: what automation will do is
    never a guess."""
    parts = []
    for name in policy.__struct_fields__:
        value = getattr(policy, name)
        shown = _shown(value)
        if name not in written:
            shown += " (default" + (": a person decides every failover" if
                                    name == "auto_failover" and not value else "") + ")"
        parts.append(f"{name} {shown}")
    return ", ".join(parts)


COMMANDS = [validate]
