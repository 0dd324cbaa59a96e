"""validate states the RTO budget from the inventory (DESIGN.md "RTO budget") and warns when it is
over policy.rto_target; `rehearse` measures the same parts."""

from __future__ import annotations

import json

from tests.site import Site


def test_validate_prints_the_rto_budget_and_warns_over_target(site: Site) -> None:
    p = site.run("validate")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "RTO estimate: 5m45s (345s) (rto_target 10m00s (600s))" in p.stdout, p.stdout
    assert "  detection: 3m00s (180s) (failure_threshold 3 x check_interval 1m)" in p.stdout
    assert "  caches: 1m00s (60s) (the largest TTL of the managed records)" in p.stdout
    assert "over policy.rto_target" not in p.stdout

    site.edit(lambda inv: inv["policy"].update(rto_target="2m"))
    p = site.run("validate")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "warning: the RTO estimate (5m45s (345s) (rto_target 2m00s (120s)) OVER TARGET) is " \
           "over policy.rto_target" in p.stdout, p.stdout
    doc = json.loads(site.run("--json", "validate").stdout)
    assert doc["rto"]["estimate"] == 345.0
    assert doc["rto"]["target"] == 120.0
    assert doc["rto"]["parts"]["detection"] == 180.0
