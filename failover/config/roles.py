"""What the inventory's failover and failback playbooks must do before their first dns step.

- failback: every sync set marked `failback: true` is pulled home (`pull: required`), and every
  `pipe` step marked `failback: true` runs before the flip, from `{{ from }}` (the standby that
  was active: what it wrote) to `{{ to }}` (the preferred host): the direction is written in
  the playbook, not guessed. A `failback: true` pipe belongs in the failback playbook only.
- failover: every `mode: replica` set is promoted (`promote: true`).
"""

from __future__ import annotations

from failover.config.yamlmarks import Document
from failover.errors import Reason
from failover.model.inventory import Inventory
from failover.model.playbook import Playbook


def before_dns(playbook: Playbook, inv: Inventory, doc: Document,
               role: str | None) -> list[Reason]:
    reasons = _pipes(playbook, doc, role)
    if role == "failback":
        reasons += _sets(playbook, inv, doc, "failback: true", "pull: required")
    elif role == "failover":
        reasons += _sets(playbook, inv, doc, "mode: replica", "promote: true")
    return reasons


def _pipes(playbook: Playbook, doc: Document, role: str | None) -> list[Reason]:
    reasons: list[Reason] = []
    flipped = False
    for section in ("steps", "rescue"):
        for i, step in enumerate(getattr(playbook, section)):
            flipped = flipped or (section == "steps" and step.dns is not None)
            if step.pipe is None or not step.pipe.failback:
                continue
            at = (section, i, "pipe", "failback")
            if role != "failback":
                reasons.append(doc.reason(at, "a `failback: true` pipe brings what the standby "
                                              "wrote home: it belongs in the failback playbook"))
            elif section == "rescue" or flipped:
                reasons.append(doc.reason(at, "a `failback: true` pipe must run before the "
                                              "failback's dns step: move it above the flip"))
            if (step.pipe.from_.host, step.pipe.to.host) != ("{{ from }}", "{{ to }}"):
                reasons.append(doc.reason(at, "a `failback: true` pipe goes from \"{{ from }}\" "
                                              "(the standby that was active) to \"{{ to }}\" "
                                              "(the preferred host)"))
    return reasons


def _sets(playbook: Playbook, inv: Inventory, doc: Document, marked: str,
          needs: str) -> list[Reason]:
    """Every set `marked` ("failback: true", "mode: replica") is synced with `needs`
    ("pull: required", "promote: true") before the playbook's first dns step."""
    done: set[str] = set()
    for step in playbook.steps:
        if step.dns is not None:
            break
        if step.sync is not None and (step.sync.pull == "required" if needs.startswith("pull")
                                      else step.sync.promote):
            done.add(step.sync.set)
    wanted = [s.name for s in inv.sync
              if (s.failback if marked.startswith("failback") else s.mode == "replica")]
    what = "bring it home" if marked.startswith("failback") else "promote it"
    return [doc.reason(("steps",), f"sync set {name} is marked `{marked}` but this playbook does "
                       f"not {what} before its dns step; add `sync: {{set: {name}, from: "
                       f"\"{{{{ from }}}}\", to: \"{{{{ to }}}}\", {needs}}}` before it")
            for name in wanted if name not in done]
