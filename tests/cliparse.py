"""`failover ARGS` parsed by click's own parser through the package's command group, as the
executable parses it, without invoking anything: an unknown option or command, a missing
argument or option value, an extra argument or a bad value (a duration, a count) raises
click.UsageError with click's own message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click

from failover.cli.app import App
from failover.cli.main import cli


def parse(args: list[str]) -> tuple[tuple[str, ...], dict[str, Any]]:
    """(the command's path, e.g. ("dns", "diff"), and its parameters) of `failover ARGS`."""
    ctx = click.Context(cli, info_name="failover", obj=App())
    group: click.Group = cli
    # a group's options, up to its command word (what Group.parse_args does before it keeps the
    # rest for the command; Command.parse_args is the public step that stops there)
    rest = click.Command.parse_args(group, ctx, list(args))
    path: list[str] = []
    while True:
        if not rest:
            raise click.UsageError("Missing command.", ctx)
        name, command, rest = group.resolve_command(ctx, rest)
        assert name is not None
        assert command is not None
        path.append(name)
        if isinstance(command, click.Group):
            ctx = click.Context(command, info_name=name, parent=ctx)
            rest = click.Command.parse_args(command, ctx, rest)
            group = command
            continue
        with command.make_context(name, rest, parent=ctx) as sub:
            return tuple(path), dict(sub.params)


def command_paths(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> Iterator[
        tuple[tuple[str, ...], click.Command]]:
    """Every command the executable has, groups' commands included: (("dns", "show"), show)."""
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from command_paths(command, (*prefix, name))
        else:
            yield (*prefix, name), command


def option_names() -> set[str]:
    """Every option string of the executable (`--to`, `-i`, ...), the group's included."""
    names: set[str] = set()
    for command in [cli, *(c for _, c in command_paths())]:
        for p in command.params:
            if isinstance(p, click.Option):
                names |= {*p.opts, *p.secondary_opts}
    return names
