"""Ctrl-C in the middle of a run: exit 130, the journal says where it stopped, the lock is free."""

from __future__ import annotations

import json
import signal
import time
from typing import Any

from tests.site import Site


def test_ctrl_c_mid_run_exits_130_and_journals_it(site: Site) -> None:
    def slow_start(pb: dict[str, Any]) -> None:
        step = next(s for s in pb["steps"] if "ssh" in s)
        step["ssh"]["command"] = ["sleep", "30"]

    site.edit_playbook("failover", slow_start)
    proc = site.popen("failover", "--yes")
    deadline = time.monotonic() + 60
    journal = None
    while time.monotonic() < deadline:  # wait until the run is inside the ssh step
        runs = sorted(site.state_dir.glob("runs/*.json"))
        if runs:
            journal = json.loads(runs[0].read_text())
            if any(s["action"] == "ssh" for s in journal["steps"]):
                break
        time.sleep(0.05)
    assert journal is not None, "the run never reached its ssh step"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert "interrupted" in err
    journal = json.loads(runs[0].read_text())
    assert journal["status"] == "interrupted"
    assert [s["status"] for s in journal["steps"]][-1] == "running"
    assert site.dns()["www.shop.test."] == [site.primary.address]  # stopped before the flip
    again = site.run("check", "--wait", "0")  # the lock died with the process
    assert again.returncode in (0, 1), again.stdout + again.stderr
