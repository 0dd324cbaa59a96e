"""SyncReport: what a pull or push shows to humans and to --json."""

from __future__ import annotations

import json

from failover.sync.report import SyncReport


def report(**changes: object) -> SyncReport:
    base: dict[str, object] = {"set": "webroot", "direction": "push", "host": "standby",
                               "dry_run": True, "created": [], "updated": [], "deleted": [],
                               "bytes_sent": 0, "files_transferred": 0}
    return SyncReport(**{**base, **changes})  # type: ignore[arg-type]


def test_lines_mark_created_updated_deleted() -> None:
    r = report(created=["index.html", "img/"], updated=["style.css"], deleted=["old.html"],
               warnings=["some source files vanished"])
    assert r.lines() == ["+ index.html", "+ img/", "~ style.css", "- old.html",
                         "! some source files vanished"]
    assert r.summary() == "would push webroot to standby: 2 created, 1 updated, 1 deleted"
    assert r.changed


def test_no_changes() -> None:
    r = report(direction="pull", host="primary", dry_run=False)
    assert r.lines() == ["no changes"]
    assert r.summary() == "pull webroot from primary: no changes"
    assert not r.changed


def test_to_json_is_plain_data() -> None:
    r = report(created=["a"], bytes_sent=10, files_transferred=1)
    data = json.loads(json.dumps(r.to_json()))
    assert data == {"set": "webroot", "direction": "push", "host": "standby", "dry_run": True,
                    "created": ["a"], "updated": [], "deleted": [], "bytes_sent": 10,
                    "files_transferred": 1, "bytes_received": 0, "warnings": [],
                    "transport": "rsync"}
