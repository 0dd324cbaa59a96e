"""Fault rows: the state folder goes bad (corrupted, truncated, an older version, read-only).
Bad state is bad input: a clear message naming the file, a non-zero exit, no traceback, and no
half-done change (DNS, the hosts' files and the state file stay as they were)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.faults.conftest import RowRecord
from tests.faults.ledger import Ledger
from tests.site import Site, at


def untouched(site: Site, p: Any, before: bytes) -> None:
    out = p.stdout + p.stderr
    assert "Traceback" not in out, out
    assert site.dns() == at(site.primary.address)
    assert (site.state_dir / "state.json").read_bytes() == before


def bad_state(site: Site, data: bytes, row: RowRecord, what: str) -> None:
    """`check` (primary down, so a round would act) and `failover` refuse a bad state file."""
    ledger = Ledger(site)
    path = site.state_dir / "state.json"
    path.write_bytes(data)
    site.primary.stop_http()
    check = site.run("check")
    untouched(site, check, data)
    assert check.returncode == 3, check.stdout + check.stderr  # UNKNOWN: cannot judge
    assert check.stdout.startswith("FAILOVER UNKNOWN - "), check.stdout
    assert f"{path}" in check.stdout + check.stderr
    assert "move it aside" in check.stdout + check.stderr or \
        "move the file aside" in check.stdout + check.stderr, check.stdout + check.stderr
    manual = site.run("failover", "--yes")
    untouched(site, manual, data)
    assert manual.returncode == 2, manual.stdout + manual.stderr
    assert f"{path}" in manual.stderr, manual.stderr
    row.see(f"{what}: check UNKNOWN (exit 3), failover exit 2, both naming {path.name} and "
            "saying to move it aside; nothing changed")
    row.nothing_lost(ledger)


@pytest.mark.fault("state-corrupt")
def test_a_corrupted_state_file_is_refused_with_its_name(warm_site: Site, row: RowRecord) -> None:
    data = (warm_site.state_dir / "state.json").read_bytes()
    middle = len(data) // 2
    bad_state(warm_site, data[:middle] + b"\x00\xff garbage \x13" + data[middle + 14:], row,
              "bytes overwritten in the middle")


@pytest.mark.fault("state-truncated")
def test_a_truncated_state_file_is_refused_with_its_name(warm_site: Site,
                                                         row: RowRecord) -> None:
    data = (warm_site.state_dir / "state.json").read_bytes()
    bad_state(warm_site, data[: len(data) // 3], row, "cut at a third")


@pytest.mark.fault("state-old")
def test_a_state_file_from_the_first_version_is_read_and_acted_on(site: Site,
                                                                  row: RowRecord) -> None:
    """The state file as the first release wrote it (no ok_since, no demoted marks, no
    service keys): its streaks still count, so the round that makes 3 fails over."""
    ledger = Ledger(site)
    old = {"version": 1, "active": "primary", "last_round_at": 1796000000.0,
           "hosts": {"primary": {"fail": 2, "ok": 0, "down": False, "changed_at": None,
                                 "checks": {"storefront": {"fail": 2, "ok": 0,
                                                           "detail": "connection refused"}}},
                     "standby": {"fail": 0, "ok": 7, "down": False, "changed_at": None,
                                 "checks": {}}},
           "mirrors": {}, "last_flip": None, "last_run": None}
    site.state_dir.mkdir(exist_ok=True)
    (site.state_dir / "state.json").write_text(json.dumps(old))
    site.primary.stop_http()
    p = site.run("check")
    assert "Traceback" not in p.stdout + p.stderr
    assert p.returncode == 2, p.stdout + p.stderr
    assert "active host primary is down (3 failed rounds in a row)" in p.stdout, p.stdout
    assert "failover done" in p.stdout, p.stdout
    assert site.dns() == at(site.standby.address)
    assert site.state()["active"] == "standby"
    row.see("read: its streak of 2 counted, round 3 failed over (exit 2)")
    row.nothing_lost(ledger)


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """`path` as a read-only bind mount of itself (chmod does not stop root)."""
    subprocess.run(["mount", "--bind", str(path), str(path)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(path)], check=True)
        yield
    finally:
        subprocess.run(["umount", str(path)], check=True)


@pytest.mark.fault("state-read-only")
def test_a_read_only_state_folder_stops_any_action(warm_site: Site, row: RowRecord) -> None:
    site = warm_site
    ledger = Ledger(site)
    before = (site.state_dir / "state.json").read_bytes()
    site.primary.stop_http()
    with read_only(site.state_dir):
        check = site.run("check")
        manual = site.run("failover", "--yes")
    for p in (check, manual):
        untouched(site, p, before)
        assert "Read-only file system; the state folder must be writable" in p.stdout + p.stderr, \
            p.stdout + p.stderr
    assert check.returncode == 3, check.stdout + check.stderr
    assert manual.returncode == 1, manual.stdout + manual.stderr
    assert site.state()["active"] == "primary"
    row.see(f"check exit {check.returncode}, failover exit {manual.returncode}: "
            "`cannot open the lock file ...: Read-only file system`; no run, DNS untouched")
    row.nothing_lost(ledger)
