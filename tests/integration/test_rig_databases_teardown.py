"""A rig with its database servers running leaves nothing behind: ``python -m tests.rig down``
stops them from another process, and ``clean`` kills them after a crash of the rig's owner."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rig import Rig
from tests.rig.proc import proc_starttime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def processes_using(path: Path) -> list[str]:
    """Command lines of live processes that name ``path``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and proc_starttime(int(entry.name)) is not None:
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if f"{path}/" in cmdline:
                found.append(cmdline)
    return found


@pytest.fixture
def spare_rig(rig: Rig) -> Iterator[tuple[Path, list[str]]]:
    """A second rig (own prefix, /24 and ports) started by ``python -m tests.rig up``. Its /24
    is the next one: xdist workers' rigs sit two apart (tests/conftest.py), so the one after
    this worker's belongs to no other worker."""
    a, b, c = rig.network.net.split(".")
    identity = ["--prefix", f"{rig.network.prefix}d", "--net", f"{a}.{b}.{(int(c) + 1) % 256}"]
    base = Path(tempfile.mkdtemp(prefix="failover-rig-"))
    up = subprocess.run([sys.executable, "-m", "tests.rig", "up", str(base), *identity,
                         "--dns-port", str(free_port()), "--api-port", str(free_port())],
                        capture_output=True, text=True, timeout=120, check=False)
    assert up.returncode == 0, up.stderr
    try:
        yield base, identity
    finally:
        subprocess.run([sys.executable, "-m", "tests.rig", "clean", str(base), *identity],
                       capture_output=True, timeout=120, check=False)
        shutil.rmtree(base, ignore_errors=True)


def start_databases(base: Path) -> Rig:
    spare = Rig.attach(base)
    spare.start_databases()
    assert len(processes_using(base)) > 4  # sshd, http... and mariadbd, postgres per host
    assert {d.engine for d in spare.database_servers if d.running()} == {"mariadb", "postgresql"}
    return spare


def reap(spare: Rig) -> None:
    """The servers are this process's children: collect them once another process killed them."""
    for d in spare.database_servers:
        if d.proc.popen is not None:
            d.proc.popen.wait(timeout=30)


def test_down_stops_the_database_servers(spare_rig: tuple[Path, list[str]]) -> None:
    base, _ = spare_rig
    spare = start_databases(base)
    down = subprocess.run([sys.executable, "-m", "tests.rig", "down", str(base)],
                          capture_output=True, text=True, timeout=120, check=False)
    reap(spare)
    assert down.returncode == 0, down.stderr
    assert processes_using(base) == []
    assert spare.network.leftovers() == []
    assert not base.exists()


def test_clean_kills_the_database_servers_of_a_crashed_rig(
    spare_rig: tuple[Path, list[str]],
) -> None:
    base, identity = spare_rig
    spare = start_databases(base)
    (base / "rig-state.json").unlink()  # as if the owner died before recording anything
    clean = subprocess.run([sys.executable, "-m", "tests.rig", "clean", str(base), *identity],
                           capture_output=True, text=True, timeout=120, check=False)
    reap(spare)
    assert clean.returncode == 0, clean.stderr
    assert processes_using(base) == []
    assert spare.network.leftovers() == []
