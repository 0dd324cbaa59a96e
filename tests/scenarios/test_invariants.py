"""Invariants of DESIGN.md that had no test of their own (issue 17, "Sharpen the suite"): the
modes of the files the CLI writes, "lock held" after --wait, a check step with a subset of the
checks, and the rescue when DNS was partly changed before the run or edited before the rescue."""

from __future__ import annotations

import fcntl
import json
import os
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.site import ZONE, Site, at

OTHER = "10.203.0.99"  # a value someone else set by hand (never contacted)


def test_the_files_the_cli_writes_are_private(warm_site: Site) -> None:
    site = warm_site
    assert site.run("failover", "--yes").returncode == 0
    private = [site.state_dir / "state.json", site.state_dir / "audit.jsonl",
               site.state_dir / "lock", *site.state_dir.glob("runs/*.json")]
    assert len(private) >= 5  # the warm run's journal and the failover's
    modes = {str(p.relative_to(site.state_dir)): oct(stat.S_IMODE(p.stat().st_mode))
             for p in private}
    assert set(modes.values()) == {"0o600"}, modes
    folders = [site.state_dir, site.state_dir / "runs"]
    assert {oct(stat.S_IMODE(d.stat().st_mode)) for d in folders} == {"0o700"}


def test_a_lock_held_past_wait_gives_up_with_its_exit_code(site: Site) -> None:
    site.state_dir.mkdir(parents=True, exist_ok=True)
    lock = site.state_dir / "lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # a person's run holds it
        os.write(fd, f"{os.getpid()} 7\n".encode())
        manual = site.run("failover", "--yes", "--wait", "0.5")
        check = site.run("check", "--wait", "0.5")
    finally:
        os.close(fd)
    assert manual.returncode == 1, manual.stdout + manual.stderr
    assert f"another failover run holds {lock} (pid {os.getpid()}); gave up after 0.5s " \
           "(--wait sets how long to wait)" in manual.stderr, manual.stderr
    assert check.returncode == 3, check.stdout + check.stderr
    assert check.stdout.startswith("FAILOVER UNKNOWN - "), check.stdout
    assert site.dns() == at(site.primary.address)
    assert not list(site.state_dir.glob("runs/*.json"))


def test_a_check_step_with_some_checks_does_not_qualify_the_target(site: Site) -> None:
    """The standby passes `ssh` but not `storefront`: a check step naming only `ssh` passes,
    and the dns step still refuses the standby (every check, in the same run)."""
    site.edit_playbook("failover", lambda pb: pb["steps"][0]["check"].update(checks=["ssh"]))
    site.standby.stop_http()
    p = site.run("failover", "--yes")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "standby passed 1 of its checks (not storefront)" in p.stdout, p.stdout
    assert "standby failed its checks: storefront" in p.stdout, p.stdout
    assert site.dns() == at(site.primary.address)
    assert site.state()["active"] == "primary"


def fail_after_dns(site: Site, url: str) -> None:
    """A webhook step right after the dns step, which the test's receiver answers with 500."""
    def change(pb: dict[str, Any]) -> None:
        at_dns = next(i for i, s in enumerate(pb["steps"]) if "dns" in s)
        pb["steps"].insert(at_dns + 1, {"name": "Smoke test", "webhook": {"url": url}})
    site.edit_playbook("failover", change)


def test_the_rescue_puts_back_only_what_the_run_changed(warm_site: Site) -> None:
    """www was already moved by hand before the run: the rescue restores the apex the run
    moved, and leaves www where it was before the run."""
    site = warm_site
    site.rig.pdns.set_records(ZONE, {("www", "A"): (60, [site.standby.address])})
    before = site.dns()
    with Receiver(lambda: None) as hook:
        fail_after_dns(site, hook.url)
        p = site.run("failover", "--yes")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "Smoke test: FAILED" in p.stdout, p.stdout
    assert site.dns() == before, p.stdout
    assert site.state()["active"] == "primary"


def test_the_rescue_never_overwrites_a_record_someone_edited_meanwhile(warm_site: Site) -> None:
    site = warm_site

    def edit_by_hand() -> None:  # while the run waits for the smoke test's answer
        site.rig.pdns.set_records(ZONE, {("www", "A"): (60, [OTHER])})

    with Receiver(edit_by_hand) as hook:
        fail_after_dns(site, hook.url)
        p = site.run("failover", "--yes")
    out = p.stdout + p.stderr
    assert p.returncode == 1, out
    assert "Traceback" not in out
    assert site.rig.pdns.query("www." + ZONE, "A") == [OTHER], out  # the person's value stays
    assert "www.shop.test." in p.stdout, p.stdout  # and the run says what it left
    assert OTHER in p.stdout, p.stdout


class Receiver:
    """A loopback HTTP endpoint that runs `action` for each POST, then answers 500."""

    def __init__(self, action: Any) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                action()
                body = json.dumps({"error": "smoke test failed"}).encode()
                self.send_response(500)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/smoke"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
