"""Entry point: global options, the command registry, and the one place that maps errors to exit
codes (DESIGN.md): `check` speaks the monitoring-plugin convention (usage or inventory error = 3
UNKNOWN, since Nagios reads 2 as CRITICAL); every other command: 0 done, 1 failed, 2 usage or
inventory error, 130 interrupted.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from failover.cli.app import App, default_inventory
from failover.cli.interrupted import report_interruption
from failover.cli.logs import configure_logging
from failover.errors import ConfigError, FailoverError, Interrupted, UsageError
from failover.redact import redact

MONITORING = {"check", "watch"}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-i", "--inventory", "inventory", default=default_inventory,
              show_default="inventory.yaml", type=click.Path(dir_okay=False, path_type=Path),
              help="The site's inventory file.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.option("-v", "--verbose", count=True, help="More log lines on stderr (-vv: debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors on stderr.")
@click.pass_context
def cli(ctx: click.Context, inventory: Path, as_json: bool, verbose: int, quiet: bool) -> None:
    """Keep the shop alive when its hoster fails: checks, warm standby, DNS flip."""
    levels = [logging.WARNING, logging.INFO, logging.DEBUG]
    level = logging.ERROR if quiet else levels[min(verbose, 2)]
    configure_logging(level)
    ctx.obj = App(inventory_path=inventory, json=as_json, verbosity=verbose,
                  command=ctx.invoked_subcommand or "")


def _register() -> None:
    from failover.cli import check, dns, run, status, sync, validate, watch

    for module in (validate, check, watch, status, run, sync, dns):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def _exit_code(command: str, error: BaseException) -> int:
    if isinstance(error, Interrupted | KeyboardInterrupt):
        return 130
    if command in MONITORING:
        return 3
    if isinstance(error, ConfigError | UsageError | click.UsageError):
        return 2
    return 1


def raw_main(argv: list[str]) -> int:
    """Run one command; return its exit code. Commands return their own code (check: 0-3)."""
    command = next((a for a in argv if a in cli.commands), "")
    try:
        code = cli.main(args=argv, prog_name="failover", standalone_mode=False)
    except click.exceptions.Exit as e:
        return int(e.exit_code)
    except (click.exceptions.Abort, Interrupted, KeyboardInterrupt) as e:
        return report_interruption(command, argv, e)  # click turns Ctrl-C into Abort
    except click.ClickException as e:
        e.show()
        return _exit_code(command, click.UsageError(e.message))
    except ConfigError as e:
        for reason in e.reasons:
            click.echo(redact(str(reason)), err=True)
        return _exit_code(command, e)
    except FailoverError as e:
        click.echo(redact(f"failover: {e}"), err=True)
        return _exit_code(command, e)
    return code if isinstance(code, int) else 0


def main() -> None:
    sys.exit(raw_main(sys.argv[1:]))
