"""/metrics: refused without the token or an allowed address; the posture gauges follow
the stored rollups after a recompute; the shipped alert rules and dashboard name only
metrics the app exports."""

import json
import re
from pathlib import Path

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from prometheus_client.parser import text_string_to_metric_families

from fmea import metrics as process_metrics
from registry.analysis import rollups
from registry.models import FailureMode
from tests.factories import ActionFactory, FailureModeFactory, StepFactory

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "scrape-token-for-tests-0123456789"


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []


def scrape(client) -> dict:
    """{(name, frozenset(labels)): value} of one scrape."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def gauge(samples: dict, name: str, **labels) -> float | None:
    return samples.get((name, frozenset(labels.items())))


@pytest.mark.parametrize(
    "header", [None, "Bearer wrong-token", f"Token {TOKEN}", f"bearer{TOKEN}"]
)
def test_it_refuses_a_scrape_without_the_token(client, token, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert b"fmea_" not in response.content


def test_it_refuses_everyone_when_nothing_is_configured(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = []
    assert client.get("/metrics").status_code == 403


def test_an_allowed_network_scrapes_without_a_token(client, settings, db):
    import ipaddress

    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]
    assert client.get("/metrics").status_code == 200
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    assert client.get("/metrics").status_code == 403


def test_the_posture_gauges_change_after_a_recompute(client, token, team_a):
    """9 × 8 × 8 = 576 (AP High), then re-rated 10 × 8 × 8 = 640; a second failure
    mode 2 × 2 × 2 = 8 is Low; the overdue action counts once."""
    step = StepFactory(application__team=team_a)
    level = str(step.application.tier.level)
    high = FailureModeFactory(step=step, severity=9, probability=8, detectability=8)
    FailureModeFactory(step=step, severity=2, probability=2, detectability=2)
    rollups.recompute_team(team_a.pk)

    before = scrape(client)
    assert gauge(before, "fmea_rpn_max", team="team-a", tier=level) == 576
    assert gauge(before, "fmea_failure_modes", team="team-a", tier=level, action_priority="H") == 1
    assert gauge(before, "fmea_failure_modes", team="team-a", tier=level, action_priority="L") == 1
    assert gauge(before, "fmea_failure_modes", team="team-a", tier=level, action_priority="M") == 0
    assert gauge(before, "fmea_overdue_actions", team="team-a", tier=level) == 0
    # Severity 9 with AP High and no action: critical.
    critical = {"kind": "unmitigated_high_risk", "severity": "critical"}
    assert gauge(before, "fmea_open_findings", team="team-a", tier=level, **critical) == 1
    assert gauge(before, "fmea_recompute_pending", team="team-a") == 0
    assert 0 <= gauge(before, "fmea_recompute_age_seconds", team="team-a") < 60

    high = FailureMode.objects.get(pk=high.pk)
    high.severity = 10
    high.save()
    ActionFactory(failure_mode=high, due_date="2020-01-01")
    assert gauge(scrape(client), "fmea_rpn_max", team="team-a", tier=level) == 576  # stored
    rollups.recompute_team(team_a.pk)
    after = scrape(client)
    assert gauge(after, "fmea_rpn_max", team="team-a", tier=level) == 640
    assert gauge(after, "fmea_overdue_actions", team="team-a", tier=level) == 1


def test_a_scrape_costs_the_same_queries_whatever_the_register_holds(client, token, team_a):
    step = StepFactory(application__team=team_a)
    FailureModeFactory(step=step)
    rollups.recompute_team(team_a.pk)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            scrape(client)
        return len(captured)

    few = queries()
    for _ in range(30):
        FailureModeFactory(step=step, severity=9, probability=9, detectability=9)
    rollups.recompute_team(team_a.pk)
    assert queries() == few <= 4


def test_requests_are_counted_by_view(client, token, db):
    client.get("/healthz")
    samples = scrape(client)
    assert (
        gauge(samples, "fmea_http_requests_total", view="healthz", method="GET", status="200") >= 1
    )


def exported_names(client) -> set[str]:
    """Every sample name the app exports: the process metrics by their type's suffixes,
    and the posture gauges as a scrape lists them."""
    names = set()
    for metric in (
        process_metrics.REQUESTS,
        process_metrics.REQUEST_SECONDS,
        process_metrics.TASKS,
        process_metrics.TASK_FAILURES,
        process_metrics.TASK_SECONDS,
    ):
        for family in metric.describe():
            suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}
            names.update(family.name + suffix for suffix in suffixes[family.type])
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    names.update(
        family.name
        for family in text_string_to_metric_families(response.content.decode())
        if family.type == "gauge" and family.name.startswith("fmea_")
    )
    return names


METRIC = re.compile(r"\bfmea_[a-z_]+\b")


def alert_expressions() -> list[str]:
    rules = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    dashboard = json.loads((ROOT / "deploy/grafana/fmea.json").read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    expressions += [
        variable["query"]
        for variable in dashboard["templating"]["list"]
        if variable["type"] == "query"
    ]
    return expressions


@pytest.mark.parametrize("source", [alert_expressions, dashboard_expressions])
def test_every_shipped_expression_names_an_exported_metric(client, token, team_a, source):
    StepFactory(application__team=team_a)
    rollups.recompute_team(team_a.pk)
    exported = exported_names(client)
    assert {
        "fmea_rpn_max",
        "fmea_http_requests_total",
        "fmea_celery_task_failures_total",
    } <= exported
    expressions = source()
    assert expressions
    for expression in expressions:
        named = set(METRIC.findall(expression))
        assert named, f"names no metric: {expression}"
        assert named <= exported, f"{sorted(named - exported)} not exported: {expression}"


def test_the_alert_rules_have_what_prometheus_requires():
    rules = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())
    names = [rule["alert"] for group in rules["groups"] for rule in group["rules"]]
    assert len(names) == len(set(names))
    assert {"FmeaNewCriticalFinding", "FmeaRecomputeStale", "FmeaTaskFailures"} <= set(names)
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}
            assert rule["annotations"]["summary"]


def test_multiprocess_mode_adds_up_every_process(tmp_path):
    """gunicorn's workers and Celery's each count in files of their own in
    PROMETHEUS_MULTIPROC_DIR; a scrape in any process sees the sum."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    count = (
        "from fmea import metrics; "
        "metrics.TASKS.labels('registry.recompute_team', 'SUCCESS').inc({n})"
    )
    for n in (2, 3):  # two processes, as two gunicorn workers
        subprocess.run([sys.executable, "-c", count.format(n=n)], env=env, check=True, cwd=ROOT)
    read = (
        "from prometheus_client import generate_latest; from fmea import metrics; "
        "print(generate_latest(metrics.process_registry()).decode())"
    )
    scraped = subprocess.run(
        [sys.executable, "-c", read], env=env, check=True, cwd=ROOT, capture_output=True, text=True
    ).stdout
    samples = {
        (sample.name, sample.labels.get("task"), sample.labels.get("state")): sample.value
        for family in text_string_to_metric_families(scraped)
        for sample in family.samples
    }
    assert samples[("fmea_celery_tasks_total", "registry.recompute_team", "SUCCESS")] == 5
