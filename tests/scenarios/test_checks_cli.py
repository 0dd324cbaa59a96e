"""Issue 3's stories through the real `failover` executable: warnings that never fail over, the
checker's own problems (UNKNOWN), max_auto_failovers, the Prometheus file, `watch` and SIGTERM."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.rig import tls
from tests.site import Site, at


def events(site: Site, name: str) -> list[dict[str, Any]]:
    return [e for e in site.audit() if e["event"] == name]


def set_checks(site: Site, *checks: dict[str, Any], **policy: Any) -> None:
    def change(inv: dict[str, Any]) -> None:
        inv["checks"] = list(checks)
        inv["policy"].update(policy)
    site.edit(change)


STOREFRONT = {"name": "storefront", "type": "http", "url": "http://shop.test/",
              "expect_body": "Add to cart", "timeout": "1s"}


def test_an_expiring_certificate_warns_and_never_fails_over(site: Site) -> None:
    https = {"name": "tls", "type": "http", "timeout": "2s",
             "url": f"https://shop.test:{tls.HTTPS_EXPIRING_PORT}/",
             "ca_file": str(tls.ca_file(site.rig.dir)), "cert_min_days": 14}
    set_checks(site, STOREFRONT, https, failure_threshold=1)
    for _ in range(2):
        p = site.run("check")
        assert p.returncode == 1, p.stdout + p.stderr
        assert "WARNING: primary/tls: TLS certificate for shop.test expires in" in p.stdout
    assert site.dns() == at(site.primary.address)
    assert [e["action"] for e in events(site, "decision")] == ["none", "none"]
    assert not site.state()["hosts"]["primary"]["down"]


def test_every_host_failing_at_once_is_unknown_and_nothing_moves(site: Site) -> None:
    set_checks(site, STOREFRONT)
    site.primary.stop_http()
    site.standby.stop_http()
    for _ in range(4):  # past failure_threshold: still nothing counted, nothing done
        p = site.run("check")
        assert p.returncode == 3, p.stdout + p.stderr
        assert "UNKNOWN: every host failed every check at once" in p.stdout
    assert site.dns() == at(site.primary.address)
    assert {e["action"] for e in events(site, "decision")} == {"none"}
    assert site.state()["hosts"] == {}


def test_a_usage_error_in_check_is_unknown(site: Site) -> None:
    for args in (("check", "--bogus"), ("check", "--wait", "soon"), ("watch", "--interval", "x")):
        p = site.run(*args)
        assert p.returncode == 3, (args, p.stdout, p.stderr)
        assert "Traceback" not in p.stderr


def test_max_auto_failovers_then_blocked_pages_and_exits_2(warm_site: Site) -> None:
    site = warm_site
    site.edit(lambda inv: inv["policy"].update(cooldown=0, recovery_threshold=1,
                                               max_auto_failovers=1,
                                               auto_failover_window="24h"))
    site.primary.stop_http()
    codes = [site.run("check").returncode for _ in range(3)]
    assert codes == [1, 1, 2]
    assert site.dns() == at(site.standby.address)  # the one automatic flip allowed

    site.primary.start_http()  # the primary comes back, then the standby dies
    # the old primary was fenced and demoted; a person looked and lets automation use it again
    assert site.run("promote", "primary", "--yes").returncode == 0
    site.standby.stop_http()
    runs = [site.run("check") for _ in range(4)]
    assert [p.returncode for p in runs] == [1, 1, 2, 2], [p.stdout for p in runs]
    assert "automatic failover blocked: 1 automatic flip(s) in the last 24h" in runs[2].stdout
    assert "failover failover --to primary" in runs[2].stdout
    assert site.dns() == at(site.standby.address)  # blocked: nothing moved back
    pages = [m for m in site.hook.messages() if "automatic failover blocked" in m]
    assert len(pages) == 1  # paged once, not every round
    assert len(site.state()["auto_flips"]) == 1
    status = site.run("status")
    assert "automatic flips in the last 24h: 1 of 1; the next automatic failover is BLOCKED" \
        in status.stdout, status.stdout


def test_prom_file_parses_and_has_the_metrics(site: Site, tmp_path: Path) -> None:
    prom = tmp_path / "textfile" / "failover.prom"
    site.standby.stop_http()
    p = site.run("check", "--prom-file", str(prom))
    assert p.returncode == 1, p.stdout + p.stderr
    families = {f.name: f for f in text_string_to_metric_families(prom.read_text())}
    assert {"failover_check_up", "failover_check_latency_seconds", "failover_host_down",
            "failover_active", "failover_round_timestamp_seconds"} <= set(families)
    up = {(s.labels["host"], s.labels["check"]): s.value
          for s in families["failover_check_up"].samples}
    assert up == {("primary", "storefront"): 1, ("primary", "ssh"): 1,
                  ("standby", "storefront"): 0, ("standby", "ssh"): 1}
    active = {s.labels["host"]: s.value for s in families["failover_active"].samples}
    assert active == {"primary": 1, "standby": 0}
    assert oct(prom.stat().st_mode & 0o777) == "0o644"
    assert [f.name for f in prom.parent.iterdir()] == ["failover.prom"]  # no temp file left


def test_watch_finishes_the_round_on_sigterm_and_releases_the_lock(site: Site) -> None:
    slow = {**STOREFRONT, "timeout": "2s"}
    set_checks(site, slow)
    site.standby.link_down()  # each round waits 2 s for the standby: SIGTERM lands mid-round
    proc = site.popen("-v", "watch", "--interval", "1s")
    assert proc.stderr is not None
    seen: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        seen.append(line)
        if "round started: n=2" in line:
            break
    else:
        proc.kill()
        raise AssertionError("".join(seen))
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, "".join(seen) + err
    assert "stopping: signal=SIGTERM after the current round" in err
    assert "round finished: n=2" in err
    assert "round started: n=3" not in err
    assert site.rounds() == 2
    state = site.state()
    assert state["last_round_at"] is not None
    assert state["hosts"]["standby"]["fail"] == 2
    fd = os.open(site.state_dir / "lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if watch still held it
    finally:
        os.close(fd)
    assert out.count("storefront") >= 4  # a table per round


def test_watch_json_prints_one_document_per_round(site: Site) -> None:
    p = site.run("--json", "watch", "--interval", "1s", "--rounds", "2")
    assert p.returncode == 0, p.stderr
    docs = [json.loads(line) for line in p.stdout.splitlines()]
    assert [d["status"] for d in docs] == ["OK", "OK"]


def test_watch_skips_a_round_while_another_run_holds_the_lock(site: Site) -> None:
    site.state_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(site.state_dir / "lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as a person's `failover run` would
    try:
        proc = site.popen("-v", "watch", "--interval", "1s", "--wait", "0", "--rounds", "3")
        assert proc.stderr is not None
        seen: list[str] = []
        while not seen or (seen[-1] and "round skipped: n=1" not in seen[-1]):
            seen.append(proc.stderr.readline())
        assert "round skipped: n=1" in seen[-1], "".join(seen)
    finally:
        os.close(fd)  # releases the lock: the next rounds run
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, "".join(seen) + err
    assert "round finished: n=3" in err
    assert site.rounds() == 2  # the first round skipped, the other two recorded
