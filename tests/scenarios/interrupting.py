"""Helpers for the interruption scenarios: reach a known point of a run, then send a signal.

The points are made deterministic by what the run itself shows, never by sleeps: the journal
file (the step in progress), a host's files (rsync's temp file while a push is running), the
mirror, or the prompt on stderr.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.site import FAILOVER, PAGE, Site


def last_step(site: Site) -> dict[str, Any] | None:
    """The newest step record of the newest journal (None before the first step)."""
    runs = sorted(site.state_dir.glob("runs/*.json"))
    if not runs:
        return None
    try:
        steps = json.loads(runs[-1].read_text())["steps"]
    except ValueError:  # never half-written (atomic), but be safe while polling
        return None
    return steps[-1] if steps else None


def journal(site: Site) -> dict[str, Any]:
    """The newest journal (run ids sort by their start time)."""
    runs = sorted(site.state_dir.glob("runs/*.json"))
    assert runs, f"no journal in {site.state_dir}"
    data: dict[str, Any] = json.loads(runs[-1].read_text())
    return data


def wait_until(proc: subprocess.Popen[str], what: str, ready: Callable[[], bool],
               timeout: float = 90) -> None:
    """Poll `ready` until it holds; fail if the process ends first or the deadline passes."""
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"the run ended before {what}:\n{out}{err}")
        assert time.monotonic() < deadline, f"never reached: {what}"
        time.sleep(0.02)


def running(site: Site, **match: Any) -> Callable[[], bool]:
    def check() -> bool:
        step = last_step(site)
        return step is not None and step["status"] == "running" and all(
            step.get(k) == v for k, v in match.items())
    return check


def remote_command(site: Site, command: str, then: Callable[[], bool]) -> Callable[[], bool]:
    """`then` holds and a process in one of this site's rig hosts runs exactly `command` (the
    ssh step's command is running on the host: the run has begun it, not just entered its
    step). Only this rig's namespaces are searched: a rig running beside it on the same machine
    runs the same commands."""
    def runs_here() -> bool:
        for host in site.rig.hosts.values():
            pids = subprocess.run(["ip", "netns", "pids", host.namespace], capture_output=True,
                                  text=True, check=False).stdout.split()
            for pid in pids:
                try:
                    argv = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
                except OSError:  # gone since it was listed
                    continue
                if b" ".join(argv).decode(errors="replace") == command:
                    return True
        return False

    return lambda: then() and runs_here()


def new_files(root: Path) -> Callable[[], bool]:
    """True once `root` holds a path it did not hold now (e.g. rsync's `.name.XXXXXX`)."""
    def paths() -> set[Path]:
        return set(root.rglob("*"))

    before = paths()
    return lambda: bool(paths() - before)


def slow_push(site: Site) -> None:
    """Mirror and standby in sync with a 3 MB file, then the standby loses it, the primary gets a
    new page, and transfers are limited to 64 KiB/s: the next pull is quick (one small file),
    the push that follows is slow (the big file again), so a signal lands inside the push."""
    (site.primary.webroot / "catalog.bin").write_bytes(bytes(range(256)) * 12_000)
    p = site.run("sync", "--yes")
    assert p.returncode == 0, p.stdout + p.stderr
    (site.standby.webroot / "catalog.bin").unlink()
    (site.primary.webroot / "index.html").write_text(PAGE.format("v3"))
    site.edit(lambda inv: inv["sync"][0].update(bwlimit=64))


def report(err: str) -> list[str]:
    """The last lines of stderr: the interruption report (from its `failover: ` line on)."""
    lines = err.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("failover: ")]
    assert starts, err
    return [line.strip() for line in lines[starts[-1]:]]


def killed_after(site: Site, done: int, *options: str) -> str:
    """Start a failover (with `options`), SIGKILL its whole process group once step `done` has
    finished (the next one has begun), as a power loss of the machine would; return the run's
    id."""
    proc = subprocess.Popen([FAILOVER, "-i", str(site.inventory), "failover", "--to",
                             "standby", "--yes", *options], env=site.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    wait_until(proc, f"step {done + 1}", running(site, index=done, phase="steps"))
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # the ssh connection masters run in sessions of their own (Ctrl-C must not reach them):
    # they outlive a killed process; the machine that lost power loses them too
    for pid, text in processes():
        if "ControlMaster=yes" in text and any(f"@{host.address}" in text
                                               for host in (site.primary, site.standby)):
            os.kill(pid, signal.SIGKILL)
    return str(journal(site)["id"])


def processes() -> list[tuple[int, str]]:
    """(pid, command line) of every process of this machine."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = b" ".join(cmdline.read_bytes().split(b"\0")).decode(errors="replace")
        except OSError:  # ended meanwhile
            continue
        found.append((int(cmdline.parent.name), text))
    return found
