"""Fault row: 30% packet loss on the primary's web port for 50 rounds (nftables numgen random;
netem is not in this kernel). What must hold is the streak rule, not a fixed outcome: a flip
comes only after failure_threshold failed rounds in a row, at most once, never back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.faults.conftest import RowRecord
from tests.faults.ledger import Ledger
from tests.rig import faults
from tests.site import Site, at


def events(site: Site, name: str) -> list[dict[str, Any]]:
    return [e for e in site.audit() if e["event"] == name]


def replay(rounds: list[dict[str, Any]], threshold: int) -> list[int]:
    """The rounds (0-based) at which the streak rule says the active host goes down: its checks
    failed `threshold` rounds in a row and some standby passed every check that round."""
    due, streak, active = [], 0, "primary"
    for i, r in enumerate(rounds):
        ok: dict[str, bool] = {}
        for result in r["round"]["results"]:
            ok[result["host"]] = ok.get(result["host"], True) and result["ok"]
        streak = 0 if ok[active] else streak + 1
        if streak >= threshold and any(v for h, v in ok.items() if h != active):
            due.append(i)
            active, streak = next(h for h, v in ok.items() if h != active and v), 0
    return due


@pytest.mark.fault("packet-loss")
def test_packet_loss_never_flaps_the_site(warm_site: Site, row: RowRecord) -> None:
    site = warm_site
    ledger = Ledger(site)
    site.edit(lambda inv: [c.update(timeout="0.5s") for c in inv["checks"]])
    with faults.drop_port(site.primary, 80, percent=30):
        # rounds as cron runs them (watch's interval cannot go below 1s)
        rounds = [json.loads(site.run("--json", "check").stdout) for _ in range(50)]
        dropped = faults.dropped(site.primary)
    assert dropped > 0
    failovers = [i for i, r in enumerate(rounds) if r["decision"]["action"] == "failover"]
    assert failovers == replay(rounds, threshold=3)[:1], failovers  # the rule, and at most one
    assert len(events(site, "dns_change")) == len(failovers) <= 1
    expected = site.standby if failovers else site.primary
    assert site.dns() == at(expected.address)
    failing = sum(1 for r in rounds if r["status"] != "OK")
    row.see(f"{dropped} packets dropped; {failing} of 50 rounds not OK; "
            f"{len(failovers)} flip(s), each on the streak rule, never back")
    row.nothing_lost(ledger)
