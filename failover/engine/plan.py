"""Approved plans: the changes a dry run predicts, as a value with an id a person can approve.

A plan is what a run would change, taken from its dry run's journal: the target (from, to), and
per step its action and name, and for a step that would change something (a dry-run outcome) what
it would do: the DNS changes (before and after), the files a sync would create, update and
delete, the commands it would run, the messages it would send. What only describes the world
(a check's latency, byte counts) is left out, and the run's own id is written `{{ run_id }}`,
so the same world gives the same plan. Its id is a SHA-256 over that, cut to 16 hex digits.

`--dry-run` prints the id and keeps the plan in <state_dir>/plans/<id>.json (0600), so that
`--approve ID` can show what differs when the world has moved since; `--dry-run --json`
carries the whole plan, for a change ticket. The check is made by a fresh dry run just before
the real one: what changes in the seconds between them is not covered.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from failover.engine.journal import Journal
from failover.state.files import dumps, write_atomic

SYNC_KEYS = ("created", "updated", "deleted")


def plan_of(journal: Journal) -> dict[str, Any]:
    run_id = journal.id
    steps = []
    for rec in journal.steps:
        if rec.phase != "steps":
            continue
        step: dict[str, Any] = {"action": rec.action, "name": rec.name}
        if rec.status == "dry-run":
            step["does"] = rec.detail.replace(run_id, "{{ run_id }}")
            if rec.action == "sync":
                step["files"] = {way: {k: (rec.data.get(way) or {}).get(k, []) for k in SYNC_KEYS}
                                 for way in ("pull", "push") if rec.data.get(way)}
            if rec.action in ("dns", "dns_ttl"):
                step["zones"] = rec.data.get("zones", [])
        else:
            step["result"] = rec.status  # a step that reads (a check) only says how it went
        steps.append(step)
    variables = journal.variables
    return {"playbook": journal.title, "from": variables.get("from"), "to": variables.get("to"),
            "steps": steps}


def plan_id(plan: dict[str, Any]) -> str:
    text = json.dumps(plan, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def keep(state_dir: Path, plan: dict[str, Any]) -> str:
    """Store the plan for a later `--approve`; returns its id."""
    pid = plan_id(plan)
    write_atomic(state_dir / "plans" / f"{pid}.json", dumps(plan, indent=2) + "\n")
    return pid


def kept(state_dir: Path, pid: str) -> dict[str, Any] | None:
    try:
        data = json.loads((state_dir / "plans" / f"{pid}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def differences(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """What changed between the approved plan and the plan now, a line per difference."""
    if old is None:
        return ["the approved plan is not kept on this machine (no "
                "<state_dir>/plans/<id>.json); the plan now:", *_lines(new)]
    found = [f"{key}: {old.get(key)} -> {new.get(key)}" for key in ("playbook", "from", "to")
             if old.get(key) != new.get(key)]
    before, after = old.get("steps", []), new.get("steps", [])
    for i in range(max(len(before), len(after))):
        a = before[i] if i < len(before) else None
        b = after[i] if i < len(after) else None
        if a == b:
            continue
        name = (b or a or {}).get("name", f"step {i + 1}")
        for key in sorted({*(a or {}), *(b or {})}):
            if (a or {}).get(key) != (b or {}).get(key):
                found.append(f"step {i + 1} ({name}) {key}: approved "
                             f"{_short((a or {}).get(key))}; now {_short((b or {}).get(key))}")
    return found


def _lines(plan: dict[str, Any]) -> list[str]:
    return [f"  {i + 1}. {s['name']}: {s.get('does') or s.get('result')}"
            for i, s in enumerate(plan.get("steps", []))]


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 300 else text[:297] + "..."
