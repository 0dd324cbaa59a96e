"""`failover init`'s answers, and the inventory.yaml they make (text with comments, not a YAML
dump: the file is the user's from now on, and the comments say what each part is for).

Contract: `render(answers, proposals)` is pure. Every string the user gave is written as a JSON
string (valid YAML, quoted), so no answer can change the file's structure. Secrets never reach
the text: the DNS key is written as `${VAR}`, the variable's name given by the user.
"""

from __future__ import annotations

import json

import msgspec

from failover.onboard.zone import Proposal

SCHEMA_FILE = "inventory.schema.json"
DEFAULT_CONTROL_TARGETS = ("tcp://9.9.9.9:53", "tcp://1.1.1.1:53")
KNOWN_HOSTS = "known_hosts"


class HostAnswer(msgspec.Struct, frozen=True):
    name: str
    address: str
    webroot: str  # the shop's files on this host


class Answers(msgspec.Struct, frozen=True):
    site: str
    hosts: tuple[HostAnswer, ...]  # priority order: the first is the primary
    ssh_user: str
    ssh_port: int
    identity: str
    zone: str  # canonical, with the trailing dot
    api_url: str
    api_key_env: str
    nameservers: tuple[str, ...] = ()
    check_url: str = ""
    expect_body: str = ""
    control_targets: tuple[str, ...] = ()
    start_shop: str = "true"
    mail: dict[str, str] = {}  # host -> its mail server's name (MX records)
    cname: dict[str, str] = {}  # host -> the name a CNAME points at for it


def q(text: str) -> str:
    return json.dumps(text)


def render(a: Answers, proposals: list[Proposal], when: str) -> str:
    managed = [p for p in proposals if p.managed]
    alone = [p for p in proposals if not p.managed]
    primary = a.hosts[0].name
    lines = [
        f"# yaml-language-server: $schema=./{SCHEMA_FILE}",
        f"# Written by `failover init` on {when} from the live zone {a.zone}",
        "# `failover validate` checks this file, `failover doctor` the hosts and DNS behind it;",
        "# every key is explained by `failover help inventory`.",
        f"site: {q(a.site)}",
        "",
        "hosts:                          # priority order: the first is the preferred primary",
    ]
    for h in a.hosts:
        lines += [f"  {q(h.name)}:",
                  f"    address: {q(h.address)}",
                  f"    ssh: {{user: {q(a.ssh_user)}, port: {a.ssh_port}, "
                  f"identity: {q(a.identity)}}}"]
    lines += ["", "ssh:",
              f"  known_hosts: {q('./' + KNOWN_HOSTS)}   # fetched by init, fingerprints confirmed",
              "", "dns:", "  - provider: powerdns", f"    zone: {q(a.zone)}",
              f"    api_url: {q(a.api_url)}",
              f"    api_key: {q('${' + a.api_key_env + '}')}   # from the environment only"]
    if a.nameservers:
        lines.append(f"    nameservers: {json.dumps(list(a.nameservers))}")
    lines.append(f"    records:                    # they point at {primary} now: a flip moves "
                 "them")
    for p in managed:
        values = (", values: {" + ", ".join(f"{q(h)}: {q(v)}" for h, v in p.per_host.items())
                  + "}") if p.per_host else ""
        lines.append(f"      - {{name: {q(p.name)}, type: {p.type}, ttl: {p.ttl}{values}}}   "
                     f"# now {', '.join(p.values)}")
    if alone:
        lines.append("    # left alone (a flip never changes them):")
        lines += [f"    #   {p.name} {p.type} {' '.join(p.values)[:60]}  ({p.why})" for p in alone]
    url = a.check_url or f"https://{a.site}/"
    lines += ["", "checks:                         # run against each host's own address",
              f"  - {{name: storefront, type: http, url: {q(url)}, expect_status: [200], "
              + (f"expect_body: {q(a.expect_body)}, " if a.expect_body else "") + "timeout: 5s}",
              f"  - {{name: ssh, type: tcp, port: {a.ssh_port}, timeout: 5s}}",
              "", "control_targets:                # reachable when this checker is online",
              *[f"  - {q(t)}" for t in a.control_targets],
              "", "policy:", "  failure_threshold: 3", "  recovery_threshold: 5",
              "  cooldown: 30m",
              "  auto_failover: false          # a person decides until this says true",
              "", "sync:", "  - name: webroot", "    path: {" + ", ".join(
                  f"{q(h.name)}: {q(h.webroot)}" for h in a.hosts) + "}",
              '    exclude: ["*.log", "cache/"]', "    max_delete: 200",
              "", "playbooks:", "  failover: playbooks/failover.yaml",
              "  failback: playbooks/failback.yaml", "  warm: playbooks/warm.yaml",
              "", "vars:",
              f"  start_shop: {q(a.start_shop)}   # e.g. \"sudo systemctl start php-fpm\""]
    return "\n".join(lines) + "\n"
