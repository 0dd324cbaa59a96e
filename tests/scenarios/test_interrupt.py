"""Ctrl-C and SIGTERM at many points of a run: exit 130, never a traceback, and last lines that
are true to what DNS, the mirror and the standby hold (checked against the rig), the team told
when DNS had moved, and the same command finishing the run."""

from __future__ import annotations

import json
import signal
from typing import Any

import pytest

from tests.scenarios.interrupting import (
    journal,
    new_files,
    remote_command,
    report,
    running,
    slow_push,
    wait_until,
)
from tests.site import ZONE, Site, at


def events(site: Site, name: str) -> list[dict[str, Any]]:
    return [e for e in site.audit() if e["event"] == name]


def interrupt(proc: Any, sig: int = signal.SIGINT) -> tuple[str, str]:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert "Traceback" not in err, err
    return out, err


def slow_step_after_dns(pb: dict[str, Any]) -> None:
    i = next(i for i, s in enumerate(pb["steps"]) if "dns" in s)
    pb["steps"].insert(i + 1, {"name": "Warm the caches",
                               "ssh": {"host": "{{ to }}", "command": ["sleep", "60"]}})


def test_ctrl_c_mid_run_exits_130_and_journals_it(site: Site) -> None:
    def slow_start(pb: dict[str, Any]) -> None:
        step = next(s for s in pb["steps"] if "ssh" in s)
        step["ssh"]["command"] = ["sleep", "30"]

    site.edit_playbook("failover", slow_start)
    proc = site.popen("failover", "--yes")
    wait_until(proc, "the ssh step's command", remote_command(site, "sleep 30",
                                                              running(site, action="ssh")))
    _, err = interrupt(proc)
    lines = report(err)
    assert lines[0].endswith("interrupted by Ctrl-C during step 3/7 (Start the shop on the "
                             "standby)"), err
    assert "DNS unchanged (still primary)" in lines
    assert "standby: `sleep 30` was cut short (its ssh session was closed; it may have done " \
           "part of its work)" in lines
    assert journal(site)["status"] == "interrupted"
    assert [s["status"] for s in journal(site)["steps"]][-1] == "running"
    assert site.dns() == at(site.primary.address)  # stopped before the flip
    assert site.hook.received == []  # DNS did not move: nobody is paged
    again = site.run("check", "--wait", "0")  # the lock died with the process
    assert again.returncode == 0, again.stdout + again.stderr


def test_ctrl_c_during_the_sync_step_tells_what_the_mirror_and_standby_hold(site: Site) -> None:
    slow_push(site)
    before = site.tree(site.standby.webroot)
    pushing = new_files(site.standby.webroot)
    proc = site.popen("failover", "--yes")
    wait_until(proc, "the push to the standby", pushing)
    _, err = interrupt(proc)

    lines = report(err)
    assert lines[0].endswith("interrupted by Ctrl-C during step 2/7 (Last content sync (best "
                             "effort, the old host may be gone))"), err
    assert lines[1:4] == [
        "DNS unchanged (still primary)",
        "mirror of webroot updated from primary",
        "standby: the push of webroot was cut short; its live files are as they were (a push "
        "puts its changes in place only when it completes)"]
    inventory = str(site.inventory)
    assert lines[-2:] == [
        f"to finish: failover -i {inventory} failover --to standby --yes   (runs it again from "
        "the start; every step is safe to repeat)",
        "to go back: nothing to put back (DNS was not moved)"]
    # ... and that is what the rig holds
    assert site.dns() == at(site.primary.address)
    assert "v3" in (site.state_dir / "mirror" / "webroot" / "index.html").read_text()
    assert site.tree(site.standby.webroot) == before  # nothing new, nothing half-done
    assert "v2" in (site.standby.webroot / "index.html").read_text()
    assert site.hook.received == []
    assert f"journal: {site.state_dir / 'runs' / journal(site)['id']}.json" in lines

    site.edit(lambda inv: inv["sync"][0].pop("bwlimit"))  # (only to keep the test short)
    again = site.run("-i", inventory, "failover", "--to", "standby", "--yes")
    assert again.returncode == 0, again.stdout + again.stderr
    assert site.dns() == at(site.standby.address)
    assert (site.standby.webroot / "catalog.bin").stat().st_size == 256 * 12_000
    assert "v3" in (site.standby.webroot / "index.html").read_text()


def test_ctrl_c_right_after_the_dns_step_says_dns_moved_and_tells_the_team(site: Site) -> None:
    site.edit_playbook("failover", slow_step_after_dns)
    proc = site.popen("failover", "--yes")
    wait_until(proc, "the step after the flip", remote_command(
        site, "sleep 60", running(site, name="Warm the caches")))
    _, err = interrupt(proc)

    lines = report(err)
    run_id = journal(site)["id"]
    assert lines[0] == (f"failover: run {run_id} (Fail over to a standby) interrupted by Ctrl-C "
                        "during step 5/8 (Warm the caches)")
    assert lines[1:6] == [
        "DNS now points at standby (changed by this run)",
        "mirror of webroot updated from primary",
        "standby: webroot pushed",
        "standby: ran `echo shop started`",
        "standby: `sleep 60` was cut short (its ssh session was closed; it may have done part "
        "of its work)"]
    assert lines[6] == ("not done: 5/8 Warm the caches, 6/8 Every nameserver answers with the "
                        "standby, 7/8 Fence the old host (best effort; it stays demoted either "
                        "way), 8/8 Tell the team")
    assert lines[7] == "the team was told that DNS moved (notify: 1 channel(s))"
    inv = site.inventory
    assert lines[-2] == (f"to finish: failover -i {inv} failover --to standby --yes   (continues "
                         f"run {run_id} at step 5; the interrupted run did the steps before it)")
    assert lines[-1] == f"to go back: failover -i {inv} failback --yes"
    # the rig agrees
    assert site.dns() == at(site.standby.address)
    assert site.tree(site.standby.webroot) == site.tree(site.primary.webroot)
    assert site.state()["active"] == "standby"
    [told] = site.hook.messages()
    assert f"run {run_id} (Fail over to a standby, primary -> standby) was INTERRUPTED" in told
    assert "DNS now points at standby (changed by this run)" in told
    [note] = [e for e in events(site, "notify") if e.get("about") == "run_interrupted"]
    assert note["failures"] == []
    [audited] = events(site, "run_interrupted")
    assert audited["dns"] == {"zones": [ZONE], "to": "standby"}

    # the same command finishes it: the run goes on from the step that was cut short
    site.edit_playbook("failover", lambda pb: pb["steps"][4]["ssh"].update(command=["true"]))
    again = site.run("failover", "--yes")
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"run {run_id}: Fail over to a standby: continuing at step 5/8" in again.stdout
    assert "[5/8] Warm the caches: OK" in again.stdout
    assert "[2/8]" not in again.stdout  # no sync toward the host that is live now
    assert journal(site)["status"] == "ok"
    assert site.hook.messages()[-1].startswith("shop.test moved from primary to standby")
    assert site.dns() == at(site.standby.address)


@pytest.mark.parametrize(("sig", "name"), [(signal.SIGINT, "Ctrl-C"), (signal.SIGTERM, "SIGTERM")],
                         ids=["sigint", "sigterm"])
def test_interrupted_during_dns_verify(site: Site, sig: int, name: str) -> None:
    # a second nameserver that never answers: verification waits (up to its 1 min timeout)
    site.edit(lambda inv: inv["dns"][0]["nameservers"].append("127.0.0.1:9"))
    proc = site.popen("--json", "failover", "--yes")
    wait_until(proc, "dns_verify", running(site, action="dns_verify"))
    out, err = interrupt(proc, sig)

    lines = report(err)
    assert lines[0].endswith(f"interrupted by {name} during step 5/7 (Every nameserver answers "
                             "with the standby)"), err
    assert "DNS now points at standby (changed by this run)" in lines
    doc = json.loads(out)  # --json: one document on stdout, the same facts
    assert doc["interrupted"] is True
    assert doc["signal"] == name
    assert doc["dns_changed"] is True
    assert doc["facts"][0] == "DNS now points at standby (changed by this run)"
    assert site.dns() == at(site.standby.address)
    assert journal(site)["status"] == "interrupted"
    assert f"INTERRUPTED by {name}" in site.hook.messages()[0]


def test_sigterm_while_check_acts(warm_site: Site) -> None:
    site = warm_site
    site.edit(lambda inv: inv["policy"].update(failure_threshold=1))
    site.edit_playbook("failover", slow_step_after_dns)
    site.primary.link_down()
    proc = site.popen("check")
    wait_until(proc, "the step after the flip", running(site, name="Warm the caches"))
    _, err = interrupt(proc, signal.SIGTERM)

    lines = report(err)
    assert "interrupted by SIGTERM during step 5/8 (Warm the caches)" in lines[0]
    assert "DNS now points at standby (changed by this run)" in lines
    # the round saw the primary's SSH give no answer: the pull was skipped, not waited for
    assert any(line.startswith("mirror of webroot unchanged: the pull from primary was skipped "
                               "(its SSH port 22 did not answer in this round")
               for line in lines), lines
    assert lines[-2].startswith(f"to finish: failover -i {site.inventory} failover --to standby "
                                "  (continues run")
    assert site.dns() == at(site.standby.address)
    assert journal(site)["status"] == "interrupted"
    assert len(site.state()["auto_flips"]) == 1  # the automatic flip counts
    assert "INTERRUPTED by SIGTERM" in site.hook.messages()[-1]
