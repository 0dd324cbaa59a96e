"""Secret masking: which values, in which forms, and that every log line (a library's too) and
every JSON text goes through it."""

from __future__ import annotations

import io
import logging
import secrets
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from failover.cli.logs import configure_logging
from failover.config import load_inventory
from failover.redact import MASK, Redactor, redact, register, secret_values
from failover.state.files import dumps


def test_a_secret_is_masked_wherever_it_stands() -> None:
    r = Redactor()
    r.add("s3cr3t-api-key")
    assert r("key=s3cr3t-api-key; again s3cr3t-api-key.") == f"key={MASK}; again {MASK}."


def test_a_url_keeps_its_host_and_loses_its_path_and_query() -> None:
    r = Redactor()
    r.add("https://hooks.example:8443/services/T0/B1/xyz?token=abc def")
    assert r("POST https://hooks.example:8443/services/T0/B1/xyz?token=abc def") == \
        "POST https://hooks.example:8443/***"
    assert r('"POST /services/T0/B1/xyz?token=abc def HTTP/1.1" 200') == '"POST /*** HTTP/1.1" 200'
    assert r('"POST /services/T0/B1/xyz?token=abc%20def HTTP/1.1"') == '"POST /*** HTTP/1.1"'


def test_the_json_escaped_form_is_masked_too() -> None:
    r = Redactor()
    r.add('pa"ss\\word')
    assert r(r'{"password": "pa\"ss\\word"}') == f'{{"password": "{MASK}"}}'


def test_short_values_and_bare_hosts_are_not_masked() -> None:
    r = Redactor()
    r.add("x")
    r.add("http://127.0.0.1:9/")
    assert len(r) == 1  # the URL itself; its path "/" holds nothing
    assert r("x marks http://127.0.0.1:9/") == "x marks http://127.0.0.1:9/***"


def test_every_secret_of_the_inventory_is_found(tmp_path: Path) -> None:
    (tmp_path / "known_hosts").write_text("")
    (tmp_path / "inventory.yaml").write_text(textwrap.dedent("""
        site: shop.example
        hosts:
          a: {address: 203.0.113.10}
          b: {address: 198.51.100.20}
        ssh: {known_hosts: known_hosts}
        checks: [{name: web, type: tcp, port: 80}]
        dns:
          - {provider: powerdns, zone: a.example., api_url: "http://127.0.0.1:8081",
             api_key: "${PDNS_KEY}", records: [{name: "@", type: A}]}
          - {provider: rfc2136, zone: b.example., server: "127.0.0.1:53",
             tsig: {name: k, secret: "${TSIG}"}, records: [{name: "@", type: A}]}
          - provider: lexicon
            zone: c.example.
            lexicon: {provider: ovh, auth_application_secret: "${OVH_AS}", region: eu}
            records: [{name: "@", type: A}]
        notify: [{type: webhook, url: "${CHAT}"}]
        """))
    env = {"PDNS_KEY": "pdns-key-1", "TSIG": "dHNpZy1zZWNyZXQ=", "OVH_AS": "ovh-secret-2",
           "CHAT": "https://chat.example/hooks/tok3n"}
    inventory = load_inventory(tmp_path / "inventory.yaml", env)
    assert sorted(secret_values(inventory)) == sorted(env.values())


@pytest.fixture
def stderr_log() -> Iterator[io.StringIO]:
    """A buffer for configure_logging(); the process's logging is put back afterwards."""
    root = logging.getLogger()
    handlers, level, factory = root.handlers[:], root.level, logging.getLogRecordFactory()
    try:
        yield io.StringIO()
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.setLogRecordFactory(factory)


def test_a_library_log_line_and_its_traceback_are_masked(stderr_log: io.StringIO) -> None:
    token = secrets.token_hex(8)
    register(f"http://hooks.example/hook/{token}")
    configure_logging(logging.DEBUG, stderr_log)
    library = logging.getLogger("urllib3.connectionpool")
    library.debug('%s "%s %s HTTP/1.1" %s', "http://hooks.example:80", "POST",
                  f"/hook/{token}", 200)
    try:
        raise ValueError(f"refused: http://hooks.example/hook/{token}")
    except ValueError:
        logging.getLogger("paramiko.transport").exception("failed")
    text = stderr_log.getvalue()
    assert token not in text
    assert '"POST /*** HTTP/1.1" 200' in text
    assert "ValueError: refused: http://hooks.example/***" in text


def test_below_vv_only_our_own_log_lines_reach_stderr(stderr_log: io.StringIO) -> None:
    configure_logging(logging.INFO, stderr_log)
    logging.getLogger("paramiko.transport").error("Exception (client): Error reading banner")
    logging.getLogger("failover.remote.ssh").warning("ours")
    assert stderr_log.getvalue() == "WARNING failover.remote.ssh: ours\n"


def test_json_text_never_holds_a_registered_secret() -> None:
    password = secrets.token_hex(8)
    register(password)
    text = dumps({"step": {"detail": f"mysql -p{password}"}, "list": [password]})
    assert password not in text
    assert redact(password) == MASK
