"""Issue 14, approved plans: `--dry-run` gives a plan id; `--approve ID` runs exactly that plan,
or stops before any change and shows what differs."""

from __future__ import annotations

import json
import re

from tests.site import ZONE, Site, at


def planned(site: Site) -> str:
    p = site.run("failover", "--to", "standby", "--dry-run")
    assert p.returncode == 0, p.stdout + p.stderr
    found = re.search(r"^plan id: ([0-9a-f]{16}) ", p.stdout, re.M)
    assert found, p.stdout
    return found.group(1)


def refused(site: Site, pid: str) -> str:
    runs = sorted((site.state_dir / "runs").glob("*.json")) if (site.state_dir / "runs").exists() \
        else []
    p = site.run("failover", "--to", "standby", "--approve", pid, "--yes")
    assert p.returncode == 1, p.stdout + p.stderr
    assert f"failover: the plan changed since {pid} was approved; nothing changed" in p.stderr
    assert site.dns() == at(site.primary.address)
    after = sorted((site.state_dir / "runs").glob("*.json")) if (site.state_dir / "runs").exists() \
        else []
    assert after == runs  # no run started
    return p.stdout + p.stderr


def test_a_file_changed_on_the_primary_makes_the_approved_plan_stale(warm_site: Site) -> None:
    site = warm_site
    pid = planned(site)
    (site.primary.webroot / "index.html").write_text("<button>Add to cart</button> v9 new\n")
    out = refused(site, pid)
    assert "step 2 (Last content sync (best effort, the old host may be gone)) files: " \
           "approved " in out, out
    assert '"index.html"' in out


def test_a_dns_record_changed_makes_the_approved_plan_stale(warm_site: Site) -> None:
    site = warm_site
    pid = planned(site)
    site.rig.pdns.set_records(ZONE, {("www", "A"): (300, [site.primary.address])})
    out = refused(site, pid)
    assert "step 4 (Point DNS at the standby) zones: approved " in out, out
    assert '"ttl_before": 300' in out


def test_a_fresh_approval_runs_and_the_json_dry_run_holds_the_plan(warm_site: Site) -> None:
    site = warm_site
    p = site.run("--json", "failover", "--to", "standby", "--dry-run")
    doc = json.loads(p.stdout)
    plan = doc["plan"]
    assert (plan["from"], plan["to"]) == ("primary", "standby")
    dns = next(s for s in plan["steps"] if s["action"] == "dns")
    assert dns["zones"][0]["changes"][0]["after"] == [site.standby.address]
    assert planned(site) == doc["plan_id"]  # the same world, the same plan
    ok = site.run("failover", "--to", "standby", "--approve", doc["plan_id"], "--yes")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert f"plan {doc['plan_id']} approved: it is still the plan" in ok.stdout
    assert site.dns() == at(site.standby.address)
