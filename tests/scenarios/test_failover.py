"""The issue's stories, through the real `failover` executable against the rig."""

from __future__ import annotations

import re
from typing import Any

from tests.scenarios.interrupting import processes
from tests.site import ZONE, Site, at


def events(site: Site, name: str, **match: Any) -> list[dict[str, Any]]:
    return [e for e in site.audit() if e["event"] == name
            and all(e.get(k) == v for k, v in match.items())]


def test_primary_link_down_fails_over_after_threshold(warm_site: Site) -> None:
    site = warm_site
    (site.standby.webroot / "orders.txt").unlink()  # the standby drifted; the mirror has it
    assert site.run("check").returncode == 0
    site.primary.link_down()

    first, second = site.run("check"), site.run("check")
    assert (first.returncode, second.returncode) == (1, 1), first.stdout + second.stdout
    assert "active host primary failing: 2 of 3 rounds" in second.stdout
    assert site.dns() == at(site.primary.address)

    third = site.run("-v", "check")
    assert third.returncode == 2, third.stdout + third.stderr
    assert "CRITICAL: active host primary is down (3 failed rounds in a row)" in third.stdout
    assert "failover done" in third.stdout
    status = third.stdout.splitlines()[0]  # the monitoring-plugin status line: what happened
    assert status.startswith("FAILOVER CRITICAL - active host primary is down (3 failed rounds "
                             "in a row); failed over to standby (run "), status
    assert " | 'primary_up'=0 'standby_up'=1 " in status
    # the round saw the primary's SSH port time out: the run does not wait for it again
    assert "warm-up: host=standby ssh=handed to the run" in third.stderr
    sync = events(site, "step", action="sync")[-1]
    assert (sync["status"], sync["data"]["pull"], sync["data"]["push"]["created"]) == \
        ("warning", None, ["orders.txt"])
    assert re.fullmatch(r"pull from primary skipped: its SSH port 22 did not answer in this "
                        r"round \(ssh: timeout after 2s\); pushed the last good mirror "
                        r"\(\d+ min old\)", sync["detail"]), sync["detail"]
    assert "pull primary -> mirror: skipped" in third.stdout
    assert not ssh_masters(site)
    assert site.dns() == at(site.standby.address)
    status, body = site.standby.get("/")
    assert status == 200
    assert "v2" in body.decode()
    assert (site.standby.webroot / "orders.txt").read_text() == "order 1001\norder 1002\n"
    assert site.state()["active"] == "standby"

    # the healthy round is counted in a `rounds` line; the failing ones are written in full
    assert [e["count"] for e in events(site, "rounds")] == [1]
    assert len(events(site, "round")) == 3
    assert [e["action"] for e in events(site, "decision")] == ["none", "none", "failover"]
    steps = [(e["action"], e["status"]) for e in events(site, "step")]
    assert ("sync", "warning") in steps  # pull from the dead primary failed; mirror pushed
    assert ("dns", "ok") in steps
    assert ("dns_verify", "ok") in steps
    assert len(events(site, "dns_change")) == 1
    assert any("moved from primary to standby" in m for m in site.hook.messages())

    again = site.run("check")
    assert again.returncode == 1, again.stdout  # WARNING: the old primary, now a standby, is down
    assert "standby primary unhealthy" in again.stdout
    assert len(events(site, "dns_change")) == 1
    assert site.dns() == at(site.standby.address)


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


def test_unhealthy_standby_is_never_made_active_by_check(site: Site) -> None:
    site.standby.stop_http()
    site.primary.link_down()
    codes = [site.run("check").returncode for _ in range(3)]
    last = site.run("check")
    assert codes[-1] == 2
    assert last.returncode == 2
    assert "failover blocked: no standby passed its checks this round" in last.stdout
    assert site.dns() == at(site.primary.address)
    assert site.state()["active"] == "primary"


def test_dns_step_refuses_a_target_that_fails_its_checks_in_the_same_run(site: Site) -> None:
    # a playbook without a check step: the dns step checks the target itself
    site.edit_playbook("failover", lambda pb: pb["steps"].pop(0))
    site.standby.stop_http()
    p = site.run("failover", "--yes")
    assert p.returncode == 1
    assert "standby failed its checks: storefront" in p.stdout
    assert site.dns() == at(site.primary.address)
    assert site.state()["active"] == "primary"


def test_offline_checker_exits_unknown_and_changes_nothing(site: Site) -> None:
    site.edit(lambda inv: inv.update(control_targets=["tcp://127.0.0.1:1", "tcp://127.0.0.1:2"]))
    site.primary.link_down()
    for _ in range(4):
        p = site.run("check")
        assert p.returncode == 3, p.stdout + p.stderr
        assert "UNKNOWN: checker offline" in p.stdout
        assert p.stdout.startswith("FAILOVER UNKNOWN - checker offline: no control target answers")
    assert site.dns() == at(site.primary.address)
    assert site.state().get("hosts", {}) == {}
    assert not events(site, "dns_change")


def test_changed_host_key_stops_the_run_and_names_the_host(site: Site) -> None:
    with site.standby.wrong_host_key():
        p = site.run("failover", "--yes")
    assert p.returncode == 1
    out = p.stdout + p.stderr
    assert "host key" in out
    assert "standby" in out
    assert site.standby.address in out
    assert site.dns() == at(site.primary.address)
    assert "v1" in (site.standby.webroot / "index.html").read_text()
    assert site.state()["active"] == "primary"


def test_unknown_host_key_stops_the_run_before_it_starts(site: Site) -> None:
    known = site.dir / "known_hosts"
    known.write_text("".join(line for line in site.rig.known_hosts.read_text().splitlines(True)
                             if not line.startswith(site.standby.address)))
    p = site.run("failover", "--yes", FAILOVER_KNOWN_HOSTS=str(known))
    assert p.returncode == 2  # the inventory cannot work: refused before the first step
    assert f"no host key for standby ({site.standby.address}) in {known}" in p.stderr
    assert site.dns() == at(site.primary.address)
    assert not list(site.state_dir.glob("runs/*.json"))


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
    assert any("FAILED; DNS put back" in m for m in site.hook.messages())


def test_two_checks_at_once_change_dns_once(warm_site: Site) -> None:
    site = warm_site
    site.primary.link_down()
    assert [site.run("check").returncode for _ in range(2)] == [1, 1]
    a, b = site.popen("check"), site.popen("check")
    outs = [p.communicate(timeout=180) for p in (a, b)]
    codes = sorted(p.returncode for p in (a, b))
    assert codes in ([1, 2], [2, 2], [2, 3]), (codes, outs)
    assert len(events(site, "dns_change")) == 1
    assert site.dns() == at(site.standby.address)


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
