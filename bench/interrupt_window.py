"""bench/interrupt_window: when, in a command's start-up, Ctrl-C still ends in a Python traceback.

Sends SIGINT to `failover -i <missing file> status` at fixed delays after starting it (REPEAT runs
per delay) and sorts how each run ended: killed by the signal before Python has its handler,
a traceback, exit 130 with our sentence ("while starting": cli/entry.py caught it during the
imports; later: the command's own handling), or finished before the signal came.

The same sweep runs the old entry too (`failover.cli.main`'s raw_main, whose module imports click
and the whole command line before any `try`), to show the window the tiny entry closed. Then it
prints `-X importtime` for what runs before cli/entry.main is entered: `site` (the editable
install's finder) and our four small modules. Nothing is asserted: timings depend on the machine.
"""

from __future__ import annotations

import collections
import signal
import subprocess
import sys
import time
from pathlib import Path

FAILOVER = str(Path(sys.executable).parent / "failover")
OLD = [sys.executable, "-c",
       "import sys; from failover.cli.main import raw_main; sys.exit(raw_main(sys.argv[1:]))"]
DELAYS_MS = [*range(0, 42, 2), 50, 60, 80, 100, 150, 250, 400, 600]
REPEAT = 4
ARGS = ["-i", "/nonexistent/inventory.yaml", "status"]


def one(argv: list[str], delay: float) -> str:
    proc = subprocess.Popen([*argv, *ARGS], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, stdin=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    if "Traceback" in err:
        return "TRACEBACK"
    if proc.returncode == -signal.SIGINT:
        return "killed"
    if proc.returncode == 130:
        return "130 starting" if "while starting" in err else "130 later"
    return "finished"


def sweep(name: str, argv: list[str]) -> None:
    kinds = ["killed", "TRACEBACK", "130 starting", "130 later", "finished"]
    print(f"\n{name}: SIGINT after N ms, {REPEAT} runs each")
    print("  delay " + " ".join(f"{k:>12}" for k in kinds))
    worst = None
    for ms in DELAYS_MS:
        seen = collections.Counter(one(argv, ms / 1000) for _ in range(REPEAT))
        if seen["TRACEBACK"]:
            worst = ms
        print(f"  {ms:4d}  " + " ".join(f"{seen[k]:>12}" for k in kinds))
    print(f"  last delay with a traceback: {worst if worst is not None else 'none'} ms")


def before_entry() -> None:
    p = subprocess.run([sys.executable, "-X", "importtime", "-c", "import failover.cli.entry"],
                       capture_output=True, text=True, check=False)
    rows = [ln.split("|") for ln in p.stderr.splitlines() if ln.startswith("import time:")]
    ours = [(int(r[1]), r[2].strip()) for r in rows if r[2].strip().startswith("failover")]
    site = next((int(r[1]) for r in rows if r[2].strip() == "site"), 0)
    print("\nwhat runs before cli/entry.main (python -X importtime, cumulative us):")
    print(f"  site (venv, editable-install finder): {site} us")
    for us, name in ours:
        print(f"  {name}: {us} us")
    t0 = time.perf_counter()
    for _ in range(10):
        subprocess.run([sys.executable, "-c", "import failover.cli.entry"], check=True)
    each = (time.perf_counter() - t0) / 10
    print(f"  whole process up to that point (exec, interpreter, site, our modules), wall: "
          f"{each * 1000:.0f} ms (mean of 10 runs)")


def main() -> None:
    sweep("console script (cli/entry.py)", [FAILOVER])
    sweep("old entry (cli/main.py imported first)", OLD)
    before_entry()


if __name__ == "__main__":
    main()
