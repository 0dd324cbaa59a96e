"""Issue 14, fencing: the old host is fenced over SSH when it answers, stays demoted, never wins
the site back on its own, and a person (`promote`) or a completed failback clears the mark."""

from __future__ import annotations

import subprocess
from typing import Any

from tests.site import FAILOVER, Site, at


def events(site: Site, name: str) -> list[dict[str, Any]]:
    return [e for e in site.audit() if e["event"] == name]


def eager_failback(inv: dict[str, Any]) -> None:
    """Automation free to fail back at once: only the demoted mark can hold it."""
    inv["policy"].update(auto_failback=True, cooldown="0s", max_auto_failovers=10,
                         recovery_threshold=2, failback_after="0s")


def test_a_reachable_old_host_is_fenced_at_once_and_a_failback_clears_the_mark(
        warm_site: Site) -> None:
    site = warm_site
    p = site.run("failover", "--to", "standby", "--yes")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Fence the old host (best effort; it stays demoted either way): OK" in p.stdout
    assert (site.primary.webroot / ".maintenance").exists()
    assert not (site.standby.webroot / ".maintenance").exists()
    mark = site.state()["demoted"]["primary"]
    assert mark["fenced"] is True
    assert mark["why"].startswith("lost the site in run ")
    check = site.run("check")
    assert check.returncode == 0, check.stdout  # fenced: nothing for a person to do
    assert "not fenced" not in check.stdout

    site.recovered("primary")
    back = site.run("failback", "--yes")
    assert back.returncode == 0, back.stdout + back.stderr
    assert site.state()["demoted"] == {}
    assert [e["host"] for e in events(site, "undemote")] == ["primary"]


def test_promote_refuses_an_unknown_host_and_says_when_there_is_nothing_to_do(site: Site) -> None:
    p = site.run("promote", "nosuch", "--yes")
    assert p.returncode == 2
    assert "unknown host 'nosuch'; hosts: primary, standby" in p.stderr
    p = site.run("promote", "primary", "--yes")
    assert (p.returncode, p.stdout.strip()) == (0, "primary is not demoted; nothing to do")


def test_failback_waits_for_a_healthy_preferred_host_and_auto_failback_for_its_window(
        warm_site: Site) -> None:
    site = warm_site
    site.edit(eager_failback)
    site.edit(lambda inv: inv["policy"].update(failback_after="1h"))
    assert site.run("failover", "--to", "standby", "--yes").returncode == 0
    site.primary.stop_http()  # the preferred host still fails its checks
    assert site.run("check").returncode == 1
    refused = site.run("failback", "--yes")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "failback refused: primary has passed 0 of 2 rounds in a row" in refused.stderr
    assert site.dns() == at(site.standby.address)

    site.primary.start_http()
    assert site.run("promote", "primary", "--yes").returncode == 0
    rounds = [site.run("check") for _ in range(2)]  # recovered (2 rounds), window not over
    assert [p.returncode for p in rounds] == [0, 0], [p.stdout for p in rounds]
    assert site.dns() == at(site.standby.address)
    # the next round two hours later (the checker's clock moved on: libfaketime, no sleep)
    later = subprocess.run(["faketime", "-f", "+2h", FAILOVER, "-i", str(site.inventory),
                            "check"], env=site.env, capture_output=True, text=True,
                           timeout=180, stdin=subprocess.DEVNULL, check=False)
    assert "failback done" in later.stdout, later.stdout + later.stderr
    assert site.dns() == at(site.primary.address)


def test_a_later_round_that_cannot_fence_the_old_host_tells_it_once_per_failure(
        site: Site) -> None:
    site.edit(lambda inv: inv.update(fence=["false"]))  # e.g. a service that will not stop
    site.edit(lambda inv: inv["notify"][0].update(events=["fencing_failed"]))
    site.primary.stop_sshd()  # the old host's SSH gives no answer during the run
    p = site.run("failover", "--to", "standby", "--yes", "--accept-stale")
    assert p.returncode == 0, p.stdout + p.stderr
    assert site.state()["demoted"]["primary"]["detail"].startswith("not reachable: ")
    [run_time] = site.hook.received
    assert run_time["body"]["text"].startswith("shop.test: fencing primary FAILED: not reachable")

    site.primary.start_sshd()  # it answers again (hours later), and its fence command fails
    first = site.run("check")
    assert "demoted host primary answers again: 1 of 1 fence command(s) failed" in first.stdout, \
        first.stdout + first.stderr
    [_, retry] = site.hook.received
    assert retry["body"]["event"] == "fencing_failed"
    assert retry["body"]["text"] == (
        "shop.test: demoted host primary answers again, but fencing it FAILED: 1 of 1 fence "
        "command(s) failed; it may still serve or take orders: check it by hand")
    assert retry["body"]["id"].startswith("primary:fencing_failed:")
    assert retry["body"]["id"] != run_time["body"]["id"]

    again = site.run("check")  # the same failure the next round: nobody hears it twice
    assert "demoted host primary answers again: 1 of 1 fence command(s) failed" in again.stdout
    assert len(site.hook.received) == 2, site.hook.received
    assert site.state()["demoted"]["primary"]["fenced"] is False
