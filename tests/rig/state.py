"""The rig's state file DIR/rig-state.json: lets ``python -m tests.rig down DIR`` (another
process) stop exactly the processes ``up`` started (pid + start time) and remove the network."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .proc import RigError

if TYPE_CHECKING:
    from . import Rig

log = logging.getLogger(__name__)

STATE_FILE = "rig-state.json"


def save_state(rig: Rig) -> None:
    state = {
        "params": rig.params,
        "pdns_api_key": rig.pdns.api_key,
        "owns_dir": rig.owns_dir,
        "daemons": {d.name: d.state() for d in rig.all_daemons},
        "wrong_key": [h.name for h in rig.hosts.values() if h.sshd.wrong_key_active],
    }
    tmp = rig.dir / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state, indent=1) + "\n")
    tmp.replace(rig.dir / STATE_FILE)


def read_state(base_dir: str | Path) -> tuple[Path, dict[str, Any]]:
    path = Path(base_dir).absolute() / STATE_FILE
    try:
        state: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise RigError(f"no rig state file {path}") from exc
    return path, state


def restore_state(rig: Rig, state: dict[str, Any]) -> None:
    """Adopt the recorded processes, network and keys into a freshly constructed Rig."""
    rig.owns_dir = state["owns_dir"]
    rig.started = True
    rig.network.owned = True
    for d in rig.all_daemons:
        rec = state["daemons"].get(d.name, {})
        d.proc.adopt(rec.get("pid"), rec.get("starttime"))
    for h in rig.hosts.values():
        pub = h.sshd.host_key.with_name(h.sshd.host_key.name + ".pub")
        if pub.exists():
            h.sshd.host_key_pub = " ".join(pub.read_text().split()[:2])
        h.sshd.wrong_key_active = h.name in state.get("wrong_key", [])
