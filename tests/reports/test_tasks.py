"""Tasks depend one way: the report and import services never import a tasks module;
the interfaces that request a run queue its generation once their transaction commits."""

import ast
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.test import APIClient

import registry
from registry.models import ReportRun
from registry.reports.tasks import generate_report_task

REGISTRY = Path(registry.__file__).parent
SERVICES = [
    path
    for folder in ("reports", "imports")
    for path in sorted((REGISTRY / folder).rglob("*.py"))
    if path.name != "tasks.py"
] + [REGISTRY / "jobs.py"]


def imported_modules(path: Path) -> set[str]:
    """Every module an import statement of the file names, top level or in a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_services_are_the_ones_expected():
    """The scan below covers the run, schedule and import services."""
    names = {path.relative_to(REGISTRY).as_posix() for path in SERVICES}
    assert {"reports/runs.py", "reports/schedules.py", "imports/jobs.py", "jobs.py"} <= names


@pytest.mark.parametrize("path", SERVICES, ids=lambda path: path.relative_to(REGISTRY).as_posix())
def test_a_service_module_imports_no_tasks_module(path):
    tasks = sorted(
        name for name in imported_modules(path) if name.split(".")[-1] in ("tasks", "celery")
    )
    assert tasks == []


@pytest.fixture
def queued(monkeypatch):
    """The run ids handed to the generation task's `delay`."""
    ids = []
    monkeypatch.setattr(generate_report_task, "delay", ids.append)
    return ids


def test_the_api_queues_the_run_once_the_request_commits(
    register_a, team_a, alice, queued, django_capture_on_commit_callbacks
):
    client = APIClient()
    client.force_authenticate(alice)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            "/api/v1/reports/", {"team": team_a.pk, "format": "csv"}, format="json"
        )
        assert queued == []  # not before the run is committed
    assert response.status_code == 202
    assert len(callbacks) == 1
    assert queued == [response.json()["id"]]


def test_the_reports_page_queues_the_run_once_the_request_commits(
    register_a, alice, queued, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/reports/", {"format": "pdf"})
    assert response.status_code == 302
    assert queued == [ReportRun.objects.get().pk]


def test_a_refused_request_queues_nothing(
    register_a, team_a, alice, queued, django_capture_on_commit_callbacks
):
    client = APIClient()
    client.force_authenticate(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/reports/", {"team": team_a.pk, "format": "doc"}, format="json"
        )
    assert response.status_code == 400
    assert queued == [] and not ReportRun.objects.exists()
