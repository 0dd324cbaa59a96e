"""Issue 15, services: mail fails over on its own, web stays; then web on its own. Through the
real `failover` executable, on the rig, with the shipped mail example (examples/mail/)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.site import FAILOVER, REPO, ZONE, Site

EXAMPLE = REPO / "examples" / "mail"
MX = {"primary": "10 mx-primary.shop.test.", "standby": "10 mx-standby.shop.test."}


def mail_site(site: Site) -> Site:
    """`site` turned into the mail example: its inventory and playbooks, MX and mail records in
    the zone, a maildir on each host."""
    shutil.copy(EXAMPLE / "inventory.yaml", site.inventory)
    site.edit(lambda inv: [inv["hosts"][h].update(address=site.rig.hosts[h].address)
                           for h in inv["hosts"]])
    shutil.copytree(EXAMPLE / "playbooks", site.dir / "playbooks", dirs_exist_ok=True)
    ip = site.primary.address
    site.rig.pdns.create_zone(ZONE, {("@", "A"): (60, [ip]), ("www", "A"): (60, [ip]),
                                     ("mail", "A"): (60, [ip]),
                                     ("@", "MX"): (300, [MX["primary"]])})
    for host in (site.primary, site.standby):
        shutil.rmtree(host.dir / "mail", ignore_errors=True)
        (host.dir / "mail" / "new").mkdir(parents=True)
    (site.primary.dir / "mail" / "new" / "1.eml").write_text("Subject: order 1001\n")
    return site


def records(site: Site) -> dict[str, list[str]]:
    pdns = site.rig.pdns
    return {"web": pdns.query(ZONE) + pdns.query("www." + ZONE),
            "mail_a": pdns.query("mail." + ZONE), "mx": pdns.query(ZONE, "MX")}


def test_mail_fails_over_alone_then_web_on_its_own(site: Site) -> None:
    mail_site(site)
    primary, standby = site.primary.address, site.standby.address
    p = site.run("check")
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.startswith("FAILOVER OK - web: active host primary healthy; mail: active "
                               "host primary healthy | "), p.stdout
    p = site.run("watch", "--rounds", "1", "-q")  # watch's rounds are check's
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.startswith("FAILOVER OK - web: active host primary healthy; mail:"), p.stdout

    site.primary.smtp.stop()  # the mail server dies; the web server keeps serving
    p = site.run("check")
    assert p.returncode == 1, p.stdout + p.stderr  # mail failing: 1 of 2 rounds
    assert "mail: active host primary failing: 1 of 2 rounds" in p.stdout.splitlines()[0]
    p = site.run("check")
    assert p.returncode == 2, p.stdout + p.stderr
    first = p.stdout.splitlines()[0]
    assert first.startswith("FAILOVER CRITICAL - web: active host primary healthy; mail: active "
                            "host primary is down"), first
    assert "failed over to standby" in first
    assert "[2/8] Last content sync (best effort, the old host may be gone): OK" in p.stdout
    assert "skipped: set webroot is not service mail's" in p.stdout
    assert records(site) == {"web": [primary, primary], "mail_a": [standby],
                             "mx": [MX["standby"]]}
    assert any("shop.test mail moved from primary to standby" in m for m in site.hook.messages())
    told = {r["body"]["event"]: r["body"] for r in site.hook.received}  # all mail's, so far
    assert {"host_down", "failover_started", "failover_done", "notify"} <= set(told), told
    assert {b.get("service") for b in told.values()} == {"mail"}  # a field: no text to parse
    assert (site.standby.dir / "mail" / "new" / "1.eml").exists()  # the maildir went along
    assert not (site.primary.webroot / ".maintenance").exists()  # mail fences nothing (fence: [])

    for service, incidents in (("web", []), ("mail", ["standby"])):  # a report per service
        p = site.run("report", "--service", service, "--json")
        assert p.returncode == 0, p.stdout + p.stderr
        assert [i["to"] for i in json.loads(p.stdout)["incidents"]] == incidents, service

    p = site.run("status")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[:2] == ["service web: active host primary (up)",
                                         "service mail: active host standby (up)"], p.stdout
    p = site.run("dns", "show")  # each service's records, and where they point
    assert p.returncode == 0, p.stdout + p.stderr
    web_dns, mail_dns = p.stdout.split("== service mail")
    assert "DNS points at: primary" in web_dns, p.stdout
    assert "MX" not in web_dns, p.stdout
    assert "DNS points at: standby" in mail_dns, p.stdout
    p = site.run("check", "--no-act", "--json")
    doc = json.loads(p.stdout)
    assert (p.returncode, doc["status"], doc["exit_code"]) == (1, "WARNING", 1), p.stdout
    assert {n: s["active"] for n, s in doc["services"].items()} == {"web": "primary",
                                                                   "mail": "standby"}
    # web healthy on the primary, mail healthy on the standby; the old mail host is a standby
    # whose SMTP is down: WARNING, the worst of the two
    p = site.run("check")
    assert p.returncode == 1, p.stdout + p.stderr
    assert p.stdout.startswith("FAILOVER WARNING - web: active host primary healthy; mail: "
                               "standby primary unhealthy"), p.stdout

    site.primary.stop_http()  # now web fails too: it flips on its own, mail's cooldown is not its
    codes = [site.run("check").returncode for _ in range(2)]
    assert codes == [1, 1]
    p = site.run("check")
    assert p.returncode == 2, p.stdout + p.stderr
    assert "web: active host primary is down (3 failed rounds in a row); failed over to standby" \
        in p.stdout.splitlines()[0]
    assert records(site) == {"web": [standby, standby], "mail_a": [standby],
                             "mx": [MX["standby"]]}
    done = [r["body"] for r in site.hook.received if r["body"]["event"] == "failover_done"]
    assert [b["service"] for b in done] == ["mail", "web"]
    # mail's old host answers every round (its web serves) and is never fenced (mail's
    # `fence: []`): told by the run, not again by each round; web's old host was fenced
    assert [r["body"].get("service") for r in site.hook.received
            if r["body"]["event"] == "fencing_failed"] == ["mail"]
    state = site.state()
    assert (state["active"], state["services"]["mail"]["active"]) == ("standby", "standby")
    assert state["last_flip"]["run_id"] != state["services"]["mail"]["last_flip"]["run_id"]
    p = site.run("status", "--service", "web")
    assert p.stdout.startswith("site shop.test: active host standby"), p.stdout


def test_the_mail_example_validates_and_rehearses(site: Site) -> None:
    mail_site(site)
    p = site.run("validate")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "policy of service mail: failure_threshold 2; the rest as policy\n" in p.stdout
    p = site.run("sync", "--yes")  # cron's sync: every service's sets, each from its active host
    assert p.returncode == 0, p.stdout + p.stderr
    assert (site.standby.dir / "mail" / "new" / "1.eml").exists()
    assert site.tree(site.standby.webroot) == site.tree(site.primary.webroot)

    # mail's set pointed at an empty folder: refused, its last good copy kept; web still synced
    last_good = os.readlink(site.state_dir / "mirror" / "maildir")
    (site.primary.dir / "nomail").mkdir(exist_ok=True)
    maildir = site.inventory.read_text()
    site.edit(lambda inv: inv["sync"][1]["path"].update(primary=f"{site.primary.dir}/nomail/"))
    (site.primary.webroot / "new.html").write_text("new\n")
    p = site.run("sync", "--yes")
    assert p.returncode == 1, p.stdout + p.stderr
    assert f"sync maildir from primary refused: primary:{site.primary.dir}/nomail/ holds no " \
        "files" in p.stdout
    assert os.readlink(site.state_dir / "mirror" / "maildir") == last_good
    assert (site.standby.dir / "mail" / "new" / "1.eml").exists()
    assert (site.standby.webroot / "new.html").exists()
    site.inventory.write_text(maildir)
    p = site.run("rehearse", "--yes")  # every service in turn
    assert p.returncode == 0, p.stdout + p.stderr
    web, mail = p.stdout.split("== service mail")
    assert web.startswith("== service web"), p.stdout
    assert "READY" in web, p.stdout
    assert "READY" in mail, p.stdout
    assert "NOT READY" not in p.stdout
    p = site.run("rehearse", "--service", "mail", "--yes", "--json")
    assert p.returncode == 0, p.stdout + p.stderr


def test_a_bad_services_section_is_exit_2_with_file_and_line(tmp_path: Path) -> None:
    data = yaml.safe_load((EXAMPLE / "inventory.yaml").read_text())
    data["services"]["mail"].update(hosts=["primary", "stanby"], checks=["smtpp"])
    data["dns"][0]["records"].append({"name": "www", "type": "A", "service": "mail"})
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(yaml.safe_dump(data, sort_keys=False))
    shutil.copytree(EXAMPLE / "playbooks", tmp_path / "playbooks")
    env = {"PATH": "/usr/bin:/bin", "PDNS_API_KEY": "k", "FAILOVER_SSH_KEY": str(inventory),
           "FAILOVER_KNOWN_HOSTS": str(inventory), "RIG_DIR": str(tmp_path)}
    p = subprocess.run([FAILOVER, "-i", str(inventory), "validate"], capture_output=True,
                       text=True, env=env, check=False)
    assert p.returncode == 2, p.stdout + p.stderr
    lines = p.stderr.splitlines()
    at = str(inventory)
    assert any(line.startswith(f"{at}:") and "services.mail.hosts[1]: unknown host 'stanby' "
               "(did you mean 'standby'?)" in line for line in lines), lines
    assert any(line.startswith(f"{at}:") and "services.mail.checks[0]: unknown check 'smtpp' "
               "(did you mean 'smtp'?)" in line for line in lines), lines
    assert any(line.startswith(f"{at}:") and "record www A is claimed by services web" in line
               and "and mail" in line for line in lines), lines


def test_mail_fails_over_and_back_by_hand_with_the_mail_received_meanwhile(site: Site) -> None:
    mail_site(site)
    primary, standby = site.primary.address, site.standby.address
    p = site.run("failover", "--service", "mail", "--to", "standby", "--yes")
    assert p.returncode == 0, p.stdout + p.stderr
    assert records(site) == {"web": [primary, primary], "mail_a": [standby],
                             "mx": [MX["standby"]]}
    received = site.standby.dir / "mail" / "new" / "2.eml"
    received.write_text("Subject: received on the standby\n")
    p = site.run("failback", "--service", "mail", "--yes", "--force")  # --force: no 5 rounds
    assert p.returncode == 0, p.stdout + p.stderr
    assert "skipped: set webroot is not service mail's" in p.stdout
    assert (site.primary.dir / "mail" / "new" / "2.eml").read_text() == received.read_text()
    assert records(site) == {"web": [primary, primary], "mail_a": [primary],
                             "mx": [MX["primary"]]}
    state = site.state()
    assert state["services"]["mail"]["active"] == "primary"
    assert (state["active"], state["last_flip"]) == (None, None)  # web: never judged nor moved


def test_a_held_lock_pages_for_the_service_that_is_down(site: Site) -> None:
    mail_site(site)
    site.edit(lambda inv: inv["services"]["mail"]["policy"].update(auto_failover=False))
    site.primary.smtp.stop()
    assert [site.run("check").returncode for _ in range(2)] == [1, 2]  # mail down, by policy
    assert sorted(m.split(":")[0] for m in site.hook.messages()) == [
        "shop.test mail", "shop.test mail"]  # host down, and auto_failover_off: mail's
    fd = os.open(site.state_dir / "lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a run that hangs
    try:
        p = site.run("check", "--wait", "0")
    finally:
        os.close(fd)
    assert p.returncode == 3, p.stdout + p.stderr
    assert "paged (lock_held)" in p.stderr
    last = site.hook.messages()[-1]
    assert last.startswith("shop.test mail: active host primary is down (by the last round)")
    assert "`failover failover --to standby --service mail --yes -i " in last
    assert len(site.hook.messages()) == 3  # web's active host is up: no page for web
