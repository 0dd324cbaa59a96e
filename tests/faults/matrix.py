"""The fault matrix (issue 17): every failure the rig can cause, what the tool must do about it.

Each row is one scenario in tests/faults/, marked `@pytest.mark.fault("<id>")`; it causes the
fault for real on the rig, runs the `failover` executable, asserts the expected outcome and counts
what was lost (tests/faults/ledger.py). tests/faults/table.py gathers the rows of a run into the
Markdown table that `make faults` prints and writes to docs/faults.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    id: str
    fault: str
    expected: str
    pending: str = ""  # why the row has no test yet (shown in the table)


ROWS = [
    Row("link-down", "primary link down (veth down)",
        "CRITICAL after failure_threshold rounds; failover to the standby; orders pushed from the "
        "last good mirror"),
    Row("http-hung", "primary web server hung (SIGSTOP) past the check timeout",
        "the probe is cut off by its own timeout; failover after the threshold"),
    Row("packet-loss", "30% packet loss on the primary (nft numgen random) for 50 rounds",
        "a flip only after failure_threshold failed rounds in a row, at most one, never back"),
    Row("flap-every-round", "primary failing every other round (down, up, down, up...)",
        "WARNING on failing rounds, no flip"),
    Row("flap-every-other", "primary down two rounds, up two rounds, and again",
        "WARNING on failing rounds, no flip"),
    Row("checker-offline", "checker offline (control targets unreachable), primary down",
        "UNKNOWN every round; no streak counted, no flip"),
    Row("all-hosts-down", "every host failing at once",
        "CRITICAL, failover blocked: no standby passed its checks; DNS untouched"),
    Row("standby-unhealthy", "standby unhealthy at failover time",
        "the run stops at its check step; DNS untouched; exit 1"),
    Row("standby-disk-full", "standby disk full during the push (a 1 MiB tmpfs)",
        "the push fails naming the full disk; the standby's tree stays whole; the run does not "
        "promote a standby that lacks the newest orders"),
    Row("standby-no-rsync", "standby's rsync missing",
        "the push falls back to SFTP; failover done"),
    Row("dns-500", "DNS API answering 500 to every write during the flip",
        "retried, then the run fails, rescue; DNS as it was; exit 1"),
    Row("dns-timeout", "DNS API not answering (past its timeout) during the flip",
        "retried, then the run fails, rescue; DNS as it was; exit 1"),
    Row("dns-garbage", "DNS API answering invalid JSON when the zone is read",
        "a clear message, no traceback; DNS as it was; exit 1"),
    Row("dns-wrong-types", "DNS API answering the managed records with the wrong type",
        "refused: DNS as it was, no traceback; exit 1"),
    Row("dns-second-zone", "the second of two zones failing its flip",
        "the first zone is put back: both zones as they were; exit 1"),
    Row("tsig-badtime", "TSIG clock skew (BADTIME) on an RFC 2136 flip",
        "a clear message naming the clock; zone unchanged; exit 1"),
    Row("ns-lagging", "a nameserver lagging during verify",
        "verify waits for it; failover done"),
    Row("ns-never", "a nameserver never converging during verify",
        "verify times out, rescue puts DNS back; exit 1"),
    Row("link-cut-mid-sync", "the standby's connection cut (TCP reset) in the middle of a push",
        "the sync fails; the standby never serves a half-updated tree; nothing lost"),
    Row("mirror-disk-full", "the mirror's disk full during the pull",
        "the sync fails; the mirror keeps its last good copy; nothing lost"),
    Row("state-corrupt", "the state file corrupted", "a clear message, exit 3/2, no traceback, "
        "no change"),
    Row("state-truncated", "the state file truncated", "a clear message, exit 3/2, no traceback, "
        "no change"),
    Row("state-old", "the state file from an older version", "read or refused with a clear "
        "message; no traceback, no half-done change"),
    Row("state-read-only", "the state folder read-only", "UNKNOWN/exit 1 with a clear message; "
        "no flip without a journal"),
    Row("kill-resume", "the orchestrator SIGKILLed after each step, then resumed",
        "`resume` ends where an uninterrupted run ends"),
    Row("two-runs", "two acting runs at once", "one runs, the other waits, then has nothing to "
        "do or gives up; DNS changed once"),
    Row("cron-and-manual", "a cron round and a manual failover at once",
        "they never interleave; DNS changed once"),
    Row("hostkey-standby-changed", "a changed host key on the standby",
        "the run stops, names the host; DNS untouched"),
    Row("hostkey-standby-unknown", "an unknown host key on the standby",
        "refused before the first step (exit 2)"),
    Row("hostkey-primary-changed", "a changed host key on the old primary during the "
        "ignore_errors sync", "the run stops despite ignore_errors; DNS untouched"),
    Row("hostkey-primary-unknown", "an unknown host key on the primary",
        "refused before the first step (exit 2)"),
    Row("old-primary-returns", "the old primary coming back after a failover",
        "fenced when it answers, stays demoted: never wins the site back"),
    Row("webhook-hangs", "a webhook that hangs", "the notify step gives up at its timeout; the "
        "failover is done"),
    Row("smtp-hangs", "an SMTP server that hangs", "the mail gives up at its deadline and is "
        "owed; the failover is done"),
    Row("down-and-dns-flaky", "primary down and the DNS API failing its first two attempts",
        "retried; failover done"),
    Row("down-and-standby-flaky", "primary down and the standby failing its checks on the first "
        "try", "blocked that round; failover done on the next"),
]

BY_ID = {row.id: row for row in ROWS}
