"""Fault rows: the team's channels hang. A notification is told, never waited for past its
timeout: the failover is done whatever the chat service does."""

from __future__ import annotations

import socket
import threading
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
    site.edit(lambda inv: inv["notify"][0].update(timeout="1s", deadline="3s"))
    site.hook.delay = 5.0  # takes the POST, answers long after the channel's timeout
    p = site.run("failover", "--yes")
    site.hook.delay = 0.0
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Traceback" not in p.stdout + p.stderr
    [notify] = [e for e in events(site, "step", action="notify") if e["phase"] == "steps"]
    assert notify["status"] == "warning", notify
    assert notify["detail"].startswith("not delivered: webhook http://"), notify["detail"]
    assert notify["detail"].endswith(": ReadTimeout: no answer; retried until the run ends, "
                                     "then owed to the next check round"), notify["detail"]
    assert site.dns() == at(site.standby.address)
    assert site.state()["active"] == "standby"
    row.see("notify step WARNING `not delivered: ... ReadTimeout: no answer; retried until the "
            "run ends, then owed`; failover done (exit 0)")
    row.nothing_lost(ledger)


@pytest.mark.fault("smtp-hangs")
def test_a_hanging_smtp_server_does_not_hold_the_failover(warm_site: Site, row: RowRecord
                                                          ) -> None:
    site = warm_site
    ledger = Ledger(site)
    held: list[socket.socket] = []
    server = socket.create_server(("127.0.0.1", 0))  # takes the connection, never greets
    threading.Thread(target=lambda: held.append(server.accept()[0]), daemon=True).start()
    port = server.getsockname()[1]
    site.edit(lambda inv: inv["notify"].append({
        "type": "email", "smtp": f"127.0.0.1:{port}", "tls": "none", "from": "failover@shop.test",
        "to": ["oncall@shop.test"], "timeout": "1s", "deadline": "3s"}))
    try:
        p = site.run("failover", "--yes")
    finally:
        server.close()
        for conn in held:
            conn.close()
    assert held, "the mail never reached the hanging server"
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Traceback" not in p.stdout + p.stderr
    out = p.stdout + p.stderr
    assert f"not delivered to notify[1] (email smtp 127.0.0.1:{port})" in out, out
    assert "owed: the next check round sends it" in out
    assert events(site, "notify_owed")
    assert site.dns() == at(site.standby.address)
    assert site.state()["active"] == "standby"
    row.see("the SMTP server took the connection and never greeted: `not delivered to "
            "notify[1] (email smtp ...)`, owed to the next round; failover done (exit 0)")
    row.nothing_lost(ledger)
