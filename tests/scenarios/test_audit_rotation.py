"""The audit log across rotated files (issue 13): `report` reads them all, and `report --verify`
names a line edited inside a rotated, compressed file."""

from __future__ import annotations

import gzip
import json

from failover.state.audit import AuditLog
from tests.site import Site


def test_verify_names_a_line_edited_in_a_rotated_file(warm_site: Site) -> None:
    site = warm_site
    p = site.run("failover", "--to", "standby", "--yes")  # an incident, in the first file
    assert p.returncode == 0, p.stdout + p.stderr
    # the log grows on: the same writer the tool uses, with a rotation size small enough to
    # rotate in a test (8 MB in use)
    log = AuditLog(site.state_dir, max_bytes=4000)
    for n in range(40):
        log.write("note", n=n, text="x" * 120)
    rotated = sorted(site.state_dir.glob("audit-*.jsonl.gz"))
    assert len(rotated) >= 2, rotated

    intact = site.run("report", "--verify")
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert intact.stdout.startswith("audit chain intact: "), intact.stdout
    doc = json.loads(site.run("--json", "report", "--format", "json").stdout)
    assert [i["to"] for i in doc["incidents"]] == ["standby"]  # read from the rotated file

    victim = rotated[-1]
    lines = gzip.decompress(victim.read_bytes()).decode().splitlines(keepends=True)
    lines[2] = lines[2].replace('"text": "x', '"text": "y', 1)
    victim.write_bytes(gzip.compress("".join(lines).encode()))
    broken = site.run("report", "--verify")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert broken.stdout.startswith(f"audit chain BROKEN: {victim}:3: "), broken.stdout
