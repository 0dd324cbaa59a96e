"""Blocked automation pages a person, through the real executable on the rig: every case where
the active host is down and automation does not act reaches the webhook once per window and
reason, says why and gives the exact command that overrides it; the audit records each page."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shlex
import subprocess
import time
from typing import Any

from tests.scenarios.test_monitoring import status_line
from tests.site import FAILOVER, Site, at


def pages(site: Site) -> list[dict[str, Any]]:
    return [e for e in site.audit() if e["event"] == "page"]


def seed_state(site: Site, **state: Any) -> None:
    site.state_dir.mkdir(parents=True, exist_ok=True)
    (site.state_dir / "state.json").write_text(json.dumps({"active": "primary", **state}))


def override(message: str) -> list[str]:
    """The command a page names (between backticks), as argv for the rig's executable."""
    m = re.search(r"`(failover [^`]+)`", message)
    assert m, message
    argv = shlex.split(m.group(1))
    return [FAILOVER, *argv[1:]]


def test_cooldown_blocked_failover_pages_once_with_the_command_that_overrides_it(
        warm_site: Site) -> None:
    site = warm_site
    site.edit(lambda inv: inv["policy"].update(cooldown="30m"))
    # a person moved the site back to the primary a minute ago
    seed_state(site, last_flip={"at": time.time() - 60, "from": "standby", "to": "primary",
                                "run_id": "20240101T000000Z-0000"})
    site.primary.stop_http()
    runs = [site.run("check") for _ in range(5)]
    assert [p.returncode for p in runs] == [1, 1, 2, 2, 2], [p.stdout for p in runs]
    first = runs[2].stdout
    assert first.startswith("FAILOVER CRITICAL - active host primary is down (3 failed rounds "
                            "in a row); failover blocked: cooldown for "), first
    assert "paged (cooldown): sent to 1 of 1 notify channel(s)" in first
    assert "page (cooldown) not repeated" in runs[4].stdout
    quiet = site.run("check", "-q")  # CRITICAL in the Monitoring Plugins form, alone
    assert quiet.returncode == 2
    assert len(quiet.stdout.splitlines()) == 1, quiet.stdout
    status, text, perf = status_line(quiet.stdout)
    assert (status, text.split(";")[0]) == ("CRITICAL", "active host primary is down (6 failed "
                                                        "rounds in a row)")
    assert (perf["primary_up"]["value"], perf["standby_up"]["value"]) == ("0", "1")
    assert (perf["primary_failed_rounds"]["value"], perf["primary_failed_rounds"]["crit"]) == (
        "6", "3")
    assert site.dns() == at(site.primary.address)

    messages = site.hook.messages()
    assert len(messages) == 1, messages  # three blocked rounds, one message
    command = f"failover failover --to standby --yes -i {site.inventory}"
    assert f"`{command}`" in messages[0]
    assert "failover blocked: cooldown for" in messages[0]
    assert [(p["reason"], p["channels"], p["failures"]) for p in pages(site)] == [
        ("cooldown", 1, [])]

    done = subprocess.run(override(messages[0]), env=site.env, capture_output=True, text=True,
                          timeout=180, check=False, cwd="/")
    assert done.returncode == 0, done.stdout + done.stderr  # the command works as given
    assert site.dns() == at(site.standby.address)


def test_max_flips_blocked_failover_pages_once(warm_site: Site) -> None:
    site = warm_site
    site.edit(lambda inv: inv["policy"].update(cooldown=0, max_auto_failovers=1,
                                               auto_failover_window="24h"))
    seed_state(site, auto_flips=[time.time() - 3600])  # one automatic flip an hour ago
    site.primary.stop_http()
    codes = [site.run("check").returncode for _ in range(6)]
    assert codes == [1, 1, 2, 2, 2, 2]
    assert site.dns() == at(site.primary.address)
    messages = site.hook.messages()
    assert len(messages) == 1, messages  # four blocked rounds, one message
    assert "automatic failover blocked: 1 automatic flip(s) in the last 24h" in messages[0]
    assert f"`failover failover --to standby --yes -i {site.inventory}`" in messages[0]
    assert [p["reason"] for p in pages(site)] == ["max_auto_failovers"]


def test_no_healthy_standby_pages(site: Site) -> None:
    site.primary.stop_http()
    site.standby.stop_http()  # both still answer ssh: the checker is not the one offline
    codes = [site.run("check").returncode for _ in range(4)]
    assert codes == [1, 1, 2, 2]
    messages = site.hook.messages()
    assert len(messages) == 1, messages
    assert "no standby passed its checks this round" in messages[0]
    assert f"`failover failover --to standby --yes -i {site.inventory}`" in messages[0]
    assert [p["reason"] for p in pages(site)] == ["no_healthy_standby"]


def test_auto_failover_off_pages_once_per_incident(site: Site) -> None:
    site.edit(lambda inv: inv["policy"].update(auto_failover=False, recovery_threshold=1))
    site.primary.stop_http()
    assert [site.run("check").returncode for _ in range(4)] == [1, 1, 2, 2]
    assert len(site.hook.messages()) == 1
    assert "policy.auto_failover is false" in site.hook.messages()[0]

    site.primary.start_http()  # the incident is over: the next one pages afresh
    assert site.run("check").returncode == 0
    assert not (site.state_dir / "pages.json").exists() or \
        json.loads((site.state_dir / "pages.json").read_text()) == {}
    site.primary.stop_http()
    assert [site.run("check").returncode for _ in range(3)] == [1, 1, 2]
    assert len(site.hook.messages()) == 2, site.hook.messages()
    assert [p["reason"] for p in pages(site)] == ["auto_failover_off"] * 2


def test_lock_held_past_wait_pages_and_never_writes_state(site: Site) -> None:
    site.edit(lambda inv: inv["policy"].update(auto_failover=False))
    site.primary.stop_http()
    assert [site.run("check").returncode for _ in range(3)] == [1, 1, 2]  # down, by policy
    assert len(site.hook.messages()) == 1  # auto_failover_off

    state = (site.state_dir / "state.json").read_bytes()
    fd = os.open(site.state_dir / "lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a run that hangs (and says who it is, as runs do)
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    try:
        blocked = [site.run("check", "--wait", "0") for _ in range(3)]
        assert (site.state_dir / "state.json").read_bytes() == state  # the holder's file
    finally:
        os.close(fd)
    assert [p.returncode for p in blocked] == [3, 3, 3]
    assert blocked[0].stdout.startswith("FAILOVER UNKNOWN - another failover run holds ")
    assert "paged (lock_held)" in blocked[0].stderr
    messages = site.hook.messages()
    assert len(messages) == 2, messages  # once for the lock, whatever the rounds
    assert f"(pid {os.getpid()})" in messages[1]
    assert "active host primary is down (by the last round)" in messages[1]
    assert f"`failover failover --to standby --yes -i {site.inventory}`" in messages[1]
    assert [p["reason"] for p in pages(site)] == ["auto_failover_off", "lock_held"]


def test_a_page_no_channel_took_is_tried_again_next_round(site: Site) -> None:
    site.edit(lambda inv: inv["policy"].update(auto_failover=False))
    site.hook.status = 503  # the chat service is having a bad day too
    site.primary.stop_http()
    runs = [site.run("check") for _ in range(4)]
    assert [p.returncode for p in runs] == [1, 1, 2, 2]
    assert "page (auto_failover_off) FAILED on every channel" in runs[2].stdout
    assert "trying again next round" in runs[2].stdout
    assert len(site.hook.received) == 2  # rounds 3 and 4 both tried
    site.hook.status = 200
    runs = [site.run("check") for _ in range(2)]
    assert "paged (auto_failover_off): sent to 1 of 1" in runs[0].stdout
    assert "page (auto_failover_off) not repeated" in runs[1].stdout
    assert len(site.hook.received) == 3
    assert [(p["reason"], len(p["failures"])) for p in pages(site)] == [
        ("auto_failover_off", 1), ("auto_failover_off", 1), ("auto_failover_off", 0)]
    (site.state_dir / "pages.json").write_text("{not json")  # damaged: paging wins
    p = site.run("check")
    assert "paged (auto_failover_off)" in p.stdout, p.stdout + p.stderr
    assert "page marks unreadable" in p.stderr
    assert len(site.hook.received) == 4
