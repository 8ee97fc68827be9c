"""The local engine's own rules, read from its imports with ast: no Django, no domain, no provider
adapters (whatever comes from settings, the adapter passes in), no module over 400 lines, no cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import workers.local

ENGINE = Path(workers.local.__file__).parent
FORBIDDEN = ("django", "designs", "workers.providers")  # whatever comes from settings, the adapter passes in


def engine_imports(path: Path) -> set[str]:
    """Every module one engine file imports, anywhere in it (inside functions and TYPE_CHECKING too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = ".".join(part for part in ("workers.local" if node.level else "", node.module or "") if part)
            names.add(module)
            if module == "workers.local":  # "from workers.local import palette" may name a module
                names.update(f"workers.local.{alias.name}" for alias in node.names)
    return names


def test_the_engine_imports_nothing_from_django_the_domain_or_the_providers():
    files = sorted(ENGINE.glob("*.py"))
    assert len(files) > 5, "the engine is a package of modules"
    bad = {
        f"{path.name} imports {name}"
        for path in files
        for name in engine_imports(path)
        if any(name == root or name.startswith(f"{root}.") for root in FORBIDDEN)
    }
    assert not bad


def test_every_engine_module_stays_under_400_lines():
    long = {path.name: n for path in ENGINE.glob("*.py") if (n := len(path.read_text().splitlines())) > 400}
    assert not long


def test_the_engine_modules_import_each_other_without_cycles():
    graph = {
        f"workers.local.{path.stem}": {name for name in engine_imports(path) if name.startswith("workers.local.")}
        for path in ENGINE.glob("*.py")
        if path.stem != "__init__"
    }
    done: set[str] = set()

    def visit(module: str, chain: tuple[str, ...]) -> None:
        assert module not in chain, f"import cycle: {' -> '.join((*chain, module))}"
        if module not in done:
            for imported in graph.get(module, ()):
                visit(imported, (*chain, module))
            done.add(module)

    for module in graph:
        visit(module, ())
