"""Docs that run (2 of 2): every `failover` command line and crontab line that README.md and
docs/*.md show (tests/doclines.py finds them) runs on the rig with the shipped inventory
(tests/site.py), the docs' own words with only the placeholders below mapped, and does what a
user expects: its exit code, its status line, DNS where it should be. And `make demo`'s drill."""

from __future__ import annotations

import json
import os
import pty
import re
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from failover.cli.main import COMMANDS
from tests.cliparse import parse
from tests.demo import drill
from tests.doclines import REDIRECT, DocLine, find, strip_sudo
from tests.rig import Rig
from tests.scenarios.interrupting import killed_after
from tests.site import FAILOVER, REPO, ZONE, Site

# The program as the docs name it -> the executable under test. (`sudo -u failover` in front of
# a command is dropped: the tests run as root.)
PROGRAM = {
    "failover": FAILOVER,                        # on a user's PATH: the venv's here
    "/opt/failover/bin/failover": FAILOVER,      # docs/cron.md's install
}


def placeholders(site: Site, out: Path) -> dict[str, str]:
    """The docs' placeholders and production paths in a command's arguments -> the rig's values,
    word for word."""
    return {
        "/etc/failover/inventory.yaml": str(site.inventory),
        "INVENTORY": str(site.inventory),
        "HOST": "standby",
        "SET": "webroot",
        "PLAN_ID": "0" * 16,  # a plan no dry run gave
        "PATH": str(out / "metrics.prom"),
        "/var/lib/node_exporter/textfile/failover.prom": str(out / "failover.prom"),
        "/var/log/failover/check.log": str(out / "check.log"),
        # README's `failover init` example: its shop, hosts, user, key, files and API
        "shop.example": "shop.test",
        "ovh-gra=203.0.113.10": f"primary={site.primary.address}",
        "scw-par=198.51.100.20": f"standby={site.standby.address}",
        "deploy": "root",
        "~/.ssh/failover_ed25519": str(site.rig.client_key),
        "/var/www/shop/": f"{site.primary.webroot}/",
        "http://127.0.0.1:8081": site.rig.pdns.api_url,
    }


def unique(found: list[DocLine]) -> list[DocLine]:
    """One run per distinct command (`failover validate` is shown four times)."""
    seen: dict[str, DocLine] = {}
    for line in found:
        if line.kind in ("failover", "crontab"):
            seen.setdefault(line.text, line)
    return list(seen.values())


RUNS = unique(find(REPO, set(COMMANDS)).lines)


@dataclass(frozen=True)
class Expect:
    """What a user sees from a command on the rig (the site on primary, both hosts healthy)."""

    code: int = 0
    at: str = "primary"                               # where DNS points afterwards
    status: bool = False                              # check and watch: FAILOVER OK first
    before: Callable[[Site], None] | None = None      # the situation the command is for
    then: Callable[[Site], None] | None = None        # what it did, beyond DNS
    after: Callable[[Site], None] | None = None       # clean-up, also after a failure
    service: bool = False                             # runs until SIGTERM (watch)


def expect(path: tuple[str, ...], params: dict[str, Any]) -> Expect:
    """The rule for each command the docs show; a command with no rule fails the test."""
    match path:
        case ("validate",) | ("status",) | ("dns", "show") | ("dns", "diff"):
            return Expect()
        case ("schema",) | ("completion",) | ("help",) | ("doctor",):
            return Expect()
        case ("coordination", "status"):  # the shipped site has one checker: a usage error;
            return Expect(code=2)  # tests/scenarios/test_coordination.py runs it on etcd
        case ("init",):
            return Expect(before=new_site, then=site_written)
        case ("check",):
            return Expect(status=True)
        case ("watch",):
            return Expect(status=True, service=True)
        case ("failover",) if params["approve"]:  # an id no dry run gave: refused
            return Expect(code=1)
        case ("failover",):
            return Expect(at="primary" if params["dry_run"] else params["to"] or "standby")
        case ("failback",):  # for when the site is on a standby
            return Expect(at="standby" if params["dry_run"] else "primary",
                          before=failed_over_and_recovered)
        case ("resume",) if params["abandon"]:  # a failover killed after its DNS step
            return Expect(before=lambda site: killed_after(site, 4))
        case ("resume",):  # a failover killed during its sync step
            return Expect(at="standby", before=lambda site: killed_after(site, 1))
        case ("promote",):  # after a failover: the old primary is demoted
            return Expect(at="standby", before=failed_over, then=nothing_demoted)
        case ("sync",) if params["rollback"]:
            return Expect(before=two_releases, then=previous_release_live, after=plain_webroot)
        case ("sync",):
            return Expect(then=None if params["dry_run"] else standby_has_the_shop)
        case ("rehearse",):  # a drill: the standby warmed, DNS (canary included) as it was
            return Expect(then=rehearsed)
        case ("report",):  # for after an incident
            return Expect(at="standby", before=failed_over, then=one_incident_reported)
    raise AssertionError(f"no rule for `failover {' '.join(path)}`: add one to expect()")


def new_site(site: Site) -> None:
    """A folder with no inventory yet (init never replaces one without --force)."""
    site.inventory.unlink()
    shutil.rmtree(site.dir / "playbooks")


def site_written(site: Site) -> None:
    assert site.inventory.read_text().startswith("# yaml-language-server: $schema=")
    assert (site.dir / "known_hosts").is_file()
    assert (site.dir / "playbooks" / "failover.yaml").is_file()


def failed_over(site: Site) -> None:
    p = site.run("failover", "--to", "standby", "--yes")
    assert p.returncode == 0, p.stdout + p.stderr


def failed_over_and_recovered(site: Site) -> None:
    """Failed over, and the primary seen healthy since by enough rounds to fail back to it."""
    failed_over(site)
    site.recovered("primary")


def nothing_demoted(site: Site) -> None:
    assert site.state()["demoted"] == {}


def one_incident_reported(site: Site) -> None:
    p = site.run("report", "--json")
    assert p.returncode == 0, p.stdout + p.stderr
    assert [i["to"] for i in json.loads(p.stdout)["incidents"]] == ["standby"]


def two_releases(site: Site) -> None:
    """webroot atomic, pushed twice: a previous release to roll back to."""
    site.edit(lambda inv: inv["sync"][0].update(atomic=True))
    for version in ("v3", "v4"):
        (site.primary.webroot / "index.html").write_text(f"<button>Add to cart</button> {version}")
        p = site.run("sync", "--yes")
        assert p.returncode == 0, p.stdout + p.stderr


def previous_release_live(site: Site) -> None:
    assert "v3" in (site.standby.webroot / "index.html").read_text()


def standby_has_the_shop(site: Site) -> None:
    assert site.tree(site.standby.webroot) == site.tree(site.primary.webroot)


def rehearsed(site: Site) -> None:
    standby_has_the_shop(site)
    assert site.rig.pdns.query("failover-drill." + ZONE) == []
    assert [e["readiness"] for e in site.audit() if e["event"] == "rehearsal"] == ["ready"]


def plain_webroot(site: Site) -> None:
    www = site.standby.webroot
    if www.is_symlink():
        live = www.resolve()
        www.unlink()
        shutil.copytree(live, www, symlinks=True)
    shutil.rmtree(f"{www}.releases", ignore_errors=True)


@pytest.mark.parametrize("line", RUNS, ids=lambda line: line.id)
def test_runs_on_the_rig(line: DocLine, site: Site, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    table = placeholders(site, out)
    program, *args = strip_sudo(line.argv)
    argv = [PROGRAM[program], *(table.get(w, w) for w in args)]
    path, params = parse(argv[1:])
    rule = expect(path, params)
    if rule.before:
        rule.before(site)
    try:
        if line.kind == "crontab":
            p = as_cron(site, line.shell, table)
        elif rule.service:
            p = as_service(site, argv, params)
        elif "yes" in params and not params["yes"] and not params.get("dry_run"):
            p = on_terminal(site, argv)  # it asks: answer yes, as the on-call engineer would
        else:
            p = subprocess.run(argv, cwd=site.dir, env=site.env, capture_output=True, text=True,
                               timeout=180, stdin=subprocess.DEVNULL, check=False)
        said = p.stdout + p.stderr
        assert p.returncode == rule.code, said
        assert "Traceback" not in said
        if rule.status:
            assert p.stdout.startswith("FAILOVER OK - "), said
        if "-q" in argv or "--quiet" in argv:  # the status line alone (cron's log: one a round)
            assert len(said.splitlines()) == 1, said
        if params.get("prom_file"):
            assert "failover_status 0.0" in params["prom_file"].read_text()
        address = site.rig.hosts[rule.at].address
        assert site.dns() == {ZONE: [address], "www." + ZONE: [address]}
        if rule.then:
            rule.then(site)
    finally:
        if rule.after:
            rule.after(site)


def as_cron(site: Site, shell: str, table: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The crontab line's command part through /bin/sh, as cron runs it; what its redirections
    write is part of what it said."""
    program, *args = shlex.split(shell)
    words, targets = [shlex.quote(PROGRAM[program])], []
    for w in args:
        if (m := REDIRECT.fullmatch(w)) and not m["target"].startswith("&"):
            targets.append(Path(table.get(m["target"], m["target"])))
            words.append(m["fd"] + m["op"] + shlex.quote(str(targets[-1])))
        else:
            words.append(w if REDIRECT.fullmatch(w) else shlex.quote(table.get(w, w)))
    p = subprocess.run(["/bin/sh", "-c", " ".join(words)], cwd=site.dir, env=site.env,
                       capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
                       check=False)
    logged = "".join(t.read_text() for t in targets)
    return subprocess.CompletedProcess(p.args, p.returncode, p.stdout + logged, p.stderr)


def as_service(site: Site, argv: list[str], params: dict[str, Any]) -> subprocess.CompletedProcess[
        str]:
    """Started, left to finish a round, then stopped as `systemctl stop` does (SIGTERM)."""
    proc = subprocess.Popen(argv, cwd=site.dir, env=site.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        prom: Path | None = params.get("prom_file")
        deadline = time.monotonic() + 120
        while not (any(e["event"] in ("round", "rounds") for e in site.audit())
                   and (prom is None or prom.exists())):
            assert proc.poll() is None, "it stopped on its own"
            assert time.monotonic() < deadline, "no round in 120 s"
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    # the one line SIGTERM is meant to log, and nothing else
    assert re.fullmatch(r"WARNING \S+: stopping: signal=SIGTERM after the current round\n",
                        stderr), stderr
    return subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)


def on_terminal(site: Site, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run with a terminal on stdin that answers `y` to the confirmation; the question is asked."""
    terminal, tty = pty.openpty()
    try:
        proc = subprocess.Popen(argv, cwd=site.dir, env=site.env, stdin=tty,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finally:
        os.close(tty)
    try:
        os.write(terminal, b"y\n")
        stdout, stderr = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        os.close(terminal)
    assert "[y/N]" in stderr, stderr
    return subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)


def test_make_demo_runs_its_drill(host_reset: Rig, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    """README's first command: `make demo` is `make setup` and this drill on a rig of its own."""
    assert drill(host_reset, tmp_path) == 0
    assert "DRILL PASSED" in capsys.readouterr().out
