"""`failover init`: a new site's inventory from its live zone and its hosts (onboard/init.py).

Asks on a terminal for what the flags do not give; without a terminal every value is a flag and
`--yes` confirms. Writes inventory.yaml (where -i points), known_hosts, inventory.schema.json and
playbooks/ beside it, never over an existing file without --force, then validates the result.
"""

from __future__ import annotations

import os
import sys
import time

import click

from failover.cli.app import App
from failover.errors import UsageError


def _pairs(values: tuple[str, ...], flag: str) -> list[tuple[str, str]]:
    out = []
    for v in values:
        name, sep, value = v.partition("=")
        if not sep or not name or not value:
            raise UsageError(f"{flag} {v!r}: write NAME=VALUE")
        out.append((name, value))
    return out


def _per_host(values: tuple[str, ...], flag: str,
              hosts: list[tuple[str, str]]) -> dict[str, str]:
    """NAME=VALUE for every host, or none at all."""
    given = dict(_pairs(values, flag))
    names = [n for n, _ in hosts]
    if given and sorted(given) != sorted(names):
        raise UsageError(f"{flag}: give one for each host ({', '.join(names)}), or none")
    return given


def _ask(value: str | None, flag: str, question: str, missing: list[str]) -> str:
    if value:
        return value
    if sys.stdin.isatty():
        return str(click.prompt(question, err=True))
    missing.append(flag)
    return ""


@click.command()
@click.option("--site", help="The shop's domain, e.g. shop.example.")
@click.option("--host", "hosts", multiple=True, metavar="NAME=ADDRESS",
              help="A host, in priority order: the first is the primary (give two or more).")
@click.option("--webroot", "webroots", multiple=True, metavar="[NAME=]PATH",
              help="The shop's files: one PATH for every host, or NAME=PATH per host.")
@click.option("--ssh-user", default="root", show_default=True, help="The login on every host.")
@click.option("--ssh-port", default=22, show_default=True, type=click.IntRange(1, 65535))
@click.option("--ssh-key", metavar="PATH", help="The private key failover logs in with.")
@click.option("--zone", help="The DNS zone (default: the site's domain).")
@click.option("--api-url", metavar="URL", help="The PowerDNS API's base URL.")
@click.option("--api-key-env", default="PDNS_API_KEY", show_default=True, metavar="VAR",
              help="The environment variable holding the API key (the file gets ${VAR}).")
@click.option("--nameserver", "nameservers", multiple=True, metavar="HOST[:PORT]",
              help="A nameserver dns_verify asks (default: the zone's NS set).")
@click.option("--check-url", metavar="URL", help="The storefront check's URL "
              "(default: https://SITE/).")
@click.option("--expect-body", metavar="TEXT", help="A text only the shop's page shows (e.g. "
              "\"Add to cart\"), for the storefront check.")
@click.option("--control-target", "control_targets", multiple=True, metavar="URL",
              help="Reachable when the checker is online (default: tcp://9.9.9.9:53 and "
                   "tcp://1.1.1.1:53).")
@click.option("--mail", "mail", multiple=True, metavar="NAME=MAILSERVER",
              help="Each host's mail server name: MX records naming the first host's follow.")
@click.option("--cname", "cname", multiple=True, metavar="NAME=TARGET",
              help="Each host's CNAME target: CNAME records naming the first host's follow.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask (required without a terminal).")
@click.option("--force", is_flag=True, help="Replace files that exist.")
@click.pass_context
def init(ctx: click.Context, site: str | None, hosts: tuple[str, ...],
         webroots: tuple[str, ...], ssh_user: str, ssh_port: int, ssh_key: str | None,
         zone: str | None, api_url: str | None, api_key_env: str,
         nameservers: tuple[str, ...], check_url: str | None, expect_body: str | None,
         control_targets: tuple[str, ...], mail: tuple[str, ...], cname: tuple[str, ...],
         yes: bool, force: bool) -> bool:
    """Write a new site's inventory from its live DNS zone and its hosts, then validate it."""
    from failover.onboard import init as steps
    from failover.onboard.site import DEFAULT_CONTROL_TARGETS, Answers, HostAnswer

    app: App = ctx.obj
    inventory = app.inventory_path
    steps.refuse_existing(inventory, force)
    missing: list[str] = []
    site = _ask(site, "--site", "Site (the shop's domain)", missing)
    pairs = _pairs(hosts, "--host")
    while len(pairs) < 2 and sys.stdin.isatty():
        role = "primary" if not pairs else "standby"
        pairs += _pairs((click.prompt(f"{role} host (NAME=ADDRESS)", err=True),), "--host")
    if len(pairs) < 2:
        missing.append("--host NAME=ADDRESS (twice or more)")
    ssh_key = _ask(ssh_key, "--ssh-key", "SSH private key file", missing)
    api_url = _ask(api_url, "--api-url", "PowerDNS API URL", missing)
    root = next((w for w in webroots if "=" not in w), None)
    per_host = dict(_pairs(tuple(w for w in webroots if "=" in w), "--webroot"))
    if root is None and len(per_host) < len(pairs):
        root = _ask(None, "--webroot", "The shop's files on the hosts (path)", missing)
    if missing:
        raise UsageError(f"init needs {', '.join(missing)} (no terminal to ask)")
    api_key = os.environ.get(api_key_env)
    if not api_key:
        raise UsageError(f"${api_key_env} is not set: init reads the zone with the API key it "
                         f"holds (the inventory gets ${{{api_key_env}}}, never the key)")
    answers = Answers(
        site=site, hosts=tuple(HostAnswer(n, a, per_host.get(n) or root or "") for n, a in pairs),
        ssh_user=ssh_user, ssh_port=ssh_port, identity=ssh_key,
        zone=(zone or site).rstrip(".") + ".", api_url=api_url, api_key_env=api_key_env,
        nameservers=nameservers, check_url=check_url or "", expect_body=expect_body or "",
        control_targets=control_targets or DEFAULT_CONTROL_TARGETS,
        mail=_per_host(mail, "--mail", pairs), cname=_per_host(cname, "--cname", pairs))

    proposals = steps.read_zone(answers, api_key)
    primary = answers.hosts[0]
    click.echo(f"zone {answers.zone}: {len(proposals)} record(s); those pointing at "
               f"{primary.name} ({primary.address}) follow the active host")
    for p in proposals:
        click.echo(f"  {'manage' if p.managed else 'leave ':<6}  {p.name} {p.type} {p.ttl} "
                   f"{' '.join(p.values)}  ({p.why})")
    if not any(p.managed for p in proposals):
        raise UsageError(f"no A or AAAA record of {answers.zone} points at {primary.name} "
                         f"({primary.address}) alone: nothing to manage. Is the first --host "
                         "the host the zone points at now?")
    keys = steps.fetch_keys(answers)
    click.echo("host keys (compare each fingerprint with the one your hoster shows):")
    for k in keys:
        click.echo(f"  {k.host} {k.address} port {k.port}: {k.fingerprint}")
    app.confirm(f"Write {inventory} and known_hosts with these records and host keys?", yes)
    steps.prove_keys(answers, keys, inventory.parent)
    click.echo(f"logged in to {', '.join(k.host for k in keys)} trusting only these keys")
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(app.clock()))
    for path in steps.write_site(inventory, answers, proposals, keys, when):
        click.echo(f"wrote {path}")
    from failover.cli.validate import validate

    return bool(ctx.invoke(validate))


COMMANDS = [init]
