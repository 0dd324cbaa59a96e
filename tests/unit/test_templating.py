from __future__ import annotations

import pytest

from failover.model.playbook import SshAction, SyncAction
from failover.model.templating import TemplateError, names_in, render


def test_render_replaces_every_placeholder_in_nested_values() -> None:
    value = {"site": "{{ site }}", "hosts": ["{{from}}", "x-{{ to }}-y"], "n": 3}
    assert render(value, {"site": "shop", "from": "a", "to": "b"}) == {
        "site": "shop", "hosts": ["a", "x-b-y"], "n": 3}


def test_render_models_keeps_aliases() -> None:
    action = SyncAction.parse({"set": "web", "from": "{{ from }}", "to": "{{ to }}"})
    out = render(action, {"from": "primary", "to": "standby"})
    assert (out.from_, out.to) == ("primary", "standby")


def test_undefined_variable_is_an_error_naming_it() -> None:
    with pytest.raises(TemplateError, match=r"undefined variable 'target'.*defined: from, to"):
        render("{{ target }}", {"from": "a", "to": "b"})


def test_names_in_finds_every_use_and_rejects_broken_braces() -> None:
    action = SshAction.parse({"host": "{{ to }}", "command": ["echo", "{{ site }}"]})
    assert sorted(n for n, _ in names_in(action)) == ["site", "to"]
    with pytest.raises(TemplateError, match="placeholder is written"):
        list(names_in("{{ to }"))
