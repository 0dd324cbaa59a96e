"""Issue 14, resume: a run killed outright (SIGKILL: no handler, no journal end, the lock gone
with the process) is continued by `failover resume` to the same end as a run never killed; a
check round in between says CRITICAL and starts nothing."""

from __future__ import annotations

import json

from tests.scenarios.interrupting import journal, killed_after
from tests.site import Site, at

# (a run killed after each of its steps and resumed: the fault matrix, tests/faults)


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
