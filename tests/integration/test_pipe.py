"""The `pipe` step on the rig: a command's stdout on one host into a command's stdin on another."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml

from failover.engine.context import RunContext
from failover.engine.monitor import run_playbook
from failover.model.inventory import Inventory
from failover.model.state import State
from failover.state import open_state
from failover.state.audit import AuditLog
from tests.rig import Rig
from tests.synctree import make_inventory

SIZE = 200 * 1024 * 1024


def run_pipe(inv: Inventory, tmp_path: Path, source: str, sink: str) -> tuple[str, list[dict]]:
    book = tmp_path / "pipe.yaml"
    book.write_text(yaml.safe_dump({"name": "Copy the database", "steps": [{
        "name": "dump | load",
        "pipe": {"from": {"host": "{{ from }}", "command": source},
                 "to": {"host": "{{ to }}", "command": sink}, "timeout": "2m"}}]}))
    inv.state_dir.mkdir(parents=True, exist_ok=True)
    ctx = RunContext(inventory=inv, store=open_state(inv),
                     audit=AuditLog(inv.state_dir), state=State(active="primary"))
    journal = run_playbook(ctx, str(book), {"from": "primary", "to": "standby"})
    audit = [json.loads(line) for line in (inv.state_dir / "audit.jsonl").read_text().splitlines()]
    steps = [a for a in audit if a.get("event") == "step"]
    return (journal.status + ": " + (journal.error or "")), steps


def test_pipe_moves_200_mb_between_the_hosts(rig: Rig, tmp_path: Path) -> None:
    inv = make_inventory(rig, tmp_path)
    out = rig.standby.data_dir / f"{tmp_path.name}.sha256"
    status, steps = run_pipe(inv, tmp_path, f"head -c {SIZE} /dev/zero",
                             f"sha256sum > {out}; test -s {out}")
    assert status == "ok: ", status
    assert out.read_text().split()[0] == hashlib.sha256(bytes(SIZE)).hexdigest()
    assert steps[-1]["data"]["bytes"] == SIZE  # the byte count is in the audit log
    assert steps[-1]["status"] == "ok"


def test_pipe_fails_cleanly_when_the_sink_exits_1(rig: Rig, tmp_path: Path) -> None:
    inv = make_inventory(rig, tmp_path)
    status, steps = run_pipe(inv, tmp_path, f"head -c {SIZE} /dev/zero",
                             "head -c 1000 >/dev/null; echo 'ERROR 1045: access denied' >&2; "
                             "exit 1")
    assert status.startswith("failed: "), status
    assert "sink exited 1: ERROR 1045: access denied" in status
    assert steps[-1]["status"] == "failed"
    assert "head -c" not in status  # commands are named by program only


def test_pipe_fails_when_the_source_fails(rig: Rig, tmp_path: Path) -> None:
    inv = make_inventory(rig, tmp_path)
    status, _ = run_pipe(inv, tmp_path, "echo partial; exit 3", "cat > /dev/null")
    assert status.startswith("failed: "), status
    assert "source exited 3" in status
