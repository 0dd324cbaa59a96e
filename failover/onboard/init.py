"""`failover init`'s steps, apart from the questions and the printing (cli/init.py).

1. `read_zone`: every rrset of the live zone through the provider's API (dns/powerdns.py), and
   the proposal of which follow the primary (zone.py).
2. `fetch_keys`: each host's SSH key (hostkeys.py), for a person to confirm by fingerprint.
3. `prove_keys`: a real login to each host trusting only the confirmed keys (remote/ssh.py): a
   key that changed since the fetch is refused here, before anything is written.
4. `write_site`: inventory.yaml, known_hosts, the schema and the stock playbooks; an existing
   file is replaced only with `force`.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from failover.config.schema import inventory_schema
from failover.dns.powerdns import PowerDnsZone
from failover.dns.registry import provider_for
from failover.errors import HostKeyMismatch, UsageError
from failover.model.types import Secret
from failover.onboard.hostkeys import ScannedKey, scan
from failover.onboard.site import KNOWN_HOSTS, SCHEMA_FILE, Answers, render
from failover.onboard.zone import Proposal, propose
from failover.redact import register
from failover.remote.ssh import SshTarget, verify_host_key
from failover.stock import stock_playbooks

CONNECT_TIMEOUT = 10.0


def read_zone(answers: Answers, api_key: str) -> list[Proposal]:
    """The zone's records, each proposed as managed or left alone. Raises ProviderError."""
    register(api_key)
    zone = PowerDnsZone(provider="powerdns", zone=answers.zone, records=[],
                        api_url=answers.api_url, api_key=Secret(api_key))
    rrsets = provider_for(zone).list_zone()
    return propose(rrsets, answers.zone, answers.hosts[0].address, primary=answers.hosts[0].name,
                   mail=answers.mail, cname=answers.cname)


def fetch_keys(answers: Answers) -> list[ScannedKey]:
    return [scan(h.name, h.address, answers.ssh_port, CONNECT_TIMEOUT) for h in answers.hosts]


def identity_path(answers: Answers, folder: Path) -> Path:
    path = Path(answers.identity).expanduser()
    return path if path.is_absolute() else folder / path


def prove_keys(answers: Answers, keys: list[ScannedKey], folder: Path) -> None:
    """Log in to every host trusting only `keys`. Raises HostKeyMismatch (a key changed since
    the fetch), SyncError or UsageError; nothing is written either way."""
    with tempfile.TemporaryDirectory(prefix="failover-init-") as tmp:
        known = Path(tmp) / KNOWN_HOSTS
        known.write_text("".join(k.line + "\n" for k in keys))
        for key in keys:
            target = SshTarget(host=key.host, address=key.address, port=key.port,
                               user=answers.ssh_user, identity=identity_path(answers, folder),
                               known_hosts=known, connect_timeout=CONNECT_TIMEOUT)
            try:
                verify_host_key(target)
            except HostKeyMismatch as e:
                raise HostKeyMismatch(
                    f"host key of {key.host} changed between the fetch and the login: you "
                    f"confirmed {key.fingerprint}; {e}. Nothing was written.") from None


def targets(inventory: Path) -> list[Path]:
    """Every file `write_site` writes: the inventory and, beside it, the rest."""
    folder = inventory.parent
    return [inventory, folder / KNOWN_HOSTS, folder / SCHEMA_FILE,
            *(folder / "playbooks" / f"{name}.yaml" for name in stock_playbooks())]


def refuse_existing(inventory: Path, force: bool) -> None:
    """UsageError naming every file init would replace, unless `force`."""
    existing = [p for p in targets(inventory) if p.exists()]
    if existing and not force:
        raise UsageError(f"{', '.join(map(str, existing))} already exist(s); nothing was "
                         "written. Add --force to replace them, or give -i a new folder")


def write_site(inventory: Path, answers: Answers, proposals: list[Proposal],
               keys: list[ScannedKey], when: str) -> list[Path]:
    """The site's files, next to `inventory`; returns them in the order written."""
    folder = inventory.parent
    (folder / "playbooks").mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in stock_playbooks().items():
        path = folder / "playbooks" / f"{name}.yaml"
        path.write_text(text)
        written.append(path)
    (folder / KNOWN_HOSTS).write_text("".join(k.line + "\n" for k in keys))
    (folder / SCHEMA_FILE).write_text(json.dumps(inventory_schema(), indent=2) + "\n")
    inventory.write_text(render(answers, proposals, when))
    return [*written, folder / KNOWN_HOSTS, folder / SCHEMA_FILE, inventory]
