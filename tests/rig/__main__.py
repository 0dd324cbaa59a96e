"""Command line for the rig.

python -m tests.rig up DIR [--prefix rig --net 10.203.0 --dns-port 5353 --api-port 8081]
    start, print KEY=VALUE endpoints, leave it running (state in DIR/rig-state.json)
python -m tests.rig down DIR [--prefix P --net N]   tear down the rig recorded in DIR
    (no state file: kill daemons using DIR, and remove network P if given)
python -m tests.rig selftest [--prefix ...]   up, exercise every piece, down; PASS + timings
python -m tests.rig clean [DIR] [--prefix rig --net 10.203.0]   crashed rig: kill daemons
    using DIR, remove namespaces/links of the prefix
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from . import HOSTS, Rig, RigError
from .netns import Network
from .proc import stray_pids, terminate_pid
from .sshd import cleanup_run_sshd
from .state import STATE_FILE

log = logging.getLogger(__name__)


def _rig_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--prefix", default="rig", help="namespace/link name prefix")
    p.add_argument("--net", default="10.203.0", help="first three octets of the /24")
    p.add_argument("--dns-port", type=int, default=5353, help="PowerDNS DNS port (127.0.0.1)")
    p.add_argument("--api-port", type=int, default=8081, help="PowerDNS API port (127.0.0.1)")


def _make_rig(args: argparse.Namespace, base_dir: str | None) -> Rig:
    return Rig(
        base_dir,
        net=args.net,
        prefix=args.prefix,
        pdns_dns_port=args.dns_port,
        pdns_api_port=args.api_port,
    )


def cmd_up(args: argparse.Namespace) -> int:
    rig = _make_rig(args, args.dir)
    rig.start()
    for key, value in rig.env().items():
        print(f"{key}={value}")
    log.info(
        "up in %.2fs; tear down with: python -m tests.rig down %s", rig.timings["start"], rig.dir
    )
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    base = Path(args.dir).absolute()
    if not (base / STATE_FILE).exists() and base.is_dir():  # crashed before/while saving
        log.warning("no %s in %s: killing rig processes that reference it", STATE_FILE, base)
        cmd_clean(args)
        if (base / "client").is_dir() and (base / "pdns").is_dir():
            shutil.rmtree(base)
        return 0
    rig = Rig.attach(base)
    rig.stop()
    print(f"down in {rig.timings['stop']:.2f}s")
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    """Kill rig daemons referencing DIR (if given); remove the network of --prefix/--net."""
    if getattr(args, "dir", None):
        for pid, starttime in stray_pids(Path(args.dir).absolute()):
            print(f"killing pid {pid}")
            terminate_pid(pid, starttime)
    if args.prefix is None:
        return 0
    network = Network(args.prefix, args.net or "10.203.0", HOSTS)
    left = network.leftovers()
    network.owned = True
    network.destroy()
    cleanup_run_sshd()
    print(f"removed: {', '.join(left) or 'nothing'}")
    return 0


def cmd_selftest(args: argparse.Namespace) -> int:
    from .selftest import CHECKS

    t0 = time.monotonic()
    rig = _make_rig(args, None)
    rig.start()
    print(
        f"up        {rig.timings['start']:6.2f}s  (network {rig.timings['network']:.2f}s, "
        f"keys {rig.timings['keys']:.2f}s, daemons {rig.timings['daemons']:.2f}s)"
    )
    failed = 0
    try:
        for name, check in CHECKS:
            failed += _step(name, check, rig)
    finally:
        rig.stop()
    print(f"down      {rig.timings['stop']:6.2f}s")
    leftovers = rig.network.leftovers()
    if leftovers or rig.dir.exists():
        print(f"FAIL leftovers: {leftovers} dir exists: {rig.dir.exists()}")
        failed += 1
    print(
        f"{'PASS' if not failed else 'FAIL'}  total {time.monotonic() - t0:.2f}s"
        f"{f' ({failed} failed)' if failed else ''}"
    )
    return 1 if failed else 0


def _step(name: str, check: Callable[[Rig], str], rig: Rig) -> int:
    t = time.monotonic()
    try:
        detail = check(rig)
    except (AssertionError, RigError, OSError) as exc:
        print(f"FAIL {name:<28} {time.monotonic() - t:6.2f}s  {type(exc).__name__}: {exc}")
        return 1
    print(f"ok   {name:<28} {time.monotonic() - t:6.2f}s  {detail}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.rig",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("up", help="start a rig in DIR and leave it running")
    p.add_argument("dir")
    _rig_args(p)
    p.set_defaults(func=cmd_up)
    p = sub.add_parser("down", help="tear down the rig recorded in DIR")
    p.add_argument("dir")
    p.add_argument("--prefix", help="without a state file: also remove this rig network")
    p.add_argument("--net", help="(with --prefix) first three octets, default 10.203.0")
    p.set_defaults(func=cmd_down)
    p = sub.add_parser("selftest", help="up, exercise every piece, down")
    _rig_args(p)
    p.set_defaults(func=cmd_selftest)
    p = sub.add_parser("clean", help="remove leftover namespaces/links of a crashed rig")
    p.add_argument("dir", nargs="?", help="also kill rig daemons whose command line uses DIR")
    p.add_argument("--prefix", default="rig", help="namespace/link name prefix")
    p.add_argument("--net", default="10.203.0", help="first three octets of the /24")
    p.set_defaults(func=cmd_clean)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    try:
        rc: int = args.func(args)
    except RigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
