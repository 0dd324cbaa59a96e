"""docs/inventory.md, written from the models: every key, its type, default and meaning, an
example, and the messages a mistake gets (produced by the real loader, not typed by hand).

    make docs        # writes docs/inventory.md from reference()

tests/unit/test_reference.py fails when the file and the models drift apart.
"""

from __future__ import annotations

import importlib
import os
import re
import tempfile
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import msgspec

from failover.config.load import load_inventory
from failover.errors import ConfigError
from failover.model.coerce import fields_of, tags
from failover.model.inventory import Inventory
from failover.model.types import After, Parse, Secret, Tag, expand_plugins, parse_duration

INTRO = """\
# Inventory reference

`inventory.yaml` describes one site: its hosts, DNS zones, checks, policy, sync sets, playbooks
and notification channels. This page is written from the code (`make docs`); a
test fails when the two differ.

- Unknown keys are errors: a typo never passes silently. `failover validate` reports every
  problem at once, each with file, line and column, the key, and what would be valid.
- `${VAR}` and `${VAR:-default}` read the environment (`$$` is a literal `$`). Secrets (API keys,
  TSIG secrets, webhook URLs) are written as `${VAR}`, never in the file.
- Durations are `30s`, `5m`, `1h`, `1h30m` or plain seconds.
- Relative paths (`state_dir`, `ssh.known_hosts`, `hosts.*.ssh.identity`, `playbooks.*`,
  `ca_file`, `tsig.secret_file`) are relative to the inventory file.
- `failover validate` prints the policy in effect, each sync set's guards and the state
  folder, defaults included.
"""

EXAMPLE = """\
site: shop.example
hosts:                        # priority order: the first is the preferred primary
  ovh-gra:
    provider: ovh
    address: 203.0.113.10
    ssh: {user: deploy, identity: ~/.ssh/failover_ed25519}
    vars: {start_shop: "sudo systemctl start php8.2-fpm"}
  scw-par:
    provider: scaleway
    address: 198.51.100.20
    ssh: {user: deploy, identity: ~/.ssh/failover_ed25519}
ssh:
  known_hosts: ./known_hosts   # a key for every host: ssh-keyscan, then check the fingerprint
dns:
  - provider: powerdns
    zone: shop.example.
    api_url: https://dns.example.net:8081
    api_key: ${PDNS_API_KEY}
    records:
      - {name: "@", type: A, ttl: 60}
      - {name: www, type: A, ttl: 60}
checks:
  - {name: storefront, type: http, url: "https://shop.example/", expect_body: "Add to cart"}
  - {name: ssh, type: tcp, port: 22, timeout: 2s}
control_targets: ["tcp://9.9.9.9:53", "tcp://1.1.1.1:53"]
policy:
  auto_failover: true          # the consent: check and watch act without asking
sync:
  - {name: webroot, path: /var/www/shop/, exclude: ["var/cache/", "*.log"], max_age: 1h}
playbooks:
  failover: playbooks/failover.yaml
  failback: playbooks/failback.yaml
vars:
  start_shop: "sudo systemctl start php-fpm"
notify:
  - {type: webhook, url: "${CHAT_WEBHOOK}"}
"""

EXAMPLE_ENV = {"PDNS_API_KEY": "k", "CHAT_WEBHOOK": "https://chat.example/hook/t", "HOME": "/h"}
EXAMPLE_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"

# (what is wrong, text of EXAMPLE to replace, its replacement): the loader writes the message
MISTAKES = [
    ("a misspelt key", "policy:\n", "polcy:\n"),
    ("a missing key", "    address: 198.51.100.20\n", ""),
    ("a wrong type", "ttl: 60}\n      - {name: www", "ttl: soon}\n      - {name: www"),
    ("a number out of range", "port: 22,", "port: 70000,"),
    ("a bad address", "address: 203.0.113.10", "address: 203.0.113.300"),
    ("a bad duration", "timeout: 2s}", "timeout: 2 seconds}"),
    ("an unknown provider", "provider: powerdns", "provider: bind"),
    ("an unset variable", "${PDNS_API_KEY}", "${PDNS_KEY}"),
    ("a relative sync path", "path: /var/www/shop/", "path: shop/"),
    ("a reserved variable name", "vars:\n  start_shop", "vars:\n  to"),
]

# Where each model appears in the file, in the order the page shows them.
SECTIONS: list[tuple[str, Any]] = [
    ("top level", Inventory),
    ("hosts.NAME", "Host"), ("hosts.NAME.ssh", "HostSsh"), ("ssh", "SshSettings"),
    ("dns[]", "DnsZone"), ("dns[].records[]", "Record"),
    ("dns[].tsig", "failover.dns.rfc2136:Tsig"),
    ("checks[]", "Check"), ("policy", "Policy"), ("sync[]", "SyncSet"),
    ("notify[]", "Notifier"), ("services.NAME", "Service"),
    ("coordination", "failover.model.coordination:Coordination"),
    ("coordination.etcd", "failover.model.coordination:Etcd"),
]


def _resolve(model: Any) -> Any:
    """A SECTIONS entry as a type: a name in model/inventory.py or "module:Name" (plug-in
    settings live beside their plug-ins), plug-in unions expanded to every plug-in's model."""
    if not isinstance(model, str):
        return model
    module, _, name = model.rpartition(":")
    return expand_plugins(getattr(importlib.import_module(module or "failover.model.inventory"),
                                  name))


def reference() -> str:
    """The whole page."""
    parts = [INTRO, "## An example\n", f"```yaml\n{EXAMPLE}```\n"]
    for where, model in SECTIONS:
        parts += list(_section(where, _resolve(model)))
    parts += ["## What a mistake looks like\n",
              "Each line below is what `failover validate` printed for the example above with "
              "one mistake made in it.\n"]
    parts += [f"- {what}:\n  `{message}`" for what, message in mistakes()]
    return "\n".join(parts) + "\n"


def _section(where: str, tp: Any) -> Iterator[str]:
    members = [m for m in get_args(_base(tp)) if isinstance(m, type)] or [tp]
    tag = next((m.key for m in getattr(tp, "__metadata__", ()) if isinstance(m, Tag)), None)
    for model in members:
        title = (f"`{where}`" if where != "top level" else "Top level") + \
            (f" with `{tag}: {tags(model, tag)[0]}`" if tag else "")
        yield f"## {title}\n"
        if model.__doc__ and model.__doc__ is not msgspec.Struct.__doc__:
            yield " ".join(model.__doc__.split()) + "\n"
        yield "| key | type | default | meaning |\n|---|---|---|---|"
        for f in fields_of(model):
            if model is Inventory and f.name in ("path", "service", "whole"):
                continue  # set by the loader
            yield (f"| `{f.encode_name}` | {_type(f.type)} | {_default(model, f)} | "
                   f"{_description(f.type)} |")
        yield ""


def _where(tp: Any) -> str:
    """The section that describes a model (or a tagged union of models)."""
    for where, model in SECTIONS:
        known = _resolve(model)
        if tp in (known, _base(known)) or tp in get_args(_base(known)):
            return where
    return "?"


def _base(tp: Any) -> Any:
    return get_args(tp)[0] if hasattr(tp, "__metadata__") else tp


def _description(tp: Any) -> str:
    for m in getattr(tp, "__metadata__", ()):
        if isinstance(m, msgspec.Meta) and m.description:
            return str(m.description).replace("|", "\\|")
    return ""


def _type(tp: Any) -> str:
    tp = expand_plugins(tp)
    meta = getattr(tp, "__metadata__", ())
    base = _base(tp)
    if any(isinstance(m, Parse) and m.fn is parse_duration for m in meta):
        return "duration"
    if any(isinstance(m, Parse) for m in meta):
        return "port (1-65535)"
    checks = {m.fn.__name__ for m in meta if isinstance(m, After)}
    named = {"_ipv4": "IPv4 address", "_ipv6": "IPv6 address", "_name": "name",
             "_fqdn": "domain name", "_cidr": "network (a.b.c.d/n)", "_url": "URL"}
    if checks & named.keys():
        return named[next(iter(checks & named.keys()))]
    origin = get_origin(base)
    if origin in (Union, types.UnionType):
        parts = [_type(m) for m in get_args(base) if m is not type(None)]
        text = " or ".join(dict.fromkeys(parts))
        return text + (" (optional)" if type(None) in get_args(base) else "")
    if origin is Literal:
        return "one of " + ", ".join(f"`{v}`" for v in get_args(base))
    if origin is list:
        return f"list of {_type(get_args(base)[0])}"
    if origin is dict:
        key, value = get_args(base)
        return f"mapping of {_type(key)} to {_type(value)}"
    if isinstance(base, type) and issubclass(base, msgspec.Struct):
        return f"mapping (`{_where(base)}`)"
    if any(isinstance(m, Tag) for m in meta):
        return f"mapping (`{_where(tp)}`)"
    bounds = next((m for m in meta if isinstance(m, msgspec.Meta) and
                   (m.ge is not None or m.le is not None)), None)
    words = {str: "text", int: "integer", float: "number", bool: "true or false",
             Path: "file path", Secret: "secret (`${VAR}`)"}.get(base, str(base))
    if bounds is not None:
        words += f" ({bounds.ge if bounds.ge is not None else ''}-"
        words += f"{bounds.le if bounds.le is not None else ''})"
    return words


def _default(model: type, f: Any) -> str:
    if model is Inventory and f.name == "state_dir":
        return "`.failover`"
    if f.required:
        return "**required**"
    value = f.default if f.default is not msgspec.NODEFAULT else f.default_factory()
    if value is None:
        return "-"
    if isinstance(value, msgspec.Struct):
        return "see below"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and any(isinstance(m, Parse) for m in
                                        getattr(f.type, "__metadata__", ())):
        from failover.model.types import format_duration

        return f"`{format_duration(value)}`"
    if isinstance(value, list | dict) and not value:
        return "none"
    return f"`{value}`"


def mistakes() -> list[tuple[str, str]]:
    """(what was wrong, the loader's message) for each of MISTAKES, made in a scratch folder."""
    out = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "known_hosts").write_text(
            f"203.0.113.10,198.51.100.20 {EXAMPLE_KEY}\n")
        (folder / "playbooks").mkdir()
        for name in ("failover", "failback"):
            (folder / "playbooks" / f"{name}.yaml").write_text("name: x\nsteps: [{notify: "
                                                                 "{message: x}}]\n")
        home = folder / "h" / ".ssh"
        home.mkdir(parents=True)
        (home / "failover_ed25519").write_text("key")
        env = {**EXAMPLE_ENV, "HOME": str(folder / "h")}
        cwd = os.getcwd()
        os.chdir(folder)
        try:
            (folder / "inventory.yaml").write_text(EXAMPLE)
            load_inventory(Path("inventory.yaml"), env)  # the example itself is valid
            for what, old, new in MISTAKES:
                assert old in EXAMPLE, old
                (folder / "inventory.yaml").write_text(EXAMPLE.replace(old, new, 1))
                try:
                    load_inventory(Path("inventory.yaml"), env)
                except ConfigError as exc:
                    message = str(exc.reasons[0])
                else:
                    raise AssertionError(f"{what}: the loader accepted it")
                out.append((what, re.sub(re.escape(scratch), "/etc/failover", message)))
        finally:
            os.chdir(cwd)
    return out

