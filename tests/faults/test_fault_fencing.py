"""Fault row: the old primary comes back after a failover: fenced over SSH once it answers,
it stays demoted and never wins the site back on its own; a person (`promote`) clears the mark.
(Moved from tests/scenarios/test_fencing.py, issue 14.)"""

from __future__ import annotations

from typing import Any

import pytest

from tests.faults.conftest import RowRecord
from tests.faults.ledger import Ledger
from tests.site import Site, at


def events(site: Site, name: str) -> list[dict[str, Any]]:
    return [e for e in site.audit() if e["event"] == name]


def eager_failback(inv: dict[str, Any]) -> None:
    """Automation free to fail back at once: only the demoted mark can hold it."""
    inv["policy"].update(auto_failback=True, cooldown="0s", max_auto_failovers=10,
                         recovery_threshold=2, failback_after="0s")


@pytest.mark.fault("old-primary-returns")
def test_an_unreachable_old_host_is_fenced_when_it_comes_back_and_stays_demoted(
        warm_site: Site, row: RowRecord) -> None:
    site = warm_site
    ledger = Ledger(site)
    site.edit(eager_failback)
    marker = site.primary.webroot / ".maintenance"
    site.primary.link_down()
    for _ in range(3):
        last = site.run("check")
    assert last.returncode == 2, last.stdout + last.stderr
    assert site.dns() == at(site.standby.address)
    assert not marker.exists()

    status = site.run("status")
    assert "demoted: primary since " in status.stdout, status.stdout
    assert "NOT FENCED" in status.stdout, status.stdout
    assert "not reachable" in status.stdout, status.stdout
    [fence] = events(site, "fence")
    assert (fence["host"], fence["fenced"]) == ("primary", False)

    site.primary.link_up()
    back = site.run("check")
    assert "demoted host primary answers again: fenced: 1 command(s) ran" in back.stdout, \
        back.stdout + back.stderr
    assert marker.exists()  # the fence command ran on the old host, over SSH
    assert site.state()["demoted"]["primary"]["fenced"] is True

    for _ in range(4):  # healthy, recovered (2 rounds), failback allowed by all else: held
        p = site.run("check")
        assert p.returncode == 0, p.stdout + p.stderr
    assert site.dns() == at(site.standby.address)
    assert not [e for e in events(site, "run_start") if "failback" in e["playbook"]]
    assert "demoted: primary since " in site.run("status").stdout

    row.see("fenced over SSH when it answered again; 4 healthy rounds: stayed demoted, DNS at "
            "the standby; `promote` then let automation fail back")
    promoted = site.run("promote", "primary", "--yes")
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    assert "primary promoted: no longer demoted" in promoted.stdout
    assert site.state()["demoted"] == {}
    assert [e["host"] for e in events(site, "undemote")] == ["primary"]
    after = site.run("check")  # the mark was all that held it: automation fails back now
    assert "failback done" in after.stdout, after.stdout + after.stderr
    assert site.dns() == at(site.primary.address)
    row.nothing_lost(ledger)
