"""The issue's stories, through the real `failover` executable against the rig."""

from __future__ import annotations

from typing import Any

from tests.scenarios.interrupting import processes
from tests.site import ZONE, Site, at


def events(site: Site, name: str, **match: Any) -> list[dict[str, Any]]:
    return [e for e in site.audit() if e["event"] == name
            and all(e.get(k) == v for k, v in match.items())]


def test_a_failover_by_hand_still_tries_the_old_host(warm_site: Site) -> None:
    """No round saw the primary fail: the sync step tries it, fails, pushes the mirror."""
    site = warm_site
    site.primary.link_down()
    p = site.run("failover", "--yes")
    assert p.returncode == 0, p.stdout + p.stderr
    sync = events(site, "step", action="sync")[-1]
    assert sync["status"] == "warning"
    assert sync["detail"].startswith(f"pull from primary failed (ssh to primary "
                                     f"({site.primary.address} port 22) failed"), sync["detail"]
    assert "pushed the last good mirror" in sync["detail"]
    assert site.dns() == at(site.standby.address)


def test_a_round_that_could_fail_over_but_does_not_keeps_no_connection(warm_site: Site) -> None:
    site = warm_site
    with site.primary.link_down():
        assert [site.run("check").returncode for _ in range(2)] == [1, 1]
    p = site.run("-v", "check")  # the primary is back: nothing to do
    assert p.returncode == 0, p.stdout + p.stderr
    assert "warm-up: host=standby ssh=connecting" in p.stderr
    assert "warm-up: host=standby ssh=closed (no run for it)" in p.stderr
    assert not ssh_masters(site)
    assert not events(site, "run_start", playbook=str(site.dir / "playbooks/failover.yaml"))


def ssh_masters(site: Site) -> list[str]:
    """Command lines of ssh connection masters to this rig's standby still running."""
    return [text for _, text in processes()
            if "ControlMaster=yes" in text and f"@{site.standby.address}" in text]


def test_dry_run_changes_nothing_and_prints_the_dns_change(warm_site: Site) -> None:
    site = warm_site
    (site.standby.webroot / "new-on-primary.txt").write_text("x")  # so rsync would delete it
    state_before = (site.state_dir / "state.json").read_bytes()
    audit_before = (site.state_dir / "audit.jsonl").read_bytes()
    runs_before = sorted((site.state_dir / "runs").iterdir())
    mirror_before = site.tree(site.state_dir / "mirror" / "webroot")
    tree_before = site.tree(site.standby.webroot)
    p = site.run("failover", "--dry-run")
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"{ZONE} A 60: {site.primary.address} -> {site.standby.address}" in p.stdout
    assert "new-on-primary.txt" in p.stdout  # the rsync itemized list: a deletion
    assert "dry run done: nothing changed" in p.stdout
    assert site.dns() == at(site.primary.address)
    assert site.tree(site.standby.webroot) == tree_before
    assert (site.state_dir / "state.json").read_bytes() == state_before
    assert (site.state_dir / "audit.jsonl").read_bytes() == audit_before
    assert sorted((site.state_dir / "runs").iterdir()) == runs_before
    assert site.tree(site.state_dir / "mirror" / "webroot") == mirror_before


def test_dns_step_refuses_a_target_that_fails_its_checks_in_the_same_run(site: Site) -> None:
    # a playbook without a check step: the dns step checks the target itself
    site.edit_playbook("failover", lambda pb: pb["steps"].pop(0))
    site.standby.stop_http()
    p = site.run("failover", "--yes")
    assert p.returncode == 1
    assert "standby failed its checks: storefront" in p.stdout
    assert site.dns() == at(site.primary.address)
    assert site.state()["active"] == "primary"
    assert "this run changed no DNS; nothing to put back" in p.stdout
    [told] = site.hook.messages()  # true to the run: DNS never moved, so none was "put back"
    assert told.startswith("shop.test: failover from primary to standby FAILED; the rescue "), told
    assert "DNS put back" not in told


def test_step_failing_after_dns_runs_rescue_and_puts_dns_back(warm_site: Site) -> None:
    site = warm_site

    def fail_after_dns(pb: dict[str, Any]) -> None:
        at = next(i for i, s in enumerate(pb["steps"]) if "dns" in s)
        pb["steps"].insert(at + 1, {"name": "Smoke test", "ssh": {"host": "{{ to }}",
                                                                  "command": ["false"]}})

    site.edit_playbook("failover", fail_after_dns)
    p = site.run("failover", "--yes")
    assert p.returncode == 1
    assert "Smoke test: FAILED" in p.stdout
    assert "running rescue" in p.stdout
    assert "rescued" in p.stdout
    assert site.dns() == at(site.primary.address)
    assert site.state()["active"] == "primary"
    changes = events(site, "dns_change")
    assert [c["to"] for c in changes] == ["standby", "primary"]
    assert any("FAILED; the rescue puts back any DNS change the run made" in m
               for m in site.hook.messages())


def test_status_shows_the_active_host_and_last_run(warm_site: Site) -> None:
    site = warm_site
    assert site.run("check").returncode == 0
    p = site.run("status")
    assert p.returncode == 0
    assert "site shop.test: active host primary" in p.stdout
    assert "mirror webroot: pulled from primary" in p.stdout
    assert "last run:" in p.stdout
    assert "Warm a standby ok" in p.stdout


def test_rescue_never_moves_dns_the_run_did_not_change(site: Site) -> None:
    # someone set www's TTL by hand; the failover fails at its first step
    site.rig.pdns.set_records(ZONE, {("www", "A"): (120, [site.primary.address])})
    site.standby.stop_http()
    p = site.run("failover", "--yes")
    assert p.returncode == 1
    assert "this run changed no DNS; nothing to put back" in p.stdout
    rrsets = {(r["name"], r["type"]): r for r in site.rig.pdns.get_zone(ZONE)["rrsets"]}
    assert rrsets[("www." + ZONE, "A")]["ttl"] == 120
    assert not events(site, "dns_change")


def test_failback_brings_the_orders_home(warm_site: Site) -> None:
    site = warm_site
    # a command for the standby's own layout: `vars` stay the primary's (hosts.NAME.vars)
    site.edit(lambda inv: inv["hosts"]["standby"].update(vars={"start_shop": "echo at standby"}))
    assert site.run("failover", "--yes").returncode == 0
    assert site.dns() == at(site.standby.address)
    (site.standby.webroot / "orders.txt").write_text("order 1001\norder 1002\norder 2001\n")

    dry = site.run("failback", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert f"{ZONE} A 60: {site.standby.address} -> {site.primary.address}" in dry.stdout
    assert "would sync set webroot to primary" in dry.stdout
    assert "synced to" not in dry.stdout
    assert "~ orders.txt" in dry.stdout  # the pull from the standby, then the push home
    assert dry.stdout.count("~ orders.txt") == 2, dry.stdout
    assert "note: a real run would stop here: failback refused: primary has passed 0 of 5 " \
           "rounds in a row" in dry.stdout

    early = site.run("failback", "--yes")  # no round has seen the primary healthy yet
    assert early.returncode == 1, early.stdout + early.stderr
    assert "failback refused: primary has passed 0 of 5 rounds in a row " \
           "(policy.recovery_threshold)" in early.stderr
    assert site.dns() == at(site.standby.address)
    site.recovered("primary")
    p = site.run("failback", "--yes")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "done: run" in p.stdout
    assert site.dns() == at(site.primary.address)
    assert (site.primary.webroot / "orders.txt").read_text().endswith("order 2001\n")
    assert site.state()["active"] == "primary"
    assert [c["to"] for c in events(site, "dns_change")] == ["standby", "primary"]
    assert [e["detail"] for e in events(site, "step", action="ssh")] == [
        "ran on standby: echo at standby", "ran on primary: echo shop started"]


def test_without_auto_failover_in_the_inventory_a_person_decides(site: Site) -> None:
    site.edit(lambda inv: inv["policy"].pop("auto_failover"))
    site.primary.link_down()
    codes = [site.run("check").returncode for _ in range(4)]
    last = site.run("check")
    assert codes[-1] == 2, codes
    assert last.returncode == 2, last.stdout + last.stderr
    assert "failover needs a person: policy.auto_failover is false" in last.stdout
    assert site.dns() == at(site.primary.address)
    assert not events(site, "dns_change")
    assert site.state()["active"] == "primary"
