"""The sentences an interruption is told with, for outcomes the rig scenarios do not reach, and
the commands it proposes."""

from __future__ import annotations

from pathlib import Path

from failover.cli.interrupted import _next
from failover.engine.effects import Change, Effects, InterruptReport, dns_fact, facts


def test_dns_sentences() -> None:
    e = Effects(dns_to="standby", dns_zones=["a.example.", "b.example."])
    assert dns_fact(["a.example.", "b.example."], e, "primary") == \
        "DNS now points at standby (changed by this run)"
    assert dns_fact(["a.example."], e, "primary") == (
        "DNS SPLIT: zones a.example. now point at standby (changed by this run); b.example. "
        "unchanged")
    assert dns_fact([], Effects(), "primary") == "DNS unchanged (still primary)"
    restored = Effects(dns_to="standby", dns_restored=True)
    assert dns_fact([], restored, "primary") == \
        "DNS unchanged (changed by this run, then put back to primary)"


def test_failed_and_cut_changes() -> None:
    pull = Change("pull", "primary", "webroot")
    pull.end("failed", "ssh to primary failed")
    push = Change("push", "standby", "webroot")
    push.end("failed", "max_delete")
    hook = Change("webhook", "https://ads.example/...", "POST")
    ttl = Change("ttl", "", "set TTL 60s on 1 zone(s)")
    ttl.end("done")
    assert facts([pull, push, hook, ttl], ["standby", "spare"]) == [
        "mirror of webroot unchanged: the pull from primary failed (ssh to primary failed); it "
        "keeps its last good copy",
        "standby: the push of webroot failed (max_delete); its live files are as they were",
        "spare untouched",
        "webhook POST https://ads.example/... cut short (it may have been received)",
        "DNS TTLs: set TTL 60s on 1 zone(s)"]


def test_commands_to_finish_and_to_go_back() -> None:
    moved = InterruptReport(title="run R (Move)", where="during step 3/4 (x)", signal="Ctrl-C",
                            facts=[], journal=Path("/j"), run_id="R", dns_changed=True,
                            playbook="drill", from_="standby", to="spare", preferred="primary",
                            continue_at=3)
    finish, back = _next(moved, ["--inventory=/etc/shop/inv.yaml", "run", "drill"])
    assert finish.startswith("to finish: failover -i /etc/shop/inv.yaml run drill --to spare   "
                             "(continues run R at step 3")
    assert back == "to go back: failover -i /etc/shop/inv.yaml failover --to standby"
    sync = InterruptReport(title="sync", where="during x", signal="SIGTERM", facts=[],
                           rollback=[("webroot", "standby")])
    finish, back = _next(sync, ["sync", "webroot", "-y"])
    assert finish == "to finish: failover sync webroot -y   (a sync is safe to run again)"
    assert back == "to go back: failover sync --rollback webroot --host standby --yes"
