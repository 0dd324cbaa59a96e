"""The house rules of failover/ (STYLE.md, issue 11), read from the source with ast.

Each rule is a function that returns the places that break it, so a failure names them all:
modules over 300 lines, import cycles (lazy and type-only imports count: a cycle that only shows
at runtime is still one to untangle), private names imported across packages, and click, print or
sys.exit outside cli/.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "failover"
MAX_LINES = 300


def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _package_of(name: str, mods: dict[str, Path]) -> str:
    return name if mods[name].name == "__init__.py" else name.rpartition(".")[0]


def _imports(name: str, mods: dict[str, Path]) -> Iterator[tuple[str, str, int]]:
    """(imported module, imported name or "", line) for every import in module NAME."""
    tree = ast.parse(mods[name].read_text())
    package = _package_of(name, mods)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, "", node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                if f"{base}.{alias.name}" in mods:  # `from pkg import module`
                    yield f"{base}.{alias.name}", "", node.lineno
                else:
                    yield base, alias.name, node.lineno


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    graph: dict[str, set[str]] = {name: set() for name in mods}
    for name in mods:
        for target, _, _ in _imports(name, mods):
            if target in mods and target != name:
                graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_module_is_over_300_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE.parent)): n
        for path in modules().values()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_no_import_cycle_not_even_a_lazy_or_type_only_one() -> None:
    assert cycles(import_graph()) == []


def test_no_private_name_is_imported_from_another_package() -> None:
    mods = modules()
    private = []
    for name in mods:
        here = _package_of(name, mods)
        for target, imported, line in _imports(name, mods):
            if not target.startswith("failover"):
                continue
            there = _package_of(target, mods) if target in mods else target
            names = [imported, target.rpartition(".")[2]]
            if there != here and any(n.startswith("_") and not n.startswith("__") for n in names):
                where = mods[name].relative_to(PACKAGE.parent)
                private.append(f"{where}:{line} {target} {imported}")
    assert private == []


def test_only_cli_imports_click_prints_or_exits() -> None:
    mods = modules()
    found = []
    for name, path in mods.items():
        if name.startswith("failover.cli"):
            continue
        for target, imported, line in _imports(name, mods):
            if target.split(".")[0] == "click" or (target == "sys" and imported == "exit"):
                found.append(f"{path.name}:{line} imports {target} {imported}".rstrip())
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                called = (
                    func.id
                    if isinstance(func, ast.Name)
                    else f"{getattr(func.value, 'id', '')}.{func.attr}"
                    if isinstance(func, ast.Attribute)
                    else ""
                )
                if called in {"print", "sys.exit", "exit", "quit", "os._exit"}:
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} calls {called}")
    assert found == []


def test_the_readme_names_one_pure_function_per_question() -> None:
    """The README's development table: each question's function exists where it says."""
    import importlib
    import inspect
    import re

    readme = (PACKAGE.parent / "README.md").read_text()
    rows = re.findall(r"^\| (.+\?) \| `(failover\.[\w.]+)` \|$", readme, re.MULTILINE)
    assert [question for question, _ in rows] == [
        "is this host down?",
        "may automation act now?",
        "what will change in DNS?",
        "what will the sync change?",
        "which exit code?",
    ]
    for _, dotted in rows:
        module, _, name = dotted.rpartition(".")
        assert inspect.isfunction(getattr(importlib.import_module(module), name)), dotted
