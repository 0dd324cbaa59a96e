"""`failover sync` through the real executable: gates, direction guard, freshness, rollback."""

from __future__ import annotations

import json
import shlex
import subprocess
import time

from tests.site import FAILOVER, Site


def set_sync(site: Site, **values: object) -> None:
    site.edit(lambda inv: inv["sync"][0].update(values))


def test_sync_pulls_the_active_host_and_pushes_the_standby(site: Site) -> None:
    dry = site.run("sync", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "+ orders.txt" in dry.stdout
    assert not (site.standby.webroot / "orders.txt").exists()
    assert "mirrors" not in site.state()

    done = site.run("sync")  # no terminal: needs --yes
    assert done.returncode == 2
    assert "--yes" in done.stderr
    done = site.run("sync", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "push webroot mirror -> standby" in done.stdout
    assert site.tree(site.standby.webroot) == site.tree(site.primary.webroot)
    state = site.state()["mirrors"]["webroot"]
    assert state["pulled_from"] == "primary"
    assert set(state["pushed"]) == {"standby"}
    assert [e["direction"] for e in site.audit() if e["event"] == "sync"] == ["pull", "push"]

    quiet = site.run("sync", "--yes")  # cron: nothing changed, nothing printed
    assert (quiet.returncode, quiet.stdout) == (0, "")

    status = site.run("status")
    assert "data age: standby" in status.stdout, status.stdout


def test_max_delete_stops_before_anything_is_deleted(site: Site) -> None:
    set_sync(site, max_delete=10)
    for i in range(50):
        (site.primary.webroot / f"p{i}.html").write_text("page\n")
    assert site.run("sync", "--yes").returncode == 0
    for i in range(50):
        (site.primary.webroot / f"p{i}.html").unlink()
    before = site.tree(site.standby.webroot)
    mirror = site.state_dir / "mirror" / "webroot"
    mirrored = site.tree(mirror)

    p = site.run("sync", "--yes")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "would delete 50 files from the mirror, more than max_delete=10" in p.stdout
    assert "raise sync[webroot].max_delete" in p.stdout
    assert site.tree(site.standby.webroot) == before
    assert site.tree(mirror) == mirrored


def test_direction_guard(warm_site: Site) -> None:
    site = warm_site
    p = site.run("run", "warm", "--to", "primary", "--yes")  # the sync step's target is active
    assert p.returncode == 1
    assert "primary, the active host; a sync never writes to the active host" in p.stdout
    p = site.run("sync", "--yes", "--from", "standby")  # default targets never hold the active
    assert p.returncode == 2
    assert "no host to push to" in p.stderr
    (site.standby.webroot / "only-on-standby.txt").write_text("x\n")
    p = site.run("sync", "--yes", "--from", "standby", "--to", "primary")  # said explicitly
    assert p.returncode == 0, p.stdout + p.stderr
    assert (site.primary.webroot / "only-on-standby.txt").exists()


def test_a_stale_standby_warns_and_blocks_failover(warm_site: Site) -> None:
    site = warm_site
    set_sync(site, max_age="1h")
    assert site.run("sync", "--yes").returncode == 0
    fresh = site.run("check", "--no-act")
    assert fresh.returncode == 0, fresh.stdout

    path = site.state_dir / "state.json"
    state = json.loads(path.read_text())
    state["mirrors"]["webroot"]["pushed"]["standby"] = time.time() - 3 * 3600
    path.write_text(json.dumps(state))

    stale = site.run("check", "--no-act")
    assert stale.returncode == 1, stale.stdout
    assert "WARNING: standby standby set webroot: data 3h old, max_age 1h: older than max_age" \
        in stale.stdout
    refused = site.run("failover", "--yes")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "standby standby is stale" in refused.stderr
    assert "--accept-stale" in refused.stderr
    assert site.dns()["www.shop.test."] == [site.primary.address]
    accepted = site.run("failover", "--dry-run", "--accept-stale")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr

    # cron's automatic failover refuses the stale standby too, and pages a person once
    site.primary.link_down()
    codes = [site.run("check").returncode for _ in range(4)]
    assert codes == [1, 1, 2, 2], codes
    assert site.dns()["www.shop.test."] == [site.primary.address]
    pages = [m for m in site.hook.messages() if "automatic failover" in m]
    assert len(pages) == 1, site.hook.messages()
    assert "refused: standby standby is stale" in pages[0]
    assert "--accept-stale" in pages[0]


def test_atomic_sync_and_rollback(atomic_site: Site) -> None:
    site = atomic_site
    assert site.run("sync", "--yes").returncode == 0
    first = site.tree(site.standby.webroot)
    (site.primary.webroot / "index.html").write_text("<button>Add to cart</button> v3\n")
    assert site.run("sync", "--yes").returncode == 0
    assert "v3" in (site.standby.webroot / "index.html").read_text()
    assert site.standby.webroot.is_symlink()
    assert site.standby.get("/")[0] == 200

    p = site.run("sync", "--rollback", "webroot", "--host", "standby", "--yes")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "rolled back webroot on standby" in p.stdout
    assert site.tree(site.standby.webroot) == first


def test_progress_line_on_a_terminal_only(site: Site) -> None:
    assert site.run("sync", "--yes").returncode == 0
    assert site.run("sync", "--yes").stdout == ""  # cron: quiet
    command = shlex.join([FAILOVER, "-i", str(site.inventory), "sync", "--yes"])
    tty = subprocess.run(["script", "-qec", command, "/dev/null"], env=site.env,
                         capture_output=True, text=True, timeout=120,
                         stdin=subprocess.DEVNULL, check=False)  # a pseudo-terminal
    assert tty.returncode == 0, tty.stdout
    assert "push webroot mirror -> standby: no changes; 0 files, " in tty.stdout
    assert "B/s)" in tty.stdout
    assert "pull webroot primary -> mirror: no changes;" in tty.stdout
