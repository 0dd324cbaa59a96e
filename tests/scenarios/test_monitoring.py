"""`check` as a monitoring plugin, through the real executable on the rig: the status line first
(Monitoring Plugins form, with perfdata), `-q`, UNKNOWN rounds that still say why on stdout and
in the Prometheus file (checked by the real `promtool`), and global options after the command."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.site import FAILOVER, Site

# Monitoring Plugins Development Guidelines: 'label'=value[UOM];[warn];[crit];[min];[max]
PERF = re.compile(r"'(?P<label>[^'=]+)'=(?P<value>-?\d+(?:\.\d+)?)(?P<uom>us|ms|s|%|B|KB|MB|TB|c)?"
                  r"(?:;(?P<warn>[-@~:.\d]*))?(?:;(?P<crit>[-@~:.\d]*))?"
                  r"(?:;(?P<min>[-.\d]*))?(?:;(?P<max>[-.\d]*))?")
STATUS = re.compile(r"FAILOVER (?P<status>OK|WARNING|CRITICAL|UNKNOWN) - (?P<text>[^|\n]+?)"
                    r"(?: \| (?P<perf>[^\n]+))?")


def status_line(stdout: str) -> tuple[str, str, dict[str, dict[str, Any]]]:
    """(status, text, perfdata by label) of stdout's first line; fails unless it is well formed."""
    first = stdout.splitlines()[0] if stdout else ""
    m = STATUS.fullmatch(first)
    assert m, f"not a monitoring-plugin status line: {first!r}"
    perf: dict[str, dict[str, Any]] = {}
    for item in (m["perf"] or "").split():
        p = PERF.fullmatch(item)
        assert p, f"perfdata {item!r} does not follow the guidelines"
        perf[p["label"]] = p.groupdict()
    return m["status"], m["text"], perf


def promtool(path: Path) -> None:
    """The real `promtool check metrics` (Debian package prometheus) accepts the file."""
    tool = shutil.which("promtool")
    assert tool, "promtool missing: `make setup` installs the Debian package prometheus"
    p = subprocess.run([tool, "check", "metrics"], input=path.read_text(), capture_output=True,
                       text=True, timeout=60, check=False)
    assert (p.returncode, p.stdout + p.stderr) == (0, ""), path.read_text()


def metrics(path: Path) -> dict[str, list[Any]]:
    return {f.name: f.samples for f in text_string_to_metric_families(path.read_text())}


def test_status_line_first_then_the_table(site: Site) -> None:
    p = site.run("check")
    assert p.returncode == 0, p.stdout + p.stderr
    status, text, perf = status_line(p.stdout)
    assert (status, text) == ("OK", "active host primary healthy")
    assert perf["primary_up"]["value"] == "1"
    assert perf["standby_up"]["value"] == "1"
    assert (perf["primary_failed_rounds"]["value"], perf["primary_failed_rounds"]["crit"]) == (
        "0", "3")  # crit = policy.failure_threshold
    assert perf["primary_storefront_seconds"]["uom"] == "s"
    assert perf["round_seconds"]["uom"] == "s"
    assert perf["control_targets_up"]["value"] == "1"
    assert p.stdout.splitlines()[1].startswith("HOST ")  # then the details


def test_warning_and_quiet_leaves_only_the_status_line(site: Site) -> None:
    site.standby.stop_http()
    p = site.run("check", "-q")  # -q after the command, as README's cron line has it
    assert p.returncode == 1, p.stdout + p.stderr
    assert len(p.stdout.splitlines()) == 1, p.stdout
    status, text, perf = status_line(p.stdout)
    assert (status, text) == ("WARNING", "standby standby unhealthy")
    assert (perf["primary_up"]["value"], perf["standby_up"]["value"]) == ("1", "0")
    assert p.stderr == ""

    watch = site.run("watch", "--interval", "1s", "--rounds", "2", "-q")
    assert watch.returncode == 0, watch.stdout + watch.stderr
    lines = watch.stdout.splitlines()
    assert len(lines) == 2, watch.stdout  # the same status line, once per round
    assert all(status_line(line)[0] == "WARNING" for line in lines)


def test_checker_offline_is_unknown_on_stdout_and_in_the_prom_file(site: Site,
                                                                   tmp_path: Path) -> None:
    prom = tmp_path / "textfile" / "failover.prom"
    site.edit(lambda inv: inv.update(control_targets=["tcp://127.0.0.1:1"]))
    p = site.run("check", "--prom-file", str(prom))
    assert p.returncode == 3, p.stdout + p.stderr
    status, text, perf = status_line(p.stdout)
    assert status == "UNKNOWN"
    assert text.startswith("checker offline: no control target answers")
    assert perf["control_targets_up"]["value"] == "0"
    promtool(prom)
    m = metrics(prom)
    assert [s.value for s in m["failover_status"]] == [3]
    assert [(s.labels, s.value) for s in m["failover_unknown_reason"]] == [
        ({"reason": "checker_offline"}, 1)]
    assert len(m["failover_check_up"]) == 4  # the checks ran: their results are there


def test_a_bad_inventory_is_unknown_and_still_writes_the_prom_file(site: Site,
                                                                   tmp_path: Path) -> None:
    prom = tmp_path / "failover.prom"
    site.inventory.write_text(site.inventory.read_text().replace("policy:", "polcy:"))
    p = site.run("check", "--prom-file", str(prom))
    assert p.returncode == 3, p.stdout + p.stderr
    assert p.stdout.startswith("FAILOVER UNKNOWN - ")
    assert len(p.stdout.splitlines()) == 1
    _, text, _ = status_line(p.stdout)
    assert "polcy: unknown key" in text
    assert "polcy: unknown key" in p.stderr  # the details, as ever, on stderr
    promtool(prom)
    m = metrics(prom)
    assert [s.value for s in m["failover_status"]] == [3]
    assert [s.labels["reason"] for s in m["failover_unknown_reason"]] == ["inventory"]
    assert m["failover_round_timestamp_seconds"][0].value > 0

    js = site.run("--json", "check")
    assert js.returncode == 3
    assert json.loads(js.stdout)["status"] == "UNKNOWN"


def test_lock_held_is_unknown_writes_the_prom_file_and_leaves_state_alone(site: Site,
                                                                          tmp_path: Path) -> None:
    prom = tmp_path / "failover.prom"
    assert site.run("check").returncode == 0
    state = (site.state_dir / "state.json").read_bytes()
    fd = os.open(site.state_dir / "lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as a person's `failover run` would
    try:
        p = site.run("check", "--wait", "0", "--prom-file", str(prom))
    finally:
        os.close(fd)
    assert p.returncode == 3, p.stdout + p.stderr
    status, text, _ = status_line(p.stdout)
    assert status == "UNKNOWN"
    assert text.startswith("another failover run holds ")
    assert (site.state_dir / "state.json").read_bytes() == state
    promtool(prom)
    m = metrics(prom)
    assert [s.labels["reason"] for s in m["failover_unknown_reason"]] == ["lock_held"]
    active = {s.labels["host"]: s.value for s in m["failover_active"]}
    assert active == {"primary": 1, "standby": 0}  # what state.json knows


def test_a_normal_round_passes_promtool(site: Site, tmp_path: Path) -> None:
    prom = tmp_path / "failover.prom"
    assert site.run("check", "--prom-file", str(prom)).returncode == 0
    promtool(prom)
    assert "failover_unknown_reason" not in metrics(prom)


def test_usage_error_is_unknown_on_stdout_and_in_the_prom_file(site: Site,
                                                               tmp_path: Path) -> None:
    prom = tmp_path / "failover.prom"
    p = site.run("check", "--prom-file", str(prom), "--bogus")
    assert p.returncode == 3
    assert p.stdout.startswith("FAILOVER UNKNOWN - usage error: No such option '--bogus'")
    assert "Traceback" not in p.stderr
    promtool(prom)  # a cron line broken by a typo shows as status 3, not as a stale file
    m = metrics(prom)
    assert [s.value for s in m["failover_status"]] == [3]
    assert [s.labels["reason"] for s in m["failover_unknown_reason"]] == ["usage"]
    prom.unlink()
    p = site.run("watch", f"--prom-file={prom}", "--interval", "often")
    assert (p.returncode, p.stdout.split(" - ")[0]) == (3, "FAILOVER UNKNOWN"), p.stderr
    assert [s.value for s in metrics(prom)["failover_status"]] == [3]


# every command, with the global options after it: (argv, what stdout's JSON holds)
COMMANDS = [
    (["validate"], "valid"),
    (["check", "--no-act"], "status"),
    (["watch", "--interval", "1s", "--rounds", "1"], "status"),
    (["status"], "active"),
    (["dns", "show"], "points_at"),
    (["dns", "diff", "--to", "standby"], "changes"),
    (["sync", "--dry-run"], "transfers"),
    (["failover", "--dry-run"], "run"),
    (["run", "failover", "--to", "standby", "--dry-run"], "run"),
    (["report"], "incidents"),
]


@pytest.mark.parametrize(("argv", "key"), COMMANDS, ids=[" ".join(c[0][:2]) for c in COMMANDS])
def test_global_options_after_the_command(site: Site, tmp_path: Path, argv: list[str],
                                          key: str) -> None:
    elsewhere = tmp_path / "elsewhere"  # no inventory.yaml here: only -i finds it
    elsewhere.mkdir()
    p = subprocess.run([FAILOVER, *argv, "--json", "-vv", "-i", str(site.inventory)],
                       cwd=elsewhere, env=site.env, capture_output=True, text=True, timeout=120,
                       check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    assert key in json.loads(p.stdout)
    assert "DEBUG failover.config.load: loaded: inventory=" in p.stderr  # -vv


def test_the_last_global_option_wins(site: Site, tmp_path: Path) -> None:
    wrong = tmp_path / "nope.yaml"
    p = site.run("-q", "check", "--no-act", "-v", "-i", str(wrong), "-i", str(site.inventory))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "INFO " in p.stderr  # -v came last
    assert len(p.stdout.splitlines()) > 1
    p = site.run("-v", "check", "--no-act", "-q")
    assert p.returncode == 0
    assert p.stderr == ""  # -q came last
    assert len(p.stdout.splitlines()) == 1
    p = site.run("dns", "-i", str(wrong), "show", "-i", str(site.inventory))  # a group's too
    assert p.returncode == 0, p.stderr
