"""`{{ var }}` placeholders in playbook strings; an undefined variable is an error.

A deliberate non-choice of Jinja2: playbooks are written by the people they protect, but they run
as root over SSH at 3 a.m.; a placeholder language with no expressions, filters or code can only
insert a value, and every name it uses can be checked before the first step runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from failover.model.base import Model
from failover.model.playbook import Step

if TYPE_CHECKING:
    from failover.model.inventory import Inventory

RUN_VARS = ("from", "to", "site", "run_id")  # set by every run; `vars:` may not shadow them

_PLACEHOLDER = re.compile(r"{{\s*([A-Za-z_][A-Za-z0-9_]*)\s*}}")
_BROKEN = re.compile(r"{{|}}")


class TemplateError(ValueError):
    pass


def names_in(value: Any) -> Iterator[tuple[str, str]]:
    """Yield (variable name, containing string) for every placeholder inside `value`."""
    if isinstance(value, str):
        for m in _PLACEHOLDER.finditer(value):
            yield m.group(1), value
        rest = _PLACEHOLDER.sub("", value)
        if _BROKEN.search(rest):
            raise TemplateError(f"{value!r}: a placeholder is written {{{{ name }}}}")
    elif isinstance(value, Model):
        yield from names_in(_plain(value))
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from names_in(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from names_in(v)


def step_variables(step: Step, variables: Mapping[str, str],
                   host_vars: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """The variables of one step: the run's, plus the `vars` of the host the step acts on
    (hosts.NAME.vars override the inventory's `vars`; from/to/site/run_id always win).
    Raises TemplateError when the host itself names an undefined variable."""
    raw = step.host_param
    if raw is None:
        return dict(variables)
    host = render(raw, variables)
    return {**variables, **host_vars.get(host, {}), **{k: variables[k] for k in RUN_VARS
                                                        if k in variables}}


def fence_variables(inventory: Inventory, host: str) -> dict[str, str]:
    """What the inventory's `fence:` commands may use on `host`: {{ host }}, {{ site }}, and the
    inventory's `vars` overridden by the host's (engine/fence.py runs them; validate checks)."""
    return {**inventory.vars, **inventory.hosts[host].vars, "host": host, "site": inventory.site}


def render(value: Any, variables: Mapping[str, str]) -> Any:
    """`value` with every placeholder replaced; raises TemplateError on an undefined name."""
    if isinstance(value, str):
        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in variables:
                defined = ", ".join(sorted(variables))
                raise TemplateError(f"undefined variable {name!r} in {value!r}; defined: {defined}")
            return variables[name]

        return _PLACEHOLDER.sub(sub, value)
    if isinstance(value, Model):
        return type(value).parse(render(_plain(value), variables))
    if isinstance(value, Mapping):
        return {k: render(v, variables) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [render(v, variables) for v in value]
    return value


def _plain(model: Model) -> dict[str, Any]:
    """A model's fields as written in a playbook (`from`, not `from_`), unset ones left out."""
    data: dict[str, Any] = model.to_json()
    return {k: v for k, v in data.items() if v is not None}
