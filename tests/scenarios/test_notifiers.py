"""Issue 15's notifiers, through the real executable on the rig: a failover started by a `check`
round (from a parent process named cron) reaches every kind of channel: a webhook (JSON), a
Slack-format webhook, a real SMTP server with STARTTLS and a login from the environment, and an
Apprise json:// URL; each message says who started the run. With every channel down the
failover still completes, the run says WARNING (stdout and audit), and the next round delivers
what was owed, once."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.rig.mailserver import Mailbox
from tests.site import FAILOVER, Site, at

PASSWORD = "smtp-pw-5f1c0e"


@pytest.fixture
def mailbox(site: Site) -> Iterator[Mailbox]:
    box = Mailbox(site.rig.dir / "tls", user="failover", password=PASSWORD)
    yield box
    box.stop()


@pytest.fixture
def channels(site: Site, mailbox: Mailbox) -> Site:
    """The site with four channels that hear every event, and a primary that fails at once."""
    site.env.update(SMTP_USER="failover", SMTP_PASSWORD=PASSWORD,
                    APPRISE_URL=site.hook.url.replace("http://", "json://") + "/apprise")

    def change(inv: dict[str, Any]) -> None:
        inv["policy"]["failure_threshold"] = 1
        inv["notify"] = [
            {"type": "webhook", "url": "${CHAT_WEBHOOK}", "deadline": "3s"},
            {"type": "webhook", "url": "${CHAT_WEBHOOK}/slack", "format": "slack",
             "events": ["failover_done", "failover_failed", "failover_rescued"],
             "deadline": "3s"},
            {"type": "email", "smtp": mailbox.address, "from": "failover@shop.test",
             "to": ["oncall@shop.test"], "username": "${SMTP_USER}",
             "password": "${SMTP_PASSWORD}", "ca_file": str(mailbox.ca_file),
             "events": ["host_down", "failover_done"], "deadline": "3s"},
            {"type": "apprise", "urls": ["${APPRISE_URL}"], "events": ["failover_done"],
             "deadline": "3s"},
        ]
    site.edit(change)
    return site


def from_cron(site: Site, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`failover ARGS` run by a shell whose process name is `cron` (as cron's job shell)."""
    cron = tmp_path / "cron"
    if not cron.exists():
        shutil.copy("/bin/sh", cron)
    script = '"$@"; exit $?'  # two commands: the shell stays, as the job's parent
    return subprocess.run([str(cron), "-c", script, "cron", FAILOVER, "-i",
                           str(site.inventory), *args], env=site.env, capture_output=True,
                          text=True, timeout=180, stdin=subprocess.DEVNULL, check=False)


def bodies(site: Site, path: str) -> list[dict[str, Any]]:
    return [r["body"] for r in site.hook.received if r["path"] == path]


def test_a_failover_reaches_webhook_slack_email_and_apprise_saying_who_started_it(
        channels: Site, mailbox: Mailbox, tmp_path: Path) -> None:
    site = channels
    site.primary.stop_http()
    p = from_cron(site, tmp_path, "check")
    assert p.returncode == 2, p.stdout + p.stderr
    assert "failover done" in p.stdout
    assert "WARNING" not in p.stdout.split("\n", 1)[1], p.stdout  # every channel took it
    assert site.dns() == at(site.standby.address)

    plain = bodies(site, "/hook")
    events = [b["event"] for b in plain]
    assert events[0] == "host_down"
    assert {"host_down", "failover_started", "fencing_failed", "notify",
            "failover_done"} >= set(events) >= {"host_down", "failover_started", "notify",
                                                 "failover_done"}
    assert len(events) == len(set(events))  # each once
    done = next(b for b in plain if b["event"] == "failover_done")
    assert done["text"].startswith("shop.test: failover done: the shop runs on standby "
                                   "(was primary); run ")
    assert done["who"].endswith(" (cron)")
    assert "@" in done["who"]
    assert done["id"].endswith(":failover_done")

    [slack] = bodies(site, "/hook/slack")
    assert set(slack) == {"text"}  # what Slack's and Mattermost's incoming webhooks read
    lines = slack["text"].splitlines()
    assert lines[0] == "*[shop.test] failover done*"
    assert lines[1] == done["text"]
    assert any(line.startswith("> [4] Point DNS at the standby: OK (") for line in lines)
    assert lines[-1] == f"_started by {done['who']}_"

    assert mailbox.logins == [("failover", True)] * 2  # STARTTLS is required before AUTH
    subjects = [str(m["Subject"]) for m in mailbox.messages]
    assert subjects[0].startswith("[shop.test] host down: shop.test: host primary (the active "
                                  "host) is DOWN")
    assert subjects[1].startswith("[shop.test] failover done: ")
    mail = mailbox.texts()[1].splitlines()
    assert mail[0] == done["text"]
    assert "[4] Point DNS at the standby: OK" in "\n".join(mail)  # the run's timeline
    assert mail[-1] == f"started by {done['who']}"
    assert PASSWORD not in json.dumps(site.audit()) + p.stdout + p.stderr

    [apprise] = bodies(site, "/hook/apprise")
    assert apprise["title"] == "[shop.test] failover done"
    assert apprise["message"].startswith(done["text"])

    # the audit lines of the round and the run say who and how (cron)
    run_lines = [e for e in site.audit() if e["event"] in ("round", "run_start", "step")]
    assert run_lines
    assert all(e["via"] == "cron" and "@" in e["who"] for e in run_lines)

    watched = site.run("watch", "--rounds", "1", "--interval", "1s")  # and a round of watch
    assert watched.returncode == 0, watched.stdout + watched.stderr
    assert site.audit()[-1]["event"] == "decision"
    assert site.audit()[-1]["via"] == "watch"


def test_with_every_channel_down_the_failover_completes_and_the_next_round_delivers_once(
        channels: Site, mailbox: Mailbox) -> None:
    site = channels
    site.hook.status = 503  # the chat service and the apprise target are down,
    mailbox.stop()  # and so is the mail server
    site.primary.stop_http()
    p = site.run("check")
    assert p.returncode == 2, p.stdout + p.stderr
    assert "failover done" in p.stdout
    assert site.dns() == at(site.standby.address)
    out = p.stdout
    assert "WARNING: failover_done message not delivered to notify[2] (email smtp " \
        f"{mailbox.address}) after " in out
    assert "owed: the next check round sends it" in out
    assert "Tell the team: WARNING" in out
    owed = [e for e in site.audit() if e["event"] == "notify_owed"]
    assert {(e["about"], e["channel"].split()[0]) for e in owed} >= {
        ("failover_done", "webhook"), ("failover_done", "email"), ("failover_done", "apprise"),
        ("host_down", "email"), ("notify", "webhook")}
    assert all(e["level"] == "warning" and e["attempts"] >= 2 for e in owed)
    tried = len(site.hook.received)
    status = site.run("status").stdout  # the on-call engineer sees what is owed
    assert f"notification owed: failover_done to notify[2] (email smtp {mailbox.address}) " \
        "for " in status
    assert "last error: email smtp" in status

    site.hook.status = 200
    mailbox.start()
    site.primary.start_http()
    nxt = site.run("check")
    assert nxt.returncode == 0, nxt.stdout + nxt.stderr  # OK: the standby serves, all told
    assert "owed failover_done message delivered to notify[2] (email smtp" in nxt.stdout
    got = site.hook.received[tried:]
    ids = [r["body"].get("id") for r in got if r["path"] == "/hook"]
    assert ids, got
    assert len(ids) == len(set(ids)), got  # each owed message once
    assert {r["body"]["event"] for r in got if r["path"] == "/hook"} >= {
        "host_down", "failover_started", "failover_done", "notify"}
    assert len([r for r in got if r["path"] == "/hook/slack"]) == 1
    assert len([r for r in got if r["path"] == "/hook/apprise"]) == 1
    assert sorted(str(m["X-Failover-Event"]) for m in mailbox.messages) == [
        "failover_done", "host_down"]  # sent at once, in any order
    assert not (site.state_dir / "outbox.json").exists()
    delivered = [e for e in site.audit() if e["event"] == "notify_delivered"]
    assert len(delivered) == len(owed)

    again = site.run("check")
    assert again.returncode == nxt.returncode, again.stdout
    assert len(site.hook.received) == tried + len(got)  # nothing sent twice
    assert len(mailbox.messages) == 2


def test_with_every_channel_down_the_json_of_a_run_and_of_a_round_says_what_is_owed(
        channels: Site, mailbox: Mailbox) -> None:
    site = channels
    site.hook.status = 503
    mailbox.stop()
    p = site.run("failover", "--to", "standby", "--yes", "--json")
    assert p.returncode == 0, p.stdout + p.stderr
    doc = json.loads(p.stdout)  # one document on stdout; the WARNING lines are on stderr
    assert doc["run"]["status"] == "ok"
    assert "WARNING: failover_done message not delivered to notify[2]" in p.stderr
    owed = {(o["event"], o["channel"], o["where"].split()[0]): o
            for o in doc["notifications_owed"]}
    assert {("failover_done", "notify[0]", "webhook"), ("failover_done", "notify[1]", "webhook"),
            ("failover_done", "notify[2]", "email"), ("failover_done", "notify[3]", "apprise"),
            ("notify", "notify[0]", "webhook")} <= set(owed), sorted(owed)
    email = owed["failover_done", "notify[2]", "email"]
    assert email["where"] == f"email smtp {mailbox.address}"
    assert email["error"].startswith(f"email smtp {mailbox.address}: ")
    assert email["attempts"] >= 2
    status = json.loads(site.run("status", "--json").stdout)["notifications_owed"]
    assert [{**o, "owed_for": 0} for o in status] == [{**o, "owed_for": 0}
                                                      for o in doc["notifications_owed"]]

    r = site.run("check", "--json")  # a round tries each once more; still owed, and says so
    after = json.loads(r.stdout)["notifications_owed"]
    assert {o["id"] for o in after} == {o["id"] for o in doc["notifications_owed"]}, r.stdout
    assert all(o["attempts"] > owed[o["event"], o["channel"], o["where"].split()[0]]["attempts"]
               for o in after)
