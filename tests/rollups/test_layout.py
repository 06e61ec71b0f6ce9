"""The analysis area's imports go one way: the service never imports its tasks, and the
resilience rules stay pure (no Django models)."""

import ast
from pathlib import Path

import registry.analysis

ANALYSIS = Path(registry.analysis.__file__).parent
#: The interface modules of the area: they may import the tasks.
INTERFACES = {"tasks.py", "signals.py"}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_no_analysis_service_imports_a_task_module():
    for path in ANALYSIS.rglob("*.py"):
        if path.name in INTERFACES:
            continue
        imported = imported_modules(path)
        assert not {"registry.tasks", "registry.analysis.tasks"} & imported, path.name
        assert "registry.analysis.signals" not in imported, path.name


def test_the_resilience_rules_import_no_django_models():
    for path in (ANALYSIS / "resilience").rglob("*.py"):
        imported = imported_modules(path)
        assert not any(name.startswith(("registry.models", "django.db")) for name in imported)


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    """The check would catch the old shape: a task imported inside a function."""
    service = tmp_path / "service.py"
    service.write_text("def queue():\n    from registry.tasks import recompute_team_task\n")
    assert "registry.tasks" in imported_modules(service)
