"""tests/doclines.py finds command lines in Markdown by itself, and calls out what it cannot
classify (the docs tests rely on both)."""

from __future__ import annotations

from tests.doclines import Found, scan

COMMANDS = {"check", "status", "dns", "watch", "failover"}

DOC = """\
# Title

```sh
make demo    # a comment
failover status \\
  --json
systemctl daemon-reload && systemctl enable --now x.service
# only a comment
```

```console
$ failover check -q
FAILOVER OK - all good
```

In the crontab:

```crontab
# m h dom mon dow command
MAILTO=ops
*/5 * * * *  failover sync --yes >>/tmp/log 2>&1
```

`/etc/systemd/system/x.service`:

```ini
[Service]
ExecStart=-/opt/failover/bin/failover -i /etc/i.yaml watch
```

Prose with `failover dns
show` over two lines, `--to HOST`, `-q`, `watch --interval 10s`, `aws s3 ls`,
`policy.auto_failover: true`, `failover`, `check`, `* * * * * failover check -q`.
"""


def found(text: str) -> Found:
    out = Found()
    scan("doc.md", text, COMMANDS, out)
    return out


def test_every_kind_is_found_with_its_line() -> None:
    f = found(DOC)
    assert f.problems == []
    got = [(line.line, line.kind, line.text) for line in f.lines]
    assert got == [
        (4, "make", "make demo"),
        (5, "failover", "failover status --json"),
        (7, "program", "systemctl daemon-reload"),
        (7, "program", "systemctl enable --now x.service"),
        (12, "failover", "failover check -q"),
        (21, "crontab", "*/5 * * * * failover sync --yes >>/tmp/log 2>&1"),
        (28, "failover", "/opt/failover/bin/failover -i /etc/i.yaml watch"),
        (31, "failover", "failover dns show"),  # where the span starts
        (32, "fragment", "--to HOST"),
        (32, "fragment", "-q"),
        (32, "fragment", "watch --interval 10s"),
        (32, "program", "aws s3 ls"),
        (33, "crontab", "* * * * * failover check -q"),
    ]
    cron = f.lines[5]
    assert cron.argv == ("failover", "sync", "--yes")  # redirections are the shell's
    assert cron.shell == "failover sync --yes >>/tmp/log 2>&1"
    assert f.lines[10].argv == ("failover", "watch", "--interval", "10s")
    assert [(u.name, u.line) for u in f.units] == [("x.service", 27)]
    assert f.units[0].text.startswith("[Service]\nExecStart=")


def test_what_cannot_be_classified_is_a_problem() -> None:
    f = found("```\n$ failover check\n```\n\n```yaml\nfailover: 1\nmake test\n```\n\n"
              "```ini\n[Unit]\n```\n\n```crontab\n* * * failover check\n```\n\n"
              "`x.service`\n\n```ini\n[Unit]\n```\n\n`x.service`\n\n```ini\n[Unit]\n```\n")
    assert f.problems == [
        "doc.md:2: a command in a ``` block: mark the block sh, console or crontab: "
        "$ failover check",
        "doc.md:7: a command in a ```yaml block: mark the block sh, console or crontab: "
        "make test",
        "doc.md:11: an ini block with no unit name shown before it "
        "(e.g. `/etc/systemd/system/NAME.service`:)",
        "doc.md:15: not a crontab line (five schedule fields, then the command): "
        "* * * failover check",
        "doc.md:27: a second unit named x.service",
    ]
