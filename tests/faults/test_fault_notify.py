"""Fault rows: the team's channels hang. A notification is told, never waited for past its
timeout: the failover is done whatever the chat service does."""

from __future__ import annotations

from typing import Any

import pytest

from tests.faults.conftest import RowRecord
from tests.faults.ledger import Ledger
from tests.site import Site, at


def events(site: Site, name: str, **match: Any) -> list[dict[str, Any]]:
    return [e for e in site.audit() if e["event"] == name
            and all(e.get(k) == v for k, v in match.items())]


@pytest.mark.fault("webhook-hangs")
def test_a_hanging_webhook_does_not_hold_the_failover(warm_site: Site, row: RowRecord) -> None:
    site = warm_site
    ledger = Ledger(site)
    site.edit(lambda inv: inv["notify"][0].update(timeout="1s"))
    site.hook.delay = 5.0  # takes the POST, answers long after the channel's timeout
    p = site.run("failover", "--yes")
    site.hook.delay = 0.0
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Traceback" not in p.stdout + p.stderr
    [notify] = [e for e in events(site, "step", action="notify") if e["phase"] == "steps"]
    assert notify["status"] == "warning", notify
    assert notify["detail"].endswith(": ReadTimeout: no answer"), notify["detail"]
    assert notify["detail"].startswith("not delivered: webhook: "), notify["detail"]
    assert site.dns() == at(site.standby.address)
    assert site.state()["active"] == "standby"
    row.see("notify step WARNING `not delivered: ... ReadTimeout: no answer` after its 1s; "
            "failover done (exit 0)")
    row.nothing_lost(ledger)
