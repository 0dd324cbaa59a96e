"""Secrets at every verbosity: every command at -vv and with --json, a failed provider login and
webhooks whose URLs carry a token in their path and query; neither the DNS API key nor a webhook
token reaches stdout, stderr or any file under the state folder."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.site import Site

COMMANDS = [
    ["validate"],
    ["status"],
    ["check", "--no-act"],
    ["check"],
    ["watch", "--rounds", "1", "--interval", "1s"],
    ["dns", "show"],
    ["dns", "diff", "--to", "standby"],
    ["sync", "--dry-run"],
    ["sync", "--yes"],
    ["run", "warm", "--to", "standby", "--yes"],
    ["failover", "--dry-run"],
    ["failover", "--yes"],  # the notify step and a `webhook:` step: both POST to tokened URLs
    ["status"],
    ["failback", "--force", "--yes"],
    ["report"],  # the audit log read back: incidents, timelines, availability
]


@pytest.mark.parametrize("mode", [["-vv"], ["--json"], ["--json", "-vv"]],
                         ids=["vv", "json", "json-vv"])
def test_no_secret_reaches_output_or_state(site: Site, mode: list[str]) -> None:
    chat, ads, key = (secrets.token_hex(12) for _ in range(3))
    site.env["CHAT_WEBHOOK"] = f"{site.hook.url}/T01/B02/{chat}"
    site.env["ADS_HOOK"] = f"{site.hook.url}/ads/{ads}?key={key}"
    site.edit(lambda inv: inv["vars"].update(ads_hook="${ADS_HOOK}"))

    def pause_ads(pb: dict[str, Any]) -> None:
        pb["steps"].insert(-1, {"name": "Pause paid traffic",
                                "webhook": {"url": "{{ ads_hook }}", "body": {"site": "x"}}})

    site.edit_playbook("failover", pause_ads)
    api_key = site.env["PDNS_API_KEY"]
    wrong_key = "wrong-" + secrets.token_hex(12)
    hidden = {"chat token": chat, "ads token": ads, "ads key": key, "DNS API key": api_key,
              "wrong DNS API key": wrong_key}
    outputs: list[str] = []

    def run(args: list[str], codes: tuple[int, ...] = (0,), **env: str) -> str:
        p = site.run(*mode, *args, **env)
        assert p.returncode in codes, (args, p.stdout, p.stderr)
        text = p.stdout + p.stderr
        for name, value in hidden.items():
            assert value not in text, f"{name} printed by {args}: {text}"
        outputs.append(text)
        return text

    for args in COMMANDS:
        run(args)
    # a failed provider login, by a read and by a flip (which fails, then its rescue runs)
    assert "API key rejected" in run(["dns", "show"], (1,), PDNS_API_KEY=wrong_key)
    assert "API key rejected" in run(["failover", "--yes"], (1,), PDNS_API_KEY=wrong_key)

    # the secrets were used (the test could fail) ...
    paths = [r["path"] for r in site.hook.received]
    assert f"/hook/T01/B02/{chat}" in paths
    assert f"/hook/ads/{ads}?key={key}" in paths
    if "-vv" in mode:  # ... and urllib3's debug line for them was there, masked
        assert '"POST /*** HTTP/1.1" 200' in "".join(outputs)
    # ... and no file under the state folder holds any of them
    files = [p for p in site.state_dir.rglob("*") if p.is_file()]
    assert any(p.name == "audit.jsonl" for p in files)
    assert any(p.parent.name == "runs" for p in files)
    for path in files:
        data = path.read_bytes()
        for name, value in hidden.items():
            assert value.encode() not in data, f"{name} in {path}"
