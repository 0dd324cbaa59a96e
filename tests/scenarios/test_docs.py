"""Docs that run (1 of 2): every command line README.md and docs/*.md show a user, found by
tests/doclines.py, is handled on purpose. `failover` lines and crontab lines are parsed here by
the real CLI (and run on the rig in test_docs_run.py); option fragments name real options; the
systemd units pass `systemd-analyze verify`; every other line is in NOT_RUN with its reason and
still checked as far as it can be here (make targets, unit names, extras, subcommands)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import pytest

from failover.cli.main import COMMANDS
from tests.cliparse import command_paths, option_names, parse
from tests.doclines import DocLine, Unit, find, strip_sudo
from tests.site import FAILOVER, REPO

FOUND = find(REPO, set(COMMANDS))

# Shown to a user but not run by any test, each with the reason; the checks below still parse
# what they can. A line that leaves the docs must leave this list (a test fails otherwise).
NOT_RUN = {
    ('/usr/bin/etcd --name m1 --data-dir /var/lib/etcd-failover --listen-client-urls h'
     'ttps://10.0.0.1:2379 --advertise-client-urls https://10.0.0.1:2379 --listen-peer'
     '-urls https://10.0.0.1:2380 --initial-advertise-peer-urls https://10.0.0.1:2380 '
     '--initial-cluster m1=https://10.0.0.1:2380,m2=https://10.0.0.2:2380,m3=https://1'
     '0.0.0.3:2380 --initial-cluster-state new --cert-file /etc/etcd/server.crt --key-'
     'file /etc/etcd/server.key --peer-cert-file /etc/etcd/peer.crt --peer-key-file /e'
     'tc/etcd/peer.key --trusted-ca-file /etc/etcd/ca.crt --peer-trusted-ca-file /etc/'
     'etcd/ca.crt'): "an etcd member of a real 3-member cluster (docs/coordination.md); "
                      "tests/rig/etcd.py starts the same members on loopback",
    "make test": "CI runs it (.ci/run): this suite is what it runs",
    "make demo": "it brings up a rig on the default net 10.203.0 (another person's on this "
                 "machine); test_docs_run.py runs its drill (tests/demo.py) on the test rig",
    "make bench": "benchmarks take minutes and print figures, asserted nowhere; run by hand",
    "make docs": "it rewrites docs/inventory.md; tests/unit/test_reference.py fails when the "
                 "file differs from what it would write",
    "python -m tests.rig selftest": "it brings up a second rig beside the test rig; "
                                    "tests/integration/test_rig.py checks the same pieces",
    "mysqldump | mysql": "what a pipe step connects, not a command line; "
                         "tests/integration/test_pipe.py runs pipe steps",
    "mysqldump --single-transaction --quick --routines --triggers --events --hex-blob":
        "what a mysql sync set runs on the host; tests/scenarios/test_database_sync.py runs it "
        "through failover sync",
    "pg_dump --format=plain": "as above, for a postgresql set",
    "useradd --system --home-dir /var/lib/failover --shell /usr/sbin/nologin failover":
        "adds a system user to this machine",
    "python3 -m venv /opt/failover": "writes /opt; tests/scenarios/test_install.py installs "
                                     "the project alone in a fresh venv",
    "/opt/failover/bin/pip install /path/to/failover": "as above (test_install.py)",
    "install -d -o root -g failover -m 0750 /etc/failover":
        "needs the user failover and writes /etc",
    "install -d -o failover -g failover -m 0700 /var/lib/failover": "as above, in /var",
    "install -d -o failover -g failover -m 0750 /var/log/failover": "as above, in /var",
    "install -d -o failover -g failover -m 0755 /var/lib/node_exporter/textfile":
        "as above, in /var",
    "install -o failover -g failover -m 0600 failover_ed25519 /etc/failover/":
        "as above, and the key is the reader's own",
    "crontab -u failover -e": "opens an editor on a user's crontab; the line it adds is run",
    "systemctl stop": "named in prose (what sends SIGTERM); the watch unit's ExecStart is run "
                      "and stopped with SIGTERM in test_docs_run.py",
    "systemctl daemon-reload": "systemd is not PID 1 here; the units pass systemd-analyze verify",
    "systemctl enable --now failover-watch.service": "as above; the unit it names is shown",
    "journalctl -u failover-watch -f": "follows a journal forever; the unit it names is shown",
    "systemctl enable --now failover-check.timer": "as above; the unit it names is shown",
    "systemd-analyze verify": "named in README's Development section; test_systemd_units_verify "
                              "runs it on every unit shown",
    "promtool check metrics": "tests/scenarios/test_monitoring.py runs it on check's prom files",
    "pip install failover[lexicon]": "installs from PyPI; the extra it names is in "
                                     "pyproject.toml (checked below)",
    "pip install failover[apprise]": "installs from PyPI; the extra it names is in "
                                     "pyproject.toml (checked below)",
    "aws route53 list-hosted-zones-by-name": "the AWS CLI against a real AWS account",
    "python -m build": "tests/scenarios/test_wheel.py runs it on a copy of the sources",
}


def lines(*kinds: str) -> list[DocLine]:
    return [line for line in FOUND.lines if line.kind in kinds]


def ids(line: DocLine) -> str:
    return line.id


def test_every_command_line_is_found_and_handled() -> None:
    assert FOUND.problems == []
    kinds = {line.kind for line in FOUND.lines}
    assert kinds <= {"failover", "crontab", "fragment", "make", "program"}, kinds
    unlisted = [line.id for line in lines("make", "program") if line.text not in NOT_RUN]
    assert unlisted == [], "run these in a test, or add them to NOT_RUN with the reason"
    for kind in ("failover", "crontab", "fragment", "make", "program"):
        assert lines(kind), f"no {kind} line found: the finder is broken"
    assert FOUND.units


def test_the_not_run_list_names_lines_in_the_docs() -> None:
    shown = {line.text for line in FOUND.lines}
    assert [text for text in NOT_RUN if text not in shown] == []


def assert_parses(line: DocLine) -> None:
    args = strip_sudo(line.argv)[1:]
    try:
        parse(list(args))
    except click.UsageError as e:
        pytest.fail(f"{line.id}\n  `failover {' '.join(args)}`: {e.format_message()}")


@pytest.mark.parametrize("line", lines("failover", "crontab"), ids=ids)
def test_failover_lines_parse(line: DocLine) -> None:
    assert_parses(line)


@pytest.mark.parametrize("line", lines("crontab"), ids=ids)
def test_crontab_lines_find_their_program_on_crons_path(line: DocLine) -> None:
    """cron runs a line with PATH=/usr/bin:/bin (cron(8)): a bare `failover`, installed in a venv
    or /usr/local/bin, would be `failover: not found` every minute."""
    program = line.argv[0]
    assert program.startswith("/") or shutil.which(program, path="/usr/bin:/bin"), \
        f"{line.id}: name the executable in full (cron's PATH is /usr/bin:/bin)"


@pytest.mark.parametrize("line", lines("fragment"), ids=ids)
def test_fragments_name_real_options(line: DocLine) -> None:
    if line.argv[0] == "failover":  # `watch --interval 10s`: a command without the program
        assert_parses(line)
        return
    known = option_names()
    named = [w.split("=")[0] for w in line.argv if w.startswith("-")]
    assert [n for n in named if n not in known] == [], f"{line.id}: options are {sorted(known)}"
    if len(line.argv) > 1:  # `--prom-file PATH`: some command takes the option with its value
        accepted = []
        for path, _ in command_paths():
            try:
                accepted.append(parse([*path, *line.argv]))
            except click.UsageError:
                continue
        assert accepted, f"{line.id}: no command accepts it"


def test_make_targets_exist() -> None:
    assert lines("make")
    for line in lines("make"):
        p = subprocess.run(["make", "-n", "-C", str(REPO), *line.argv[1:]], capture_output=True,
                           text=True, timeout=60, check=False)  # -n: print the recipes, run none
        assert p.returncode == 0, f"{line.id}: {p.stderr}"


def test_systemd_and_journal_lines_name_units_shown() -> None:
    units = {u.name for u in FOUND.units}
    named = []
    for line in lines("program"):
        if line.argv[0] in ("systemctl", "journalctl"):
            args = [w for w in line.argv[1:] if not w.startswith("-")]
            if line.argv[0] == "systemctl":
                args = args[1:]  # the verb
            named += [a if "." in a else f"{a}.service" for a in args]
    assert named
    assert [n for n in named if n not in units] == [], (named, units)


def test_extras_named_exist() -> None:
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    named = [m for line in lines("program") if line.argv[:2] == ("pip", "install")
             for w in line.argv[2:] if (m := re.fullmatch(r"failover\[(.+)\]", w))]
    assert named
    assert [m[1] for m in named if m[1] not in extras] == []


def test_rig_commands_exist() -> None:
    """`python -m tests.rig selftest`: the rig's command line knows the subcommand."""
    for line in lines("program"):
        if line.argv[1:3] == ("-m", "tests.rig"):
            p = subprocess.run([sys.executable, *line.argv[1:], "--help"], cwd=REPO,
                               capture_output=True, text=True, timeout=60, check=False)
            assert p.returncode == 0, f"{line.id}: {p.stderr}"


def write_units(folder: Path) -> dict[str, Path]:
    """The docs' units as files; ExecStart's documented install path is the venv's executable
    (verify needs the binary to exist); every other word as shown."""
    out = {}
    for unit in FOUND.units:
        text = re.sub(r"^(ExecStart=[-@+!:]*)/opt/failover/bin/failover\b",
                      lambda m: m[1] + FAILOVER, unit.text, flags=re.MULTILINE)
        out[unit.name] = folder / unit.name
        out[unit.name].write_text(text)
    return out


@pytest.mark.parametrize("unit", FOUND.units, ids=lambda u: f"{u.file}:{u.line}: {u.name}")
def test_systemd_units_verify(unit: Unit, tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    assert tool, "systemd-analyze missing: `make setup` installs the Debian package systemd"
    files = write_units(tmp_path)
    p = subprocess.run([tool, "verify", str(files[unit.name])], capture_output=True, text=True,
                       timeout=60, check=False)
    # systemd reports a bad value ("Failed to parse sec value") and still exits 0: any output
    # at all is a failure
    assert (p.returncode, p.stdout + p.stderr) == (0, ""), files[unit.name].read_text()
