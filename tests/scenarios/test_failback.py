"""Failback means back, through the real executable on the rig: it moves the site to its
preferred host (the first host, or `policy.preferred`), and on the preferred host it says so and
changes nothing; `status` before the first round calls no host a standby."""

from __future__ import annotations

from pathlib import Path

from tests.site import ZONE, Site, at

CHANGES = {"run_start", "run_end", "step", "dns_change", "sync", "page"}



def snapshot(site: Site) -> tuple[dict[str, list[str]], bytes, list[str], list[Path]]:
    runs = site.state_dir / "runs"
    return (site.dns(), (site.state_dir / "state.json").read_bytes(),
            [e["event"] for e in site.audit() if e["event"] in CHANGES],
            sorted(runs.iterdir()) if runs.exists() else [])


def test_failback_on_the_preferred_host_changes_nothing(site: Site) -> None:
    assert site.run("check").returncode == 0  # the site is on its preferred host, primary
    before = snapshot(site)
    for args in (["failback", "--yes"], ["failback", "--to", "standby", "--yes"],
                 ["failback", "--dry-run"], ["run", "failback", "--yes"]):
        p = site.run(*args)
        assert p.returncode == 2, (args, p.stdout, p.stderr)
        assert "the site is already on its preferred host primary; nothing to fail back" \
            in p.stderr, (args, p.stderr)
        assert "Traceback" not in p.stderr
    p = site.run("failback", "--to", "standby", "--yes")
    assert "to move it to standby: `failover failover --to standby`" in p.stderr
    assert snapshot(site) == before
    assert site.dns() == at(site.primary.address)


def test_policy_preferred_names_where_failback_goes(warm_site: Site) -> None:
    site = warm_site
    site.edit(lambda inv: inv["policy"].update(preferred="standby"))
    assert site.run("check").returncode == 0
    p = site.run("failback", "--dry-run")
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"{ZONE} A 60: {site.primary.address} -> {site.standby.address}" in p.stdout
    assert "dry run done: nothing changed" in p.stdout
    p = site.run("failback", "--to", "primary", "--dry-run")  # the active host: nowhere to go
    assert p.returncode == 2
    assert "--to primary: that is the active host" in p.stderr
    assert site.dns() == at(site.primary.address)


def test_status_before_the_first_round_calls_no_host_a_standby(site: Site) -> None:
    p = site.run("status")
    assert p.returncode == 0, p.stderr
    assert "active host unknown until the first round" in p.stdout
    rows = {line.split()[0]: line.split()[1] for line in p.stdout.splitlines()[3:5]}
    assert rows == {"primary": "unchecked", "standby": "unchecked"}, p.stdout
    assert "standby, unchecked" not in p.stdout
    assert site.run("check").returncode == 0
    p = site.run("status")
    assert "primary  active, up" in p.stdout
    assert "standby  standby, up" in p.stdout


def test_failback_stops_when_it_cannot_bring_the_orders_home(warm_site: Site, tmp_path: Path
                                                             ) -> None:
    site = warm_site
    assert site.run("failover", "--yes").returncode == 0
    site.recovered("primary")
    (site.standby.webroot / "orders.txt").write_text("order 1001\norder 1002\norder 2001\n")
    primary_before = site.tree(site.primary.webroot)
    # the standby's copy of the set is suddenly empty (a wrong path, a wiped folder): the pull
    # is refused, and the failback must not move the site home without its orders
    empty = tmp_path / "empty"
    empty.mkdir()
    site.edit(lambda inv: inv["sync"][0]["path"].update(standby=str(empty) + "/"))
    p = site.run("failback", "--yes")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "pull from standby refused" in p.stdout
    assert "this step needs it (pull: required): nothing was pushed to primary" in p.stdout
    assert site.dns() == at(site.standby.address)
    assert site.state()["active"] == "standby"
    assert site.tree(site.primary.webroot) == primary_before


def test_failback_keeps_the_preferred_hosts_own_copy_to_roll_back_to(warm_site: Site) -> None:
    site = warm_site
    assert site.run("failover", "--yes").returncode == 0
    site.recovered("primary")
    # the old primary took an order the mirror never saw, just before it went down; the
    # standby took its own orders while it was active
    (site.primary.webroot / "order-0999.txt").write_text("taken on the old primary\n")
    (site.standby.webroot / "orders.txt").write_text("order 1001\n")
    www = str(site.primary.webroot).rstrip("/")

    dry = site.run("failback", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert f"would keep primary's copy as {www}.kept/<id> first" in dry.stdout
    assert not Path(www + ".kept").exists()

    back = site.run("failback", "--yes")
    assert back.returncode == 0, back.stdout + back.stderr
    kept = sorted(Path(www + ".kept").iterdir())
    assert len(kept) == 1
    assert f"kept primary's copy as {kept[0]} (`failover sync --rollback webroot --host " \
           "primary` puts it back)" in back.stdout
    assert (site.primary.webroot / "orders.txt").read_text() == "order 1001\n"  # home
    assert not (site.primary.webroot / "order-0999.txt").exists()  # the standby's tree won
    assert (kept[0] / "order-0999.txt").read_text() == "taken on the old primary\n"
    assert site.dns() == at(site.primary.address)

    rolled = site.run("sync", "--rollback", "webroot", "--host", "primary", "--yes")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert f"the copy kept as {kept[0].name} is live again" in rolled.stdout
    assert (site.primary.webroot / "order-0999.txt").read_text() == "taken on the old primary\n"
    assert [e for e in site.audit() if e["event"] == "sync_rollback"][-1]["host"] == "primary"
