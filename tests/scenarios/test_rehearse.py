"""Issue 13's fire drill through the real `failover` executable on the rig: `failover rehearse`
syncs and checks the standby, plans DNS without applying it, estimates the time to recover, and
with --canary flips only the canary record and puts it back."""

from __future__ import annotations

import json
from typing import Any

from tests.rig.tls import ca_file
from tests.site import ZONE, Site

CANARY = "failover-drill." + ZONE


def at(address: str) -> dict[str, list[str]]:
    return {ZONE: [address], "www." + ZONE: [address]}


def with_tls(site: Site) -> None:
    """An https check that trusts the rig's CA: the site is served over TLS too."""
    site.edit(lambda inv: inv["checks"].append(
        {"name": "storefront-tls", "type": "http", "url": "https://shop.test/",
         "expect_body": "Add to cart", "ca_file": str(ca_file(site.rig.dir)), "timeout": "2s"}))


def rehearsals(site: Site) -> list[dict[str, Any]]:
    return [e for e in site.audit() if e["event"] == "rehearsal"]


def test_rehearse_syncs_checks_and_plans_but_changes_no_record(site: Site) -> None:
    with_tls(site)
    (site.primary.webroot / "orders.txt").write_text("order 1001\norder 1002\norder 1003\n")
    p = site.run("rehearse", "--yes")
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert "Traceback" not in out
    # nothing a customer sees moved, on the nameserver the zone lists
    assert site.dns() == at(site.primary.address)
    assert site.state()["active"] == "primary"
    # the standby was warmed for real
    assert (site.standby.webroot / "orders.txt").read_text().endswith("order 1003\n")
    assert site.tree(site.standby.webroot) == site.tree(site.primary.webroot)
    print(p.stdout)
