"""pytest plugin (loaded by tests/conftest.py): gathers the fault rows of a run into a table.

A row's test carries `@pytest.mark.fault("<id>")` and fills the `row` fixture (tests/faults/
conftest.py) with what it observed and what was lost; both travel in the test report's
user_properties, so under pytest-xdist the controller sees every worker's rows. At the end of the
run the table is printed (`make faults`, and `make test`, which CI runs), and `--faults-md PATH`
also writes it as Markdown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.faults.matrix import BY_ID, ROWS

KEY = "fault_row"


@dataclass
class Result:
    passed: bool = True
    ran: int = 0
    observed: list[str] = field(default_factory=list)
    lost: list[int] | None = field(default_factory=lambda: [0, 0, 0])  # files, records, orders;
    # None once a test of the row did not count them


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--faults-md", metavar="PATH", default=None,
                     help="write the fault matrix table (tests/faults) to PATH as Markdown")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fault(id): the test is a row of the fault matrix "
                                       "(tests/faults/matrix.py)")
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist)
        config.stash[_results] = {}


_results = pytest.StashKey[dict[str, Result]]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        mark = item.get_closest_marker("fault")
        if mark is not None:
            if mark.args[0] not in BY_ID:
                raise pytest.UsageError(f"{item.nodeid}: unknown fault row {mark.args[0]!r}")
            item.user_properties.append((KEY, {"id": mark.args[0]}))


@pytest.hookimpl(trylast=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    config = _config
    if config is None or _results not in config.stash:
        return
    props = [v for k, v in report.user_properties if k == KEY]
    if not props:
        return
    info: dict[str, Any] = {}
    for p in props:
        info.update(p)
    result = config.stash[_results].setdefault(info["id"], Result())
    if report.failed or report.skipped:
        result.passed = False
    if report.when == "teardown":
        result.ran += 1
        if info.get("observed"):
            result.observed.append(str(info["observed"]))
        if "lost" not in info:
            result.passed = False  # a row must count what was lost
            result.lost = None
        elif result.lost is not None:
            result.lost = [a + b for a, b in zip(result.lost, info["lost"], strict=True)]


_config: pytest.Config | None = None


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    global _config
    _config = session.config


def render(results: dict[str, Result]) -> str:
    lines = ["| fault | expected | observed | data lost (files/records/orders) | pass |",
             "|---|---|---|---|---|"]
    for row in ROWS:
        r = results.get(row.id)
        if r is None or r.ran == 0:
            why = f"pending: {row.pending}" if row.pending else "not run"
            lines.append(f"| {row.fault} | {_cell(row.expected)} | {why} | - | - |")
            continue
        lost = "/".join(map(str, r.lost)) if r.lost is not None else "not counted"
        observed = "; ".join(dict.fromkeys(r.observed)) or "-"
        runs = f" ({r.ran} runs)" if r.ran > 1 else ""
        ok = "yes" if r.passed and r.lost == [0, 0, 0] else "NO"
        lines.append(f"| {row.fault} | {_cell(row.expected)} | {_cell(observed)}{runs} | {lost} | "
                     f"{ok} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Table-safe; what the tool printed is quoted, not code (docs tests run code spans)."""
    return text.replace("|", "\\|").replace("\n", " ").replace("`", '"')


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if _results not in config.stash or not config.stash[_results]:
        return
    results = config.stash[_results]
    table = render(results)
    terminalreporter.section("fault matrix (tests/faults)")
    terminalreporter.write(table)
    ran = sum(1 for r in results.values() if r.ran)
    ok = sum(1 for r in results.values() if r.ran and r.passed and r.lost == [0, 0, 0])
    terminalreporter.write_line(f"{ok} of {len(ROWS)} rows passed with nothing lost; "
                                f"{len(ROWS) - ran} not run")
    path = config.getoption("--faults-md")
    if path:
        Path(path).write_text(HEADER + table)
        terminalreporter.write_line(f"written to {path}")


HEADER = """# The fault matrix

Written by the make target "faults" from its run (tests/faults/: one scenario per row, each
causing its fault for real on the test rig and running the failover executable;
tests/faults/matrix.py lists the rows; the same table ends every run of the test suite).
"Data lost" counts, after the scenario: files of the shop missing or different on the host DNS
points at, managed DNS records not all pointing at that host (or gone), and orders missing
from its orders.txt.

"""
