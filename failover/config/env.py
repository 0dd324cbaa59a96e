"""`${VAR}` and `${VAR:-default}` expansion in every string value, before validation.

Contract:
- `${VAR}` is replaced by the variable's value; an unset variable is a problem naming it.
- `${VAR:-default}` uses `default` when VAR is unset or empty (as in the shell). The default is
  taken literally: it runs to the first `}` and is not expanded again.
- `$$` is a literal `$` (`pa$$word` -> `pa$word`); a `$` followed by anything else stays as it is.
- Only string values are expanded, never mapping keys; `{{ var }}` playbook placeholders are not
  touched (they are rendered at run time by the engine).
- Nothing here logs or returns a variable's value in a message: values may be secrets.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from failover.config.yamlmarks import KeyPath

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"\$(?:(\$)|\{([^}]*)(\}?))")
_BODY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$", re.DOTALL)

Problem = tuple[KeyPath, str]


def expand(data: Any, environ: Mapping[str, str]) -> tuple[Any, list[Problem]]:
    """A copy of `data` with every string value expanded, and the problems found (path, message).

    A value with a problem is returned unexpanded, so callers can tell it apart; they should not
    report validation errors for it on top of the problem.
    """
    problems: list[Problem] = []
    return _walk(data, (), environ, problems), problems


def _walk(data: Any, path: KeyPath, environ: Mapping[str, str], problems: list[Problem]) -> Any:
    if isinstance(data, dict):
        return {k: _walk(v, (*path, k), environ, problems) for k, v in data.items()}
    if isinstance(data, list):
        return [_walk(v, (*path, i), environ, problems) for i, v in enumerate(data)]
    if isinstance(data, str) and "$" in data:
        value, problem = expand_string(data, environ)
        if problem:
            problems.append((path, problem))
            return data
        return value
    return data


def expand_string(text: str, environ: Mapping[str, str]) -> tuple[str, str | None]:
    """(expanded text, None), or (text, the first problem) when a variable cannot be expanded."""
    out: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        out.append(text[pos : match.start()])
        pos = match.end()
        dollar, body, close = match.groups()
        if dollar:
            out.append("$")
            continue
        if not close:
            return text, "'${' without a closing '}' (write ${VAR}, or $$ for a literal $)"
        found = _BODY.match(body)
        if not found:
            return text, (f"'${{{body}}}' is not ${{VAR}} or ${{VAR:-default}} "
                          "(letters, digits and _ in the name)")
        name, default = found.groups()
        value = environ.get(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                return text, (f"environment variable {name} is not set "
                              f"(set it, or write ${{{name}:-default}})")
            value = default
        out.append(value)
    out.append(text[pos:])
    return "".join(out), None
