"""`failover schema`: the JSON Schemas editors use (docs/editors.md), checked with a real JSON
Schema validator (check-jsonschema, from PyPI): the shipped inventory and playbooks pass, a wrong
type or an unknown key is rejected with the key's path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.site import FAILOVER, REPO

CHECK_JSONSCHEMA = str(Path(sys.executable).parent / "check-jsonschema")


def failover(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([FAILOVER, *args], capture_output=True, text=True, timeout=60,
                          check=False, cwd=cwd, stdin=subprocess.DEVNULL)


def check(schema: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CHECK_JSONSCHEMA, "--schemafile", str(schema), *map(str, files)],
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_inventory_schema_passes_the_shipped_inventory_and_rejects_a_wrong_type(
        tmp_path: Path) -> None:
    p = failover("schema", cwd=tmp_path)  # no inventory needed, none in tmp_path
    assert p.returncode == 0, p.stderr
    schema = tmp_path / "inventory.schema.json"
    schema.write_text(p.stdout)
    assert json.loads(p.stdout)["title"] == "failover inventory"

    ok = check(schema, REPO / "inventory.yaml")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "ok -- validation done" in ok.stdout

    text = (REPO / "inventory.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("failure_threshold: 3", "failure_threshold: three"))
    wrong = check(schema, bad)
    assert wrong.returncode == 1
    assert "$.policy.failure_threshold: 'three' is not of type 'integer'" in wrong.stdout

    bad.write_text(text.replace("  cooldown: 30m", "  cooldwn: 30m"))
    typo = check(schema, bad)
    assert typo.returncode == 1
    assert "'cooldwn' was unexpected" in typo.stdout


def test_the_playbook_schema_written_to_a_file_passes_the_stock_playbooks(tmp_path: Path) -> None:
    schema = tmp_path / "playbook.schema.json"
    p = failover("schema", "playbook", "-o", str(schema), cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout == f"{schema}: the playbook JSON Schema\n"
    playbooks = sorted((REPO / "playbooks").glob("**/*.yaml"))  # examples/ too
    assert len(playbooks) >= 2
    ok = check(schema, *playbooks)
    assert ok.returncode == 0, ok.stdout + ok.stderr

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsteps:\n  - name: a step\n    ignore_errors: maybe\n"
                   "    dns: {to: standby}\n")
    wrong = check(schema, bad)
    assert wrong.returncode == 1
    assert "ignore_errors" in wrong.stdout


def test_an_unknown_schema_kind_is_a_usage_error(tmp_path: Path) -> None:
    p = failover("schema", "inventroy", cwd=tmp_path)
    assert p.returncode == 2
    assert "'inventroy' is not one of 'inventory', 'playbook'" in p.stderr
    assert "Traceback" not in p.stderr
