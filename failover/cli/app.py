"""App: what every command shares (inventory, state, audit, output), living on click's ctx.obj."""

from __future__ import annotations

import logging
import os
import select
import sys
import time
from pathlib import Path
from typing import Any

import click
import msgspec

from failover.errors import ConfigError, Interrupted, Reason, UsageError
from failover.model.inventory import Inventory
from failover.model.state import State
from failover.redact import redact, register_inventory
from failover.state.audit import AuditLog
from failover.state.base import StateBackend
from failover.state.files import dumps

LOG_LEVELS = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG}
ALLOW_DELETES_HELP = ("Let this run's syncs delete up to N files from the mirror and from each "
                      "host, instead of what max_delete and max_delete_percent allow (this run "
                      "only; never stored).")


class App(msgspec.Struct):
    """Global options (-i, --json, -v, -q) may come before or after the command; each one sets
    its value here as click meets it, so the last one given wins."""

    inventory_path: Path = msgspec.field(default_factory=lambda: Path(default_inventory()))
    json: bool = False
    verbosity: int = 0  # -1 with -q (also: only the status line on check's stdout), 1-2 with -v
    command: str = ""
    clock: Any = time.time
    service: str | None = None  # --service: the one a command acts on (default: the first)
    _site: Inventory | None = None
    _inventory: Inventory | None = None
    _site_store: StateBackend | None = None
    _store: StateBackend | None = None

    @property
    def quiet(self) -> bool:
        return self.verbosity < 0

    def set_verbosity(self, verbosity: int) -> None:
        from failover.cli.logs import configure_logging

        self.verbosity = max(-1, min(2, verbosity))
        configure_logging(LOG_LEVELS[self.verbosity])

    @property
    def site(self) -> Inventory:
        """The whole inventory, every service (validate, check, status)."""
        if self._site is None:
            from failover.config import load_inventory

            if not self.inventory_path.exists():
                raise ConfigError([Reason(str(self.inventory_path), None, None, "",
                                          _no_inventory(self.inventory_path))])
            self._site = load_inventory(self.inventory_path)
            register_inventory(self._site)  # from here on, its secrets are masked
        return self._site

    @property
    def inventory(self) -> Inventory:
        """The service this command acts on (--service, else the first), as an inventory of
        its own (model/services.py); the whole inventory when it has no `services:`."""
        if self._inventory is None:
            from failover.model.services import service_names, view

            names = service_names(self.site)
            if self.service is not None and self.service not in names:
                raise UsageError(f"--service {self.service}: no such service; services: "
                                 f"{', '.join(names)}")
            self._inventory = view(self.site, self.service or names[0])
        return self._inventory

    @property
    def store(self) -> StateBackend:
        """One backend per command: it fences its saves with the lock it holds; the state of
        the service the command acts on (state/services.py)."""
        if self._store is None:
            from failover.state.services import service_store

            self._store = service_store(self.site_store, self.inventory)
        return self._store

    @property
    def site_store(self) -> StateBackend:
        if self._site_store is None:
            from failover.state import open_state

            self._site_store = open_state(self.site)
        return self._site_store

    def for_service(self, name: str) -> App:
        """This App acting on service `name` (check and status go through every service)."""
        return msgspec.structs.replace(self, service=name, _inventory=None, _store=None,
                                       _site=self.site, _site_store=self.site_store)

    @property
    def audit(self) -> AuditLog:
        from failover.who import started_via

        return AuditLog(self.inventory.state_dir, clock=self.clock,
                        via=started_via(self.command), service=self.inventory.service)

    def out(self, text: str = "") -> None:
        """A line of the human result on stdout (nothing in --json mode)."""
        if not self.json:
            click.echo(redact(text))

    def progress(self, text: str) -> None:
        """A progress line: stdout for humans, stderr in --json mode (stdout holds one document)."""
        click.echo(redact(text), err=self.json)

    def print_json(self, doc: Any) -> None:
        click.echo(dumps(doc, indent=2))

    def confirm(self, question: str, yes: bool) -> None:
        """Ask on a terminal; without one, --yes is required."""
        if yes:
            return
        if not sys.stdin.isatty():
            raise UsageError(f"{question} needs confirmation and there is no terminal; add --yes")
        try:
            confirmed = ask_yes_no(question)
        except KeyboardInterrupt:  # Ctrl-C (or SIGTERM) at the prompt, before any change
            click.echo(err=True)  # end the prompt's line
            raise Interrupted("interrupted at the confirmation prompt; nothing changed",
                              nothing_changed=True) from None
        if not confirmed:
            raise UsageError("not confirmed; nothing changed")

    def notifications_owed(self) -> list[dict[str, Any]]:
        """Messages a channel has not taken yet (notify/outbox.py, one outbox per site): the
        `notifications_owed` of every --json document that reports a round or a run."""
        from failover.notify.outbox import summary

        return summary(self.site.state_dir, self.clock())

    def resolve_active(self, state: State) -> State:
        """`state` with its active host known (engine/active.py: on a first run, from DNS)."""
        from failover.engine.active import resolve_active

        return resolve_active(self.inventory, state, self.audit)


def ask_yes_no(question: str) -> bool:
    """`question [y/N]` on stderr, the answer from the terminal (end of input: no).

    The line is read only once select() says it is there. A blocking read would hang on Ctrl-C
    pressed just as the prompt appears: Python notes the signal, and the read that starts a
    moment later waits for input (or a second Ctrl-C) before the KeyboardInterrupt is raised
    (seen on the rig, about one time in three when the signal follows the prompt at once).
    """
    while True:
        click.echo(f"{question} [y/N]: ", nl=False, err=True)
        while not select.select([sys.stdin], [], [], 0.2)[0]:
            pass  # each turn runs Python code, so a pending signal is handled here
        answer = sys.stdin.readline()
        if not answer:
            click.echo(err=True)
            return False
        answer = answer.strip().lower()
        if answer in ("y", "yes"):
            return True
        if answer in ("", "n", "no"):
            return False
        click.echo("Error: invalid input", err=True)


def default_inventory() -> str:
    return os.environ.get("FAILOVER_INVENTORY") or "inventory.yaml"


def _no_inventory(path: Path) -> str:
    """Why there is no inventory to read, and how to name one (follows the file's name)."""
    where = "" if path.is_absolute() else f" in {Path.cwd()}"
    env = os.environ.get("FAILOVER_INVENTORY")
    if env and Path(env) == path:
        return (f"not found{where} ($FAILOVER_INVENTORY names it): point $FAILOVER_INVENTORY "
                "at the site's inventory, or give -i PATH")
    return (f"not found{where}: give the site's inventory with -i PATH, or set "
            "$FAILOVER_INVENTORY=PATH")
