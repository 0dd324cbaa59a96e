"""Services as views of the inventory (model/services.py), their state inside the site's
(state/services.py) and the worst status of a site round (cli/services.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from failover.cli.services import worst
from failover.errors import LockHeld
from failover.model.inventory import Inventory
from failover.model.services import service_names, view, who
from failover.model.state import State
from failover.policy import Status, override_command
from failover.state.local import LocalStateBackend
from failover.state.services import service_store


def inventory(tmp_path: Path, **extra: object) -> Inventory:
    return Inventory.parse({
        "site": "shop.example", "path": str(tmp_path / "inventory.yaml"),
        "state_dir": str(tmp_path / ".failover"),
        "hosts": {"a": {"address": "192.0.2.1"}, "b": {"address": "192.0.2.2"},
                  "page": {"address": "192.0.2.3", "role": "fallback"}},
        "ssh": {"known_hosts": str(tmp_path / "known_hosts")},
        "dns": [{"provider": "powerdns", "zone": "shop.example.", "api_url": "http://x:1",
                 "api_key": "k", "records": [
                     {"name": "@", "type": "A"},
                     {"name": "@", "type": "MX", "service": "mail",
                      "values": {"a": "10 mx.a.", "b": "10 mx.b."}}]}],
        "checks": [{"name": "web", "type": "tcp", "port": 80},
                   {"name": "smtp", "type": "tcp", "port": 25},
                   {"name": "page", "type": "tcp", "port": 80, "fallback": True}],
        "sync": [{"name": "www", "path": "/var/www/"},
                 {"name": "maildir", "path": "/var/mail/", "service": "mail"}],
        "policy": {"failure_threshold": 3, "cooldown": "30m"},
        **extra})


def test_a_service_sees_only_its_own_checks_records_sets_and_policy(tmp_path: Path) -> None:
    inv = inventory(tmp_path, services={
        "web": {}, "mail": {"hosts": ["b", "a"], "checks": ["smtp"],
                            "policy": {"failure_threshold": 2}, "fence": []}})
    assert service_names(inv) == ["web", "mail"]
    mail, web = view(inv, "mail"), view(inv, "web")
    assert (list(mail.hosts), [c.name for c in mail.checks], [s.name for s in mail.sync]) == (
        ["b", "a"], ["smtp"], ["maildir"])
    assert [(r.name, r.type) for z in mail.dns for r in z.records] == [("@", "MX")]
    assert (mail.policy.failure_threshold, mail.policy.cooldown) == (2, 1800.0)
    assert (list(web.hosts), [c.name for c in web.checks], web.policy.failure_threshold) == (
        ["a", "b"], ["web"], 3)  # the fallback host and its check are no service's own
    assert [(r.name, r.type) for z in web.dns for r in z.records] == [("@", "A")]
    assert (mail.service, web.service, view(mail, "mail") is mail) == ("mail", "web", True)


def test_without_services_or_fallback_the_view_is_the_inventory(tmp_path: Path) -> None:
    inv = inventory(tmp_path)
    plain = inv.replace(hosts={k: v for k, v in inv.hosts.items() if v.role is None},
                        checks=[c for c in inv.checks if not c.fallback])
    assert view(plain, "site") is plain
    assert service_names(plain) == ["site"]


def test_each_service_keeps_its_state_and_the_first_stays_at_the_top(tmp_path: Path) -> None:
    inv = inventory(tmp_path, services={"web": {}, "mail": {}})
    site = LocalStateBackend(tmp_path / ".failover")
    site.save(State(active="a", mirrors={}))  # a state from before `services:`
    web, mail = service_store(site, view(inv, "web")), service_store(site, view(inv, "mail"))
    assert (web.load().active, mail.load().active) == ("a", None)
    mail.save(State(active="b"))
    web.save(web.load().replace(active="a"))
    whole = site.load()
    assert (whole.active, whole.services["mail"].active) == ("a", "b")
    assert (web.load().active, mail.load().active) == ("a", "b")
    with mail.lock(0), pytest.raises(LockHeld):  # one run lock for the site: one run at a time
        web.lock(0).__enter__()


def test_the_worst_service_decides_the_status() -> None:
    assert worst([Status.OK, Status.WARNING]) == Status.WARNING
    assert worst([Status.UNKNOWN, Status.CRITICAL, Status.OK]) == Status.CRITICAL
    assert worst([Status.OK, Status.UNKNOWN]) == Status.UNKNOWN


def test_a_page_names_the_service_and_its_override_command_picks_it(tmp_path: Path) -> None:
    inv = inventory(tmp_path, services={"web": {}, "mail": {}})
    mail = view(inv, "mail")
    assert who(mail) == "shop.example mail"
    assert override_command(mail, "failover", "b") == (
        f"failover failover --to b --service mail --yes -i {tmp_path / 'inventory.yaml'}")
    assert "--service" not in override_command(inv, "failover", "b")


def test_a_playbook_never_names_the_fallback_host(tmp_path: Path) -> None:
    from failover.config.validate import check_playbook
    from failover.config.yamlmarks import read_yaml
    from failover.model.playbook import Playbook

    path = tmp_path / "p.yaml"
    path.write_text("name: p\nsteps:\n  - dns: {to: page}\n")
    doc = read_yaml(path)
    found = check_playbook(Playbook.parse(doc.data), inventory(tmp_path), doc)
    assert [(r.line, r.key, r.message.split(": never")[0]) for r in found] == [
        (3, "steps[0].dns.to", "page is a `role: fallback` host")]


def test_a_check_claimed_by_two_services_is_an_error_at_its_line(tmp_path: Path) -> None:
    import yaml

    from failover.config.services import check_services
    from failover.config.yamlmarks import read_yaml

    data = inventory(tmp_path).to_json()
    data.pop("path")
    data["checks"][1]["service"] = "web"
    data["services"] = {"web": {}, "mail": {"checks": ["smtp"]}}
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    doc = read_yaml(path)
    inv = Inventory.parse({**data, "path": str(path)})
    found = [f"{r.key}: {r.message}" for r in check_services(inv, doc)]
    assert found == ["checks[1].name: check 'smtp' is claimed by services mail, web; a check "
                     "judges one service (keep it in one, or copy it under another name)"]
    assert all(r.line for r in check_services(inv, doc))
