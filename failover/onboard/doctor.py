"""`failover doctor`'s checks, in the order a reader fixes them: hosts (ssh, tools, clock, space),
DNS (credentials, TTLs), the state folder, the blast radius. Contract: reads only; every check
runs even when an earlier one failed; `doctor()` returns every finding, problems first in no
other sense than their order here."""

from __future__ import annotations

import time
from collections.abc import Callable

from failover.model.inventory import Inventory
from failover.onboard.findings import Finding
from failover.onboard.hostcheck import host_findings
from failover.onboard.sitecheck import blast_findings, dns_findings, state_findings, ttl_findings


def doctor(inventory: Inventory, clock: Callable[[], float] = time.time) -> list[Finding]:
    return [*host_findings(inventory, clock), *dns_findings(inventory), *ttl_findings(inventory),
            *state_findings(inventory), *blast_findings(inventory)]
