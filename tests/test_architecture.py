"""The import-linter contracts in pyproject.toml hold, and would catch a wrong-way import.

`make lint` runs the same contracts; these tests show they are not vacuous: a copy of
the code with one forbidden import added fails the contract it breaks.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the packages and the contracts, to break on purpose."""
    for package in ("registry", "fmea"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_contracts_hold(tree):
    """The code as it is keeps every contract."""
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        (
            "registry/analysis/resilience/objectives.py",
            "from registry.models import Team",
            "The pure rules import no models, querysets or services",
        ),
        (
            "registry/api/errors.py",
            "import registry.views.base",
            "The API and the browser views never import each other",
        ),
        (
            "registry/models/teams.py",
            "import registry.api.base",
            "Interfaces -> services -> models and querysets -> pure rules",
        ),
        (
            "registry/analysis/rollups.py",
            "import registry.analysis.tasks",
            "Services never import tasks: the caller queues",
        ),
        (
            "registry/jobs.py",
            "import registry.imports.jobs",
            "No import cycles between the app's packages and modules",
        ),
    ],
)
def test_a_forbidden_import_breaks_its_contract(tree, module, line, contract):
    """One wrong-way import makes lint-imports fail and name the contract it broke."""
    path = tree / module
    path.write_text(path.read_text() + f"\n{line}  # noqa\n")
    result = lint_imports(tree)
    assert result.returncode == 1, result.stdout
    assert f"{contract} BROKEN" in result.stdout
