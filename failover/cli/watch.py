"""`failover watch`: check rounds on a fixed schedule until SIGTERM/SIGINT.

Schedule: round k starts at origin + k x interval plus a small random jitter (up to 10% of the
interval, at most 1 s) so that many checkers started by one timer do not probe in lock step. The
schedule does not drift: a slow round does not push the later ones back; a round that overruns
its slot skips the slots it missed instead of running back to back.

Stopping: SIGTERM or SIGINT sets a flag; a round in progress (and any playbook it started)
finishes, its state is saved, the lock is released, and watch exits 0. Each round takes the run
lock only for itself, so a person's `failover run` can get in between rounds.

Each round is exactly `failover check` (cli/check.py `one_round`): same decisions, same output
(a status line first, then the details; `-q`: the status line only); with --json, one JSON
document per round, one per line. A round that cannot take the lock, or fails on something
outside the inventory (a provider API down), prints an UNKNOWN status line, is logged, and the
next one runs on schedule; a bad inventory or usage error stops watch (exit 3).
"""

from __future__ import annotations

import logging
import math
import random
import signal
import threading
import time
from pathlib import Path
from types import FrameType

import click

from failover.cli.app import App
from failover.cli.check import one_round, prom_file_option, show
from failover.cli.exits import exit_status
from failover.cli.plugin import error_summary, status_line
from failover.errors import ConfigError, FailoverError, LockHeld, UsageError
from failover.model.types import format_duration, parse_duration
from failover.policy import Status
from failover.state.files import dumps

log = logging.getLogger(__name__)

MAX_JITTER = 1.0  # seconds


def _duration(_: click.Context, __: click.Parameter, value: str) -> float:
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if seconds < 1:
        raise click.BadParameter(f"{value!r} is below 1s; use e.g. 10s, 1m")
    return seconds


def next_start(origin: float, interval: float, now: float) -> float:
    """The first slot origin + k x interval (k >= 1) that is still ahead of `now`."""
    return origin + (math.floor((now - origin) / interval) + 1) * interval


@click.command()
@click.option("--interval", default="10s", show_default=True, callback=_duration,
              help="Time between round starts (30s, 1m, or seconds).")
@click.option("--rounds", type=click.IntRange(min=0), default=0,
              help="Stop after this many rounds (0: until SIGTERM/SIGINT).")
@click.option("--wait", default=60.0, show_default=True, metavar="SECONDS",
              help="How long a round waits for another run's lock before it is skipped.")
@prom_file_option
@click.pass_obj
def watch(app: App, interval: float, rounds: int, wait: float, prom_file: Path | None) -> bool:
    """Run check rounds every --interval until stopped; acts like `check` does.

    SIGTERM or Ctrl-C lets the current round finish, then exits 0.
    """
    stop = threading.Event()

    def on_signal(signum: int, _: FrameType | None) -> None:
        if not stop.is_set():
            log.warning("stopping: signal=%s after the current round",
                        signal.Signals(signum).name)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    jitter = min(MAX_JITTER, interval / 10)
    origin = time.monotonic()
    done = 0
    log.info("watch: interval=%s site=%s", format_duration(interval), app.inventory.site)
    try:
        while not stop.is_set():
            done += 1
            log.info("round started: n=%d", done)
            try:
                result = one_round(app, no_act=False, wait=wait, prom_file=prom_file)
            except LockHeld as exc:
                log.warning("round skipped: n=%d reason=%s", done, exc)
                _unknown(app, exc)
            except (ConfigError, UsageError):
                raise  # the inventory or the command line is wrong: no later round is better
            except FailoverError as exc:  # e.g. the DNS API unreachable while resolving
                log.error("round failed: n=%d error=%s", done, exc)
                _unknown(app, exc)
            else:
                show(app, result, json_lines=True)  # --json: JSON Lines, one per round
                log.info("round finished: n=%d status=%s", done,
                         result.outcome.decision.status.name)
            if rounds and done >= rounds:
                break
            start = next_start(origin, interval, time.monotonic()) + random.uniform(0, jitter)
            stop.wait(max(0.0, start - time.monotonic()))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("watch stopped: rounds=%d", done)
    return True


def _unknown(app: App, error: FailoverError) -> None:
    """The status line of a round that could not judge (its details are in the log)."""
    if app.json:
        click.echo(dumps({"status": "UNKNOWN", "exit_code": exit_status("watch", error),
                          "summary": error_summary(error)}))
    else:
        click.echo(status_line(Status.UNKNOWN, error_summary(error)))


COMMANDS = [watch]
