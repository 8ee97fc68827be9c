"""The layering ARCHITECTURE.md promises, read from the code's own imports (ast), so a new
module that breaks it fails here instead of being copied by the next feature."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_PACKAGES = ("designs", "workers", "project")
MAX_LINES = 600


def app_modules() -> list[Path]:
    return sorted(
        path for package in APP_PACKAGES for path in (ROOT / package).rglob("*.py") if "migrations" not in path.parts
    )


def dotted(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path = ROOT) -> set[str]:
    """Every module the file imports, at the top or inside a function, relative ones resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = dotted(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def under(module: str, *prefixes: str) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def breaches(
    paths: list[Path], forbidden: tuple[str, ...], allowed: tuple[str, ...] = (), root: Path = ROOT
) -> list[str]:
    return sorted(
        f"{dotted(path, root)} imports {module}"
        for path in paths
        for module in imports_of(path, root)
        if under(module, *forbidden) and not under(module, *allowed)
    )


def modules_in(package: str) -> list[Path]:
    return [path for path in app_modules() if under(dotted(path), package)]


def test_the_provider_package_knows_nothing_of_the_domain_or_the_pipeline():
    allowed = ("workers.providers", "workers.local")  # the local adapter drives the engine, which knows no Django
    assert breaches(modules_in("workers.providers"), ("designs", "workers"), allowed=allowed) == []


def test_the_local_engine_knows_no_django_no_domain_and_no_adapters():
    engine = modules_in("workers.local")
    assert engine, "the local engine package is missing"
    assert breaches(engine, ("django", "designs", "workers"), allowed=("workers.local",)) == []


def test_services_speak_no_http():
    forbidden = ("rest_framework", "django.http", "django.shortcuts", "designs.errors", "designs.api", "designs.views")
    assert breaches(modules_in("designs.services"), forbidden) == []


def test_the_domain_reaches_the_workers_only_through_the_dispatch_seam():
    domain = [path for path in app_modules() if under(dotted(path), "designs")]
    assert breaches(domain, ("workers",), allowed=("workers.dispatch",)) == []


def test_the_models_know_only_django_and_each_other():
    models = modules_in("designs.models")
    assert len(models) > 1, "designs.models is a package of modules by subject"
    assert breaches(models, ("designs", "workers"), allowed=("designs.models",)) == []


def test_the_django_admin_acts_through_services_and_never_through_pages():
    assert breaches(modules_in("designs.admin"), ("designs.views", "designs.api", "workers")) == []


def test_only_the_api_and_its_edges_import_drf():
    edges = ("designs.api", "designs.errors", "designs.auth", "designs.parsers", "designs.ratelimit")
    edges += ("designs.serializers", "designs.ws_auth", "designs.urls")
    inner = [path for path in app_modules() if not under(dotted(path), *edges, "project")]
    assert breaches(inner, ("rest_framework",)) == []


@pytest.mark.parametrize("path", app_modules(), ids=dotted)
def test_no_app_module_passes_the_line_limit(path: Path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{dotted(path)} has {lines} lines (limit {MAX_LINES}): split it"


def test_the_rules_see_a_breach_when_there_is_one(tmp_path: Path):
    """The reader itself can fail: a relative import inside a function is still an import."""
    module = tmp_path / "workers" / "providers" / "probe.py"
    module.parent.mkdir(parents=True)
    module.write_text("def f():\n    from ...designs import models\n")

    found = breaches([module], ("designs",), root=tmp_path)

    assert "workers.providers.probe imports designs.models" in found
