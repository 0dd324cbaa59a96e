"""Issue 15's business steps, as shipped in playbooks/examples/, run through the executable on the
rig against a local HTTP receiver: pausing (and resuming) paid ads with a `webhook` step, and
opening an incident on a status page with a token in a header that never shows."""

from __future__ import annotations

import json

from tests.site import Site

TOKEN = "sp-key-9d2f71"


def test_pause_ads_resume_ads_and_post_to_the_status_page(site: Site) -> None:
    site.env.update(ADS_PAUSE_HOOK=f"{site.hook.url}/ads/T9?key=ads-token-41",
                    STATUS_PAGE_URL=f"{site.hook.url}/v1/pages/p1/incidents",
                    STATUS_PAGE_TOKEN=TOKEN)
    runs = {name: site.run("run", f"playbooks/examples/{name}.yaml", "--yes")
            for name in ("pause-ads", "status-page", "resume-ads")}
    for name, p in runs.items():
        assert p.returncode == 0, (name, p.stdout, p.stderr)

    pause, incident, resume = site.hook.received
    assert pause["path"] == "/hook/ads/T9?key=ads-token-41"
    assert pause["body"]["action"] == "pause"
    assert pause["body"]["reason"].startswith("shop.test is failing over from primary to "
                                              "standby (run ")
    assert resume["body"]["action"] == "resume"

    assert incident["path"] == "/hook/v1/pages/p1/incidents"
    assert incident["headers"]["Authorization"] == f"OAuth {TOKEN}"
    assert incident["body"]["incident"]["status"] == "identified"
    assert "shop.test now runs from our standby servers" in incident["body"]["incident"]["body"]

    shown = "".join(p.stdout + p.stderr for p in runs.values()) + json.dumps(site.audit())
    shown += "".join(f.read_text() for f in (site.state_dir / "runs").glob("*.json"))
    assert "Pause the ad campaigns: OK" in runs["pause-ads"].stdout
    assert "POST http://127.0.0.1:" in runs["status-page"].stdout
    for secret in (TOKEN, "ads-token-41", "/T9", "/pages/p1"):
        assert secret not in shown
    assert site.dns()  # DNS untouched: these playbooks only call out
