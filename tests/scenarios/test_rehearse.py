"""Issue 13's fire drill through the real `failover` executable on the rig: `failover rehearse`
syncs and checks the standby, plans DNS without applying it, estimates the time to recover, and
with --canary flips only the canary record, verifies it and puts it back."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
from typing import Any

from tests.rig.faultproxy import FaultProxy, Rule
from tests.rig.tls import ca_file
from tests.site import ZONE, Site, at

CANARY = "failover-drill." + ZONE



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
    # nothing a customer sees moved: every managed record, on the zone's nameserver
    assert site.dns() == at(site.primary.address)
    assert site.rig.pdns.query(CANARY) == []  # no --canary: the canary is not written either
    assert site.state()["active"] == "primary"
    # the standby was warmed for real, as `failover sync` does it (and audits it)
    assert site.tree(site.standby.webroot) == site.tree(site.primary.webroot)
    assert [(e["direction"], e["host"], e["ok"]) for e in site.audit() if e["event"] == "sync"] \
        == [("pull", "primary", True), ("push", "standby", True)]
    # the report: data age, check results, certificates, the DNS plan, the RTO and its parts
    lines = p.stdout.splitlines()
    assert lines[0] == "Rehearsal of a failover of shop.test from primary to standby: READY"
    assert any(line.startswith("  webroot: ") and "(before the drill: never synced)" in line
               for line in lines), p.stdout
    for check in ("storefront", "ssh", "storefront-tls"):
        assert any(line.startswith(f"  {check}: ok ") for line in lines), p.stdout
    assert "TLS certificates on standby:443 (the https checks' trust; a problem is blocking):" \
        in lines
    for name in ("shop.test", "www.shop.test"):
        assert any(line.startswith(f"  {name}: ok, 36") and line.endswith(" days left")
                   for line in lines), p.stdout
    primary, standby = site.primary.address, site.standby.address
    assert f"  shop.test. (powerdns): shop.test. A 60: {primary} -> {standby}" in lines
    assert f"  shop.test. (powerdns): www.shop.test. A 60: {primary} -> {standby}" in lines
    assert "  detection: 3m00s (180s) (failure_threshold 3 x check_interval 1m)" in lines
    assert any(line.startswith("  step 2: Last content sync (best effort, the old host may be "
                               "gone): ") and line.endswith("(this drill's sync of webroot)")
               for line in lines), p.stdout
    assert "  caches: 1m00s (60s) (the largest TTL of the managed records)" in lines
    assert any(line.startswith("RTO estimate: ") and "(rto_target 10m00s (600s))" in line
               for line in lines), p.stdout
    assert lines[-1] == "READY: 0 blocking finding(s), 0 warning(s)"
    # the audit keeps the drill in the shape the report reads
    [drill] = rehearsals(site)
    assert (drill["readiness"], drill["to"], drill["findings"]) == ("ready", "standby", [])
    rto = drill["rto"]
    assert set(rto) == {"estimate", "target", "parts"}
    assert rto["target"] == 600
    assert rto["parts"]["detection"] == 180
    assert abs(sum(rto["parts"].values()) - rto["estimate"]) < 0.01


def test_the_canary_flips_verifies_on_every_nameserver_and_is_deleted_again(site: Site) -> None:
    primary, standby = site.primary.address, site.standby.address
    seen: list[tuple[list[str], dict[str, list[str]]]] = []

    def at_put_back(method: str, path: str, body: bytes) -> bool:
        """Just before the drill puts the canary back: what the nameserver answers then."""
        if method == "PATCH" and b'"DELETE"' in body:
            seen.append((site.rig.pdns.query(CANARY), site.dns()))
        return False  # forward it

    with FaultProxy(site.rig.pdns.api_url) as proxy:
        proxy.add_rule(Rule(at_put_back, status=None))
        p = site.run("rehearse", "--canary", "--yes", "--json", PDNS_API_URL=proxy.url)
        writes = [json.loads(b) for m, _, b in proxy.requests if m == "PATCH"]
    assert p.returncode == 0, p.stdout + p.stderr
    doc = json.loads(p.stdout)
    assert seen == [([standby], at(primary))]  # flipped, and only the canary
    assert site.rig.pdns.query(CANARY) == []  # deleted again: it did not exist before
    assert site.dns() == at(primary)
    assert [[rr["name"] for rr in w["rrsets"]] for w in writes] == [[CANARY], [CANARY]]
    canary = doc["canary"]
    assert (canary["verified"], canary["restored"], canary["ok"]) == (True, True, True)
    assert canary["restore"] == "deleted again (it did not exist before the drill)"
    assert canary["changes"] == [f"{CANARY} A 60: (absent) -> {standby}"]
    assert canary["write_seconds"] > 0
    assert canary["propagation_seconds"] >= 0
    parts = {part["name"]: part for part in doc["rto"]["details"]}
    assert parts["step 4: Point DNS at the standby"] == {
        "name": "step 4: Point DNS at the standby", "seconds": canary["write_seconds"],
        "source": "this drill's canary write"}
    assert parts["step 5: Every nameserver answers with the standby"]["seconds"] == \
        canary["propagation_seconds"]
    assert doc["readiness"] == "ready"
    [drill] = rehearsals(site)
    assert drill["rto"]["parts"]["step 4: Point DNS at the standby"] == canary["write_seconds"]


def test_a_canary_that_exists_is_put_back_as_it_was(site: Site) -> None:
    primary, standby = site.primary.address, site.standby.address
    site.rig.pdns.set_records(ZONE, {("failover-drill", "A"): (120, [primary])})
    p = site.run("rehearse", "--canary", "--yes")
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"canary {CANARY} (zone {ZONE}) -> standby:" in p.stdout
    assert f"  {CANARY} A 120: {primary} -> {standby}" in p.stdout
    assert "  every nameserver answered after " in p.stdout
    assert f"  put back: A {primary}" in p.stdout
    assert site.rig.pdns.query(CANARY) == [primary]
    assert site.rig.pdns.query_message(CANARY).answer[0].ttl == 120
    assert site.dns() == at(primary)


def test_a_standby_failing_a_check_is_not_ready(site: Site) -> None:
    with site.standby.stop_http():
        p = site.run("rehearse", "--yes")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "  storefront: FAILED " in p.stdout
    assert "  NOT READY: standby standby fails check storefront: " in p.stdout
    assert p.stdout.splitlines()[0].endswith(": NOT READY")
    assert site.dns() == at(site.primary.address)
    [drill] = rehearsals(site)
    assert drill["readiness"] == "not ready"
    assert any(f.startswith("standby standby fails check storefront: ")
               for f in drill["findings"])


def test_a_stale_standby_is_not_ready(site: Site) -> None:
    site.edit(lambda inv: inv["sync"][0].update(max_age="1h"))
    with site.primary.stop_sshd():  # the pull fails: the standby keeps nothing newer
        p = site.run("rehearse", "--yes")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "  webroot: never synced, max_age 1h (before the drill: never synced) STALE" \
        in p.stdout
    assert "  NOT READY: stale standby: standby set webroot: never synced, max_age 1h: older " \
           "than max_age" in p.stdout
    assert "  warning: sync failed: pull webroot from primary: " in p.stdout
    [drill] = rehearsals(site)
    assert drill["readiness"] == "not ready"


def test_an_rto_estimate_over_target_is_not_ready(site: Site) -> None:
    site.edit(lambda inv: inv["policy"].update(rto_target="2m"))
    p = site.run("rehearse", "--yes", "--json")
    assert p.returncode == 1, p.stdout + p.stderr
    doc = json.loads(p.stdout)
    assert doc["readiness"] == "not ready"
    assert doc["rto"]["target"] == 120
    assert doc["rto"]["over_target"]
    [finding] = [f for f in doc["findings"] if f["blocking"]]
    assert finding["text"].startswith("RTO estimate ")
    assert finding["text"].endswith("s is over policy.rto_target 120s")
    assert "detection (180s)" in finding["fix"]
    assert rehearsals(site)[0]["rto"]["target"] == 120


def test_rehearse_usage_errors(site: Site) -> None:
    p = site.run("rehearse")
    assert p.returncode == 2
    assert "needs confirmation and there is no terminal; add --yes" in p.stderr
    p = site.run("rehearse", "--to", "nowhere", "--yes")
    assert (p.returncode, p.stderr.strip()) == (
        2, "failover: --to: unknown host 'nowhere'; hosts: primary, standby")
    p = site.run("rehearse", "--to", "primary", "--yes")
    assert (p.returncode, p.stderr.strip()) == (
        2, "failover: primary is already the active host; nothing to do")
    site.edit(lambda inv: inv.pop("canary"))
    p = site.run("rehearse", "--canary", "--yes")
    assert p.returncode == 2
    assert "--canary needs a canary record in the inventory" in p.stderr
    site.edit(lambda inv: inv.update(canary="drill.elsewhere.test."))
    p = site.run("validate")
    assert p.returncode == 2
    assert p.stderr.startswith(f"{site.inventory}:")
    assert " canary: drill.elsewhere.test. is in none of the managed zones (shop.test.)" \
        in p.stderr
    assert "Traceback" not in p.stdout + p.stderr
    assert rehearsals(site) == []
    assert site.dns() == at(site.primary.address)


def test_a_certificate_that_does_not_cover_a_managed_name_is_not_ready(site: Site) -> None:
    with_tls(site)  # the rig's certificate names shop.test, www.shop.test and mx.shop.test
    site.edit(lambda inv: inv["dns"][0]["records"].append({"name": "static", "type": "A"}))
    p = site.run("rehearse", "--yes")
    assert p.returncode == 1, p.stdout + p.stderr
    assert any(line.startswith("  static.shop.test: FAILED TLS: certificate verify failed: ")
               for line in p.stdout.splitlines()), p.stdout
    assert "  NOT READY: TLS certificate for static.shop.test on standby:443: " in p.stdout
    assert any(line.startswith("  www.shop.test: ok, ") for line in p.stdout.splitlines())
    assert site.rig.pdns.query("static." + ZONE) == []  # planned, never written
    assert f"static.shop.test. A 60: (absent) -> {site.standby.address}" in p.stdout


def test_a_certificate_about_to_expire_is_a_warning(site: Site) -> None:
    site.edit(lambda inv: inv["checks"].append(
        {"name": "storefront-tls", "type": "http", "url": "https://shop.test:8443/",
         "ca_file": str(ca_file(site.rig.dir)), "expect_body": "Add to cart"}))
    p = site.run("rehearse", "--yes", "--json")
    assert p.returncode == 0, p.stdout + p.stderr
    doc = json.loads(p.stdout)
    assert doc["tls"]["port"] == 8443
    assert [round(c["days_left"]) for c in doc["tls"]["certificates"]] == [3, 3]
    texts = [f["text"] for f in doc["findings"] if not f["blocking"]]
    assert "TLS certificate for shop.test on standby expires in 3 days" in texts
    assert doc["readiness"] == "ready"


def test_rehearse_waits_for_the_lock_like_every_acting_command(site: Site) -> None:
    site.state_dir.mkdir(exist_ok=True)
    fd = os.open(site.state_dir / "lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as a person's `failover run` would
    try:
        p = site.run("rehearse", "--yes", "--wait", "0")
    finally:
        os.close(fd)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "another failover run holds" in p.stderr
    assert rehearsals(site) == []
    assert not (site.standby.webroot / "orders.txt").exists()  # nothing synced


def test_sigterm_while_the_canary_is_written_puts_it_back(site: Site) -> None:
    procs: list[subprocess.Popen[str]] = []

    def terminate_on_write(method: str, path: str, body: bytes) -> bool:
        if method == "PATCH" and b'"REPLACE"' in body:
            procs[0].send_signal(signal.SIGTERM)  # the write goes on to PowerDNS all the same
        return False

    with FaultProxy(site.rig.pdns.api_url) as proxy:
        proxy.add_rule(Rule(terminate_on_write, status=None))
        site.env["PDNS_API_URL"] = proxy.url
        procs.append(site.popen("rehearse", "--canary", "--yes"))
        stdout, stderr = procs[0].communicate(timeout=120)
        writes = [json.loads(b) for m, _, b in proxy.requests if m == "PATCH"]
    assert procs[0].returncode == 130, stdout + stderr
    assert "failover: rehearsal interrupted by SIGTERM: no managed DNS record changed; a " \
           "flipped canary was put back on the way out" in stderr
    assert "Traceback" not in stderr
    assert site.rig.pdns.query(CANARY) == []
    assert site.dns() == at(site.primary.address)
    assert [rr["changetype"] for w in writes for rr in w["rrsets"]][:2] == ["REPLACE", "DELETE"]
    assert rehearsals(site) == []  # an interrupted drill judged nothing


def test_no_https_check_and_nothing_on_port_443_is_no_tls(site: Site) -> None:
    site.standby.https.stop()  # the next test's host reset starts it again
    p = site.run("rehearse", "--yes")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "TLS: no TLS (no https check, and standby does not answer on port 443)" in p.stdout
    assert "READY: 0 blocking finding(s), 0 warning(s)" in p.stdout
