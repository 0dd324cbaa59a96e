"""`failover doctor`: everything a failover will need, checked without changing anything (SSH and
host keys, rsync and flock, clocks, the standbys' space, DNS credentials, TTLs, the state
folder, the blast radius). Each finding that is not ok says what to do. Exit 0 when nothing is a
problem, 1 otherwise (warnings do not fail it)."""

from __future__ import annotations

import click

from failover.cli.app import App

MARK = {"ok": "ok", "warning": "WARNING", "problem": "PROBLEM"}


@click.command()
@click.pass_obj
def doctor(app: App) -> bool:
    """Check that a failover would work, changing nothing. Exit 0 ready, 1 problems found."""
    import msgspec

    from failover.onboard.doctor import doctor as run_doctor

    findings = run_doctor(app.inventory, clock=app.clock)
    problems = sum(f.level == "problem" for f in findings)
    warnings = sum(f.level == "warning" for f in findings)
    if app.json:
        app.print_json({"ready": problems == 0, "problems": problems, "warnings": warnings,
                        "findings": msgspec.to_builtins(findings)})
        return problems == 0
    for f in findings:
        app.out(f"{MARK[f.level]:<8} {f.subject}: {f.text}")
        if f.fix:
            app.out(f"{'':<8} -> {f.fix}")
    verdict = ("ready: nothing found that would stop a failover" if not problems else
               "not ready: fix the problems above before relying on a failover")
    app.out(f"doctor: {problems} problem(s), {warnings} warning(s); {verdict}")
    return problems == 0


COMMANDS = [doctor]
