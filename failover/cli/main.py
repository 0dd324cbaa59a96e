"""Entry point: global options, the command registry, and `raw_main`, the one place where errors
are printed and results become exit codes (through cli/exits.py, which holds DESIGN.md's table).
`check` and `watch` print a `FAILOVER UNKNOWN - ...` status line on stdout for an error too.

Global options (-i, --json, -v, -q) are accepted before the command and after it, by every command
and group (`failover -q check` and `failover check -q` are the same); the last one given wins.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from failover.cli.app import App
from failover.cli.exits import MONITORING, ExitStatus, exit_status
from failover.cli.logs import configure_logging
from failover.errors import ConfigError, FailoverError, Interrupted
from failover.redact import redact


def _app(ctx: click.Context, param: click.Parameter) -> App | None:
    """The App, when `param` was given on the command line (defaults never override)."""
    if param.name is None or ctx.get_parameter_source(param.name) != ParameterSource.COMMANDLINE:
        return None
    return ctx.ensure_object(App)


def _set_inventory(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is not None and (app := _app(ctx, param)):
        app.inventory_path = value


def _set_service(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None and (app := _app(ctx, param)):
        app.service = value


def _set_json(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and (app := _app(ctx, param)):
        app.json = True


def _set_verbose(ctx: click.Context, param: click.Parameter, value: int) -> None:
    if value and (app := _app(ctx, param)):
        app.set_verbosity(value)


def _set_quiet(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and (app := _app(ctx, param)):
        app.set_verbosity(-1)


def global_options() -> list[click.Parameter]:
    """Fresh instances for one command (click keeps per-command state in them)."""
    return [
        click.Option(["-i", "--inventory"], type=click.Path(dir_okay=False, path_type=Path),
                     metavar="PATH", expose_value=False, callback=_set_inventory,
                     help="The site's inventory file (default: ./inventory.yaml, or "
                          "$FAILOVER_INVENTORY when set)."),
        click.Option(["--service"], metavar="NAME", expose_value=False, callback=_set_service,
                     help="With `services:` in the inventory: the service to act on (default: "
                          "the first; check and status: every service)."),
        click.Option(["--json"], is_flag=True, expose_value=False, callback=_set_json,
                     help="Print one JSON document on stdout."),
        click.Option(["-v", "--verbose"], count=True, expose_value=False, callback=_set_verbose,
                     help="More log lines on stderr (-vv: debug)."),
        click.Option(["-q", "--quiet"], is_flag=True, expose_value=False, callback=_set_quiet,
                     help="Only errors on stderr; check and watch print only their status "
                          "line on stdout."),
    ]


# command name -> the module that defines it: a command's module is imported only when it runs
# (or for --help), so `failover check` from cron does not pay for sync, run or dns
COMMANDS = {"validate": "validate", "check": "check", "watch": "watch", "status": "status",
            "run": "run", "failover": "run", "failback": "run", "sync": "sync", "dns": "dns",
            "promote": "promote", "rehearse": "rehearse", "resume": "resume",
            "schema": "schema", "completion": "complete", "help": "topics", "doctor": "doctor",
            "init": "init", "report": "report", "coordination": "coordination"}


class Commands(click.Group):
    """The command group, loading each command's module on first use (click's lazy group
    pattern); every command gets the global options."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        if cmd_name not in self.commands:
            import importlib

            module = importlib.import_module(f"failover.cli.{COMMANDS[cmd_name]}")
            for command in module.COMMANDS:
                _add_global_options(command)
                self.commands[command.name or ""] = command
        return self.commands.get(cmd_name)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="failover", prog_name="failover",
                      message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Keep the shop alive when its hoster fails: checks, warm standby, DNS flip.

    Global options (-i, --json, -v, -q) work before or after the command.
    """
    ctx.ensure_object(App).command = ctx.invoked_subcommand or ""


def _add_global_options(command: click.Command) -> None:
    command.params.extend(global_options())
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _add_global_options(sub)


cli.params.extend(global_options())


def command_of(argv: list[str]) -> str:
    """The command word of `argv` (the first argument that is not an option or -i's value)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("-i", "--inventory", "--service"):
            skip = True
        elif arg == "--":
            return ""
        elif not arg.startswith("-"):
            return arg
    return ""


def _failed(app: App, command: str, error: BaseException) -> ExitStatus:
    """The exit status for `error`; check and watch also print their UNKNOWN status line."""
    code = exit_status(command, error)
    if command in MONITORING:
        from failover.cli.plugin import error_summary, status_line
        from failover.policy import Status

        summary = error_summary(error)
        if app.json:
            doc: dict[str, Any] = {"status": "UNKNOWN", "exit_code": code, "summary": summary}
            app.print_json(doc)
        else:
            click.echo(status_line(Status.UNKNOWN, summary))
    return code


def raw_main(argv: list[str]) -> ExitStatus:
    """Run one command; return its exit status (cli/exits.py maps what the command returned, or
    the error that stopped it). Errors are printed here, once: a traceback only for our bugs."""
    configure_logging(logging.WARNING)
    command = command_of(argv)
    app = App(command=command)
    try:
        result = cli.main(args=argv, prog_name="failover", standalone_mode=False, obj=app)
    except click.exceptions.Exit as e:
        return exit_status(command, e)
    except (click.exceptions.Abort, Interrupted, KeyboardInterrupt) as e:
        from failover.cli.interrupted import report_interruption

        if command not in MONITORING:
            report_interruption(command, argv, e)  # click turns Ctrl-C into Abort
            return exit_status(command, e)
        report_interruption(command, [a for a in argv if a != "--json"], e)
        return _failed(app, command, e)  # and the status line (or document) of an UNKNOWN
    except click.ClickException as e:
        e.show()
        if command in MONITORING:
            from failover.cli.check import write_usage_metrics

            write_usage_metrics(argv, app.clock())
        return _failed(app, command, click.UsageError(e.format_message()))
    except ConfigError as e:
        for reason in e.reasons:
            click.echo(redact(str(reason)), err=True)
        return _failed(app, command, e)
    except FailoverError as e:
        click.echo(redact(f"failover: {e}"), err=True)
        return _failed(app, command, e)
    return exit_status(command, result)
