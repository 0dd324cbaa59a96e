"""Issue 14, resume: a run killed outright (SIGKILL: no handler, no journal end, the lock gone
with the process) is continued by `failover resume` to the same end as a run never killed; a
check round in between says CRITICAL and starts nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.scenarios.interrupting import journal, killed_after
from tests.site import Site, at

STEPS = ["Standby serves the shop", "Last content sync (best effort, the old host may be gone)",
         "Start the shop on the standby", "Point DNS at the standby",
         "Every nameserver answers with the standby",
         "Fence the old host (best effort; it stays demoted either way)", "Tell the team"]



def events(site: Site, name: str) -> list[dict[str, Any]]:
    return [e for e in site.audit() if e["event"] == name]


@pytest.mark.parametrize("done", range(1, 7), ids=lambda n: f"after-{n}-{STEPS[n - 1][:12]}")
def test_a_killed_failover_is_resumed_to_the_same_end(warm_site: Site, done: int) -> None:
    site = warm_site
    site.hook.delay = 2.0 if done == 6 else 0.0  # a slow chat service: the kill lands mid-POST
    if done in (3, 4, 5):  # the steps after the flip take milliseconds: a slow fence keeps the
        # run alive until the kill lands (the kill was seen to miss it under load)
        site.edit(lambda inv: inv["fence"].append("sleep 2"))
    run_id = killed_after(site, done)
    site.hook.delay = 0.0
    assert journal(site)["status"] == "running"  # nothing wrote its end

    status = site.run("status")
    assert f"UNFINISHED: run {run_id} (Fail over to a standby: primary -> standby) did not " \
           "finish (it died); last completed step: step " in status.stdout, status.stdout
    starts = len(events(site, "run_start"))
    check = site.run("check")  # the lock died with the process: the round runs, and holds back
    assert check.returncode == 2, check.stdout + check.stderr
    assert check.stdout.startswith(f"FAILOVER CRITICAL - run {run_id} "), check.stdout
    assert f"`failover resume {run_id}`" in check.stdout
    assert len(events(site, "run_start")) == starts  # no new run

    resumed = site.run("resume", "--yes")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"run {run_id}: Fail over to a standby: continuing at step " in resumed.stdout
    assert f"[{done}/7]" not in resumed.stdout  # the finished steps are not run again
    assert "every nameserver answers" in resumed.stdout  # the run's timeline, at its end

    # the end of a run never killed
    assert site.dns() == at(site.standby.address)
    primary = {k: v for k, v in site.tree(site.primary.webroot).items() if k != ".maintenance"}
    assert site.tree(site.standby.webroot) == primary
    state = site.state()
    assert state["active"] == "standby"
    assert state["last_run"]["id"] == run_id
    assert state["last_run"]["status"] == "ok"
    assert state["demoted"]["primary"]["fenced"] is True
    assert (site.primary.webroot / ".maintenance").exists()
    moved = [m for m in site.hook.messages() if "moved from primary to standby" in m]
    resumed = (f"shop.test moved from primary to standby (run {run_id}) (resumed after an "
               "interruption)")
    if done < 6:
        assert moved == [resumed]
    else:  # killed while telling the team: if the chat service already had the POST (it cannot
        # be taken back) the team hears twice, and the second says it comes from a resumed run;
        # if the kill came first, the resumed message is the only one
        assert moved[-1] == resumed
        assert moved[:-1] in ([], [resumed.removesuffix(" (resumed after an interruption)")])
        # every copy carries the same id: a receiver that keeps the ids it saw can drop a repeat
        ids = {r["body"]["id"] for r in site.hook.received
               if "moved from primary to standby" in r["body"]["text"]}
        assert len(ids) == 1
        assert ids.pop().startswith(f"{run_id}:")
    assert "UNFINISHED" not in site.run("status").stdout
    assert site.run("check").returncode == 0


def test_a_run_killed_after_its_last_step_is_closed_without_repeating_it(warm_site: Site
                                                                          ) -> None:
    site = warm_site
    assert site.run("failover", "--yes").returncode == 0
    # a power loss after the last step's record, before the run's end: the journal as it
    # was then (the window is microseconds wide: no signal lands in it on purpose)
    path = sorted(site.state_dir.glob("runs/*.json"))[-1]
    data = json.loads(path.read_text())
    data.update(status="running", finished_at=None)
    path.write_text(json.dumps(data))
    run_id = data["id"]
    status = site.run("status")
    assert "last completed step: step 7 (Tell the team)" in status.stdout, status.stdout
    told = len(site.hook.messages())

    resumed = site.run("resume", "--yes")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"run {run_id}: Fail over to a standby: all 7 steps were done before the " \
           "interruption; closing the run" in resumed.stdout
    assert "continuing at step" not in resumed.stdout
    assert "[7/7]" not in resumed.stdout
    assert len(site.hook.messages()) == told  # the team was told once, before the kill
    assert journal(site)["status"] == "ok"
    assert site.state()["last_run"]["status"] == "ok"
    assert "UNFINISHED" not in site.run("status").stdout


def test_abandon_runs_the_rescue_and_puts_dns_back(warm_site: Site) -> None:
    site = warm_site
    run_id = killed_after(site, 5)  # DNS moved, fence running
    assert site.dns() == at(site.standby.address)
    p = site.run("resume", "--abandon", run_id, "--yes")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "[rescue 1/2] Put DNS back: OK" in p.stdout
    assert f"abandoned: run {run_id}; active host: primary" in p.stdout
    assert site.dns() == at(site.primary.address)
    assert journal(site)["status"] == "abandoned"
    again = site.run("resume", "--yes")
    assert (again.returncode, again.stdout.strip()) == (0, "no unfinished run; nothing to resume")


def test_resume_names_what_it_cannot_do(site: Site) -> None:
    p = site.run("resume", "20990101T000000Z-0000", "--yes")
    assert p.returncode == 2
    assert "RUN_ID: no run '20990101T000000Z-0000' in " in p.stderr
