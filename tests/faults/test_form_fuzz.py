"""Bad input on every form of the browser pages.

An editor posts generated values to every page that takes a POST: text with control
characters, NUL bytes or thousands of characters, ratings out of range or not numbers,
negative and huge numbers, unknown choices, another team's ids, fields left out. Whatever
comes in, the page never answers 5xx, a refused post stores nothing, and every row a post
did store keeps the register's rules: ratings 1–10, RPN = S × P × D, the user's team,
and the model's full_clean().

Each example runs in a savepoint that is rolled back at its end, so every example starts
from the register the `world` fixture made once for the test (hence the suppressed
function-scoped-fixture health check).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_celery_beat.models import CrontabSchedule
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import registry
from registry import scoring
from registry.choices import (
    ActionPriority,
    ActionStatus,
    ComponentKind,
    FailureCategory,
    FailureModeStatus,
    Role,
    SuppressionStatus,
    TemplateComponentKind,
)
from registry.models import (
    Action,
    Application,
    Baseline,
    BusinessFunction,
    Component,
    Dependency,
    DrStrategy,
    FailureMode,
    FailureModeTemplate,
    Finding,
    FindingSuppression,
    Incident,
    IncidentReceiver,
    Invitation,
    Membership,
    PagerDutyService,
    RecoveryTest,
    Region,
    ReportFormat,
    ReportRun,
    ReportSchedule,
    Step,
    Team,
    Tier,
    WebhookDelivery,
    WebhookSubscription,
    WorksheetImport,
)
from registry.models.reports import parse_crontab
from registry.services import baselines
from registry.services.reference_data import load_reference_data
from registry.views.base import SESSION_KEY
from tests.factories import (
    ActionFactory,
    ApplicationFactory,
    BusinessFunctionFactory,
    ComponentFactory,
    DependencyFactory,
    FailureModeFactory,
    IncidentFactory,
    MembershipFactory,
    RecoveryTestFactory,
    StepFactory,
    TeamFactory,
)

pytestmark = [
    pytest.mark.django_db,
    # The login throttle's cache keys hold the user name as typed; Django warns that
    # memcached could not store such keys, but the cache is Redis or local memory.
    pytest.mark.filterwarnings("ignore::django.core.cache.backends.base.CacheKeyWarning"),
]

FUZZ = settings(
    max_examples=35,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
HTMX = {"HTTP_HX_REQUEST": "true"}
PASSWORD = "password"  # the factories' password
NEW_PASSWORD = "a-much-longer-secret-1"

# --- what is posted ---------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A posted value naming one of the `world` fixture's rows, resolved when posted."""

    name: str


#: Text anyone may send: any characters (control characters and NUL included), blank,
#: markup, and strings far longer than any field allows.
TEXT = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "\u202eevil",
            "<script>alert(1)</script>",
            "'; DROP TABLE registry_team; --",
            "😀" * 3,
            "İ",
            "\r\n",
        ]
    ),
    st.builds(
        lambda chunk, times: chunk * times, st.text(min_size=1, max_size=3), st.integers(70, 3000)
    ),
)
#: Numbers a hand-made request may carry: out of range, huge, negative, not integers,
#: not numbers at all.
NUMBER = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.integers(2**63, 2**80).map(str),  # past every integer column
    st.sampled_from(
        [
            "0",
            "-1",
            "11",
            "32768",
            "2147483648",
            "9223372036854775808",
            "1e3",
            "1.5",
            "NaN",
            "-inf",
            "٣",
            "0x10",
            " 5 ",
            "5\x00",
            "9" * 5000,
        ]
    ),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    TEXT,
)
#: An id past every primary key: SQLite cannot even compare it (OverflowError).
HUGE_ID = str(2**63)
#: A name that a form accepts (unless it is taken).
NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz äöüçé-", min_size=1, max_size=30).filter(
    str.strip
)
PROSE = st.one_of(st.just(""), NAME)
RATING = st.integers(1, 10).map(str)


def refs(*names: str) -> st.SearchStrategy[Ref]:
    return st.sampled_from(names).map(Ref)


def choice(values) -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(values))


def bad_id(*names: str) -> st.SearchStrategy:
    """Ids the user must not get through: another team's rows, rows that do not exist,
    and values that are no ids at all."""
    return st.one_of(refs(*names, "missing"), NUMBER)


def several(strategy: st.SearchStrategy, max_size: int = 3) -> st.SearchStrategy[list]:
    return st.lists(strategy, max_size=max_size)


MISSING = object()


def posted_number(value: str) -> int | None:
    """The whole number a form reads from a posted value (None if it reads none)."""
    try:
        return forms.IntegerField().clean(value)
    except ValidationError:
        return None


@st.composite
def form_data(draw, valid: st.SearchStrategy[dict], bad: dict[str, st.SearchStrategy]):
    """A valid post with up to three fields made bad or left out (none: it is saved)."""
    data = dict(draw(valid))
    names = sorted(set(data) | set(bad))
    for name in draw(st.lists(st.sampled_from(names), max_size=3, unique=True)):
        value = draw(st.one_of(st.just(MISSING), bad.get(name, TEXT)))
        if value is MISSING:
            data.pop(name, None)
        else:
            data[name] = value
    return data


#: Whose row the URL names: mostly team A's own, else team B's or none.
TARGET = st.sampled_from(["own", "own", "own", "foreign", "missing"])

# --- the register the posts go to ------------------------------------------------------


@pytest.fixture
def world(alice, bob, charlie, team_a, team_b, settings, tmp_path) -> SimpleNamespace:
    """Team A (alice owns it, bob edits it; alice also views team C) with a small
    register, and team B (charlie's) with the same shape: its ids are what bob must never
    reach."""
    settings.MEDIA_ROOT = tmp_path / "media"
    load_reference_data()
    team_c = TeamFactory(name="Team C", slug="team-c")
    MembershipFactory(team=team_c, user=alice, role=Role.VIEWER)
    tier = Tier.objects.get(level=1)
    strategy = DrStrategy.objects.get(code="warm_standby")
    ids = {"team_a": team_a.pk, "team_b": team_b.pk, "team_c": team_c.pk}
    for prefix, team, owner in (("a", team_a, alice), ("b", team_b, charlie)):
        function = BusinessFunctionFactory(team=team, name="Take orders")
        app = ApplicationFactory(
            team=team, name="Orders", tier=tier, dr_strategy=strategy, business_function=function
        )
        step = StepFactory(application=app, order=1, name="Pay")
        database = ComponentFactory(team=team, name="Orders table", kind=ComponentKind.DATABASE)
        queue = ComponentFactory(team=team, name="Order queue", kind=ComponentKind.QUEUE)
        as_component = ComponentFactory(
            team=team, name="Orders app", kind=ComponentKind.APPLICATION, application=app
        )
        dependency = DependencyFactory(step=step, component=database)
        DependencyFactory(step=None, dependant_component=as_component, component=queue)
        # Severity 9 with AP High: a management review is due.
        failure_mode = FailureModeFactory(
            step=step, component=database, severity=9, probability=7, detectability=6
        )
        action = ActionFactory(failure_mode=failure_mode)
        finding = Finding.objects.create(
            team=team,
            key=f"management_review_missing:failure_mode:{failure_mode.pk}",
            kind="management_review_missing",
            severity="high",
            message="It needs a management review sign-off.",
            failure_mode=failure_mode,
            first_seen_at=timezone.now(),
            computed_at=timezone.now(),
        )
        schedule = ReportSchedule.objects.create(
            team=team,
            name="Weekly",
            crontab="0 7 * * 1",
            recipients="risk@example.com",
            created_by=owner,
        )
        baseline = baselines.freeze(application=app, user=owner, title="Rev one")
        drill = RecoveryTestFactory(application=app, step=step)
        incident = IncidentFactory(
            team=team, started_at=timezone.now() - datetime.timedelta(days=20)
        )
        incident.failure_modes.add(failure_mode)
        ids |= {
            f"{prefix}_drill": drill.pk,
            f"{prefix}_incident": incident.pk,
            f"{prefix}_baseline": baseline.pk,
            f"{prefix}_bf": function.pk,
            f"{prefix}_app": app.pk,
            f"{prefix}_step": step.pk,
            f"{prefix}_db": database.pk,
            f"{prefix}_queue": queue.pk,
            f"{prefix}_app_component": as_component.pk,
            f"{prefix}_dep": dependency.pk,
            f"{prefix}_fm": failure_mode.pk,
            f"{prefix}_fm_version": failure_mode.version,
            f"{prefix}_action": action.pk,
            f"{prefix}_action_version": action.version,
            f"{prefix}_finding": finding.pk,
            f"{prefix}_schedule": schedule.pk,
        }
    ids |= {f"tier{tier.level}": tier.pk for tier in Tier.objects.all()}
    ids |= {f"strategy_{dr.code}": dr.pk for dr in DrStrategy.objects.all()}
    ids |= {f"region_{region.code}": region.pk for region in Region.objects.all()}
    templates = FailureModeTemplate.objects.order_by("pk")
    ids |= {f"template_{index}": template.pk for index, template in enumerate(templates[:3])}
    ids["missing"] = 10**9
    return SimpleNamespace(ids=ids, alice=alice, bob=bob, charlie=charlie, team_a=team_a)


def resolve(world: SimpleNamespace, value):
    if isinstance(value, Ref):
        return str(world.ids[value.name])
    if isinstance(value, list):
        return [resolve(world, item) for item in value]
    if isinstance(value, dict):
        return {name: resolve(world, item) for name, item in value.items()}
    return value


def target_pk(world: SimpleNamespace, prefix_name: str, target: str) -> int:
    """The pk of team A's row (`own`), team B's (`foreign`) or of none (`missing`)."""
    if target == "missing":
        return world.ids["missing"]
    return world.ids[f"{'a' if target == 'own' else 'b'}_{prefix_name}"]


# --- posting and checking ---------------------------------------------------------------

#: Rows a form may write, and the lookup from each to its team.
WATCHED: dict[type[models.Model], str] = {
    BusinessFunction: "team",
    Application: "team",
    Application.regions.through: "application__team",
    Step: "application__team",
    Component: "team",
    Component.regions.through: "component__team",
    Component.replica_regions.through: "component__team",
    Component.backup_copy_regions.through: "component__team",
    Dependency: "component__team",
    RecoveryTest: "team",
    FailureMode: "team",
    Action: "failure_mode__team",
    FindingSuppression: "team",
    ReportSchedule: "team",
    ReportRun: "team",
    Baseline: "team",
    WorksheetImport: "team",
    Incident: "team",
    Incident.components.through: "incident__team",
    Incident.failure_modes.through: "incident__team",
    IncidentReceiver: "team",
    PagerDutyService: "team",
    Membership: "team",
    Team: "pk",
}
#: Link rows, checked by the teams of both their ends (no full_clean of their own).
LINK_ROWS = (
    Application.regions.through,
    Component.regions.through,
    Component.replica_regions.through,
    Component.backup_copy_regions.through,
    Incident.components.through,
    Incident.failure_modes.through,
)
#: Rows no form may change.
FROZEN = (Membership, Team)
REFUSED = {400, 403, 404, 405, 409, 422, 429}


@dataclass
class Snapshot:
    rows: dict[tuple[type, int], dict]
    team_rows: dict[type, set[int]]

    @classmethod
    def take(cls, team_id: int | None) -> Snapshot:
        """Every watched row, and which of them are the team's, in one query per model."""
        rows, team_rows = {}, {}
        for model, path in WATCHED.items():
            team_rows[model] = set()
            for values in model._base_manager.annotate(of_team=F(path)).order_by("pk").values():
                rows[(model, values["id"])] = values
                if values.pop("of_team") == team_id:
                    team_rows[model].add(values["id"])
        return cls(rows, team_rows)


@dataclass
class Outcome:
    response: object
    refused: bool
    changed: list[tuple[type, int]]
    deleted: list[tuple[type, int]]
    client: Client

    def saved(self, model: type) -> list[int]:
        return [pk for changed_model, pk in self.changed if changed_model is model]


def refused(response) -> bool:
    """Refused: an error status, or a redirect that carries an error message."""
    if response.status_code in REFUSED:
        return True
    stored = getattr(response.wsgi_request, "_messages", [])
    return any(message.level_tag == "error" for message in stored)


def teams_of(row: models.Model) -> set[int]:
    """Every team the row and the rows it points to belong to."""
    match row:
        case FailureMode():
            teams = {row.team_id, row.step.application.team_id}
            return teams | ({row.component.team_id} if row.component_id else set())
        case Action():
            return {row.failure_mode.team_id}
        case Step():
            return {row.application.team_id}
        case Dependency():
            dependant = row.step.application if row.step_id else row.dependant_component
            return {row.component.team_id, dependant.team_id}
        case Application():
            function = row.business_function
            return {row.team_id} | ({function.team_id} if function else set())
        case Component():
            return {row.team_id} | ({row.application.team_id} if row.application_id else set())
        case RecoveryTest():
            teams = {row.team_id, row.application.team_id}
            return teams | ({row.step.application.team_id} if row.step_id else set())
    if isinstance(row, Incident.components.through):
        return {row.incident.team_id, row.component.team_id}
    if isinstance(row, Incident.failure_modes.through):
        return {row.incident.team_id, row.failuremode.team_id}
    if isinstance(row, PagerDutyService):
        return {row.team_id, row.component.team_id}
    if hasattr(row, "application"):  # the regions of an application
        return {row.application.team_id}
    if hasattr(row, "component"):  # the regions of a component
        return {row.component.team_id}
    return {row.team_id}


def check_rules(row: models.Model, team_id: int) -> None:
    """The register's rules on one stored row."""
    assert teams_of(row) == {team_id}, f"{row!r} is not only team {team_id}'s"
    if isinstance(row, FailureMode):
        ratings = [row.severity, row.probability, row.detectability]
        assert all(1 <= rating <= 10 for rating in ratings), ratings
        assert row.rpn == math.prod(ratings)
        assert row.action_priority == scoring.action_priority(*ratings)
        revised = [row.revised_severity, row.revised_probability, row.revised_detectability]
        if None in revised:
            assert revised == [None] * 3 and row.revised_rpn is None, revised
        else:
            assert all(1 <= rating <= 10 for rating in revised), revised
            assert row.revised_rpn == math.prod(revised)
            assert row.revised_action_priority == scoring.action_priority(*revised)
    if isinstance(row, Action):
        done = row.status in (ActionStatus.DONE, ActionStatus.VERIFIED)
        assert done == (row.completed_at is not None)
    if isinstance(row, ReportSchedule):
        # The beat entry fires the stored crontab.
        task = row.periodic_task
        assert task is not None and task.enabled == row.enabled
        fields = parse_crontab(row.crontab)
        assert {name: getattr(task.crontab, name) for name in fields} == fields
        for name, value in fields.items():
            assert len(value) <= CrontabSchedule._meta.get_field(name).max_length, name
    if isinstance(row, WorksheetImport):
        # An import that crashed records "The import failed: <exception>".
        assert not any("The import failed" in error["message"] for error in row.errors or [])
    if isinstance(row, Incident):
        assert not row.time_errors(), row.time_errors()
    if not isinstance(row, LINK_ROWS):
        row.full_clean()


#: One client for every example: loading the middleware for each new client costs more
#: than the request.
CLIENT = Client()


@contextmanager
def rolled_back() -> Iterator[None]:
    """One example: whatever it writes is undone at its end."""
    cache.clear()  # login throttle counters
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def submit(user, url: str, data=None, *, prepare=None, then=None, **extra) -> Outcome:
    """Post as `user` (None: anonymously) and check the outcome, all rolled back at the
    end: never 5xx; refused, nothing stored; saved, every changed row keeps the rules and
    is of the user's current team (an anonymous post stores nothing in the register).

    `prepare(client)` runs before the post; `then(outcome)` after the checks, while the
    example's rows still exist."""
    with rolled_back():
        client = CLIENT
        client.cookies = SimpleCookie()  # signed out, no session
        team_id = None
        if user is not None:
            client.force_login(user)
            team_id = Membership.objects.filter(user=user).order_by("team__name")[0].team_id
        if prepare is not None:
            prepare(client)
        before = Snapshot.take(team_id)
        if isinstance(data, bytes):  # sent as it is, whatever its content type says
            response = client.generic("POST", url, data, **extra)
        else:
            response = client.post(url, data if data is not None else {}, **extra)
        assert response.status_code < 500, response.content[:2000]
        after = Snapshot.take(team_id)
        changed = [key for key, values in after.rows.items() if before.rows.get(key) != values]
        deleted = [key for key in before.rows if key not in after.rows]
        outcome = Outcome(response, refused(response), changed, deleted, client)
        if outcome.refused or team_id is None:
            assert not changed and not deleted, f"stored {changed}, deleted {deleted}"
        for model, pk in deleted:
            assert pk in before.team_rows[model], f"deleted another team's {model.__name__}"
        for model, pk in changed:
            assert model not in FROZEN, f"changed a {model.__name__}"
            assert pk in after.team_rows[model], f"stored another team's {model.__name__}"
            check_rules(model._base_manager.get(pk=pk), team_id)
        if then is not None:
            then(outcome)
        return outcome


def fuzzes(*names: str):
    """Marks a test as the fuzz of the named POST routes (see the coverage test)."""
    FUZZED.update(names)
    return lambda test: test


FUZZED: set[str] = set()

# --- applications, steps, components, business functions -------------------------------

APPLICATION = form_data(
    st.fixed_dictionaries(
        {
            "name": NAME,
            "business_function": st.one_of(st.just(""), refs("a_bf")),
            "description": PROSE,
            "tier": refs("tier1", "tier2", "tier3"),
            "dr_strategy": refs("strategy_backup_restore", "strategy_warm_standby"),
            "regions": several(refs("region_eu-west-1", "region_us-east-1")),
            "data_residency": st.sampled_from(["", "EU", "US"]),
            "owner": PROSE,
        }
    ),
    {
        "business_function": bad_id("b_bf"),
        "tier": NUMBER,
        "dr_strategy": NUMBER,
        "regions": several(st.one_of(NUMBER, refs("missing"))),
        "data_residency": TEXT,
    },
)


@fuzzes("registry:application_new", "registry:application_edit")
@FUZZ
@given(data=APPLICATION, target=st.one_of(st.none(), TARGET))
@example(
    data={
        "name": "Billing",
        "tier": Ref("tier1"),
        "dr_strategy": Ref("strategy_warm_standby"),
        "regions": [HUGE_ID],
    },
    target=None,
)
def test_application_forms(world, data, target):
    """New and edit: every stored application is team A's with team A's function."""
    url = (
        reverse("registry:application_new")
        if target is None
        else reverse("registry:application_edit", args=[target_pk(world, "app", target)])
    )
    outcome = submit(world.bob, url, resolve(world, data))
    if target in ("foreign", "missing"):
        assert outcome.response.status_code == 404


STEP = form_data(
    st.fixed_dictionaries(
        {
            "order": st.integers(2, 40).map(str),
            "name": NAME,
            "description": PROSE,
            "rto_seconds": st.one_of(st.just(""), st.integers(0, 7200).map(str)),
            "rpo_seconds": st.one_of(st.just(""), st.integers(0, 30).map(str)),
            "availability_target": st.sampled_from(["", "99.999", "99.9999", "100"]),
        }
    ),
    {
        "order": NUMBER,
        "rto_seconds": NUMBER,
        "rpo_seconds": NUMBER,
        "availability_target": NUMBER,
    },
)


@fuzzes("registry:step_new", "registry:step_edit")
@FUZZ
@given(data=STEP, target=TARGET, new=st.booleans())
def test_step_forms(world, data, target, new):
    """A step's objectives only ever tighten its tier's (full_clean checks that)."""
    url = (
        reverse("registry:step_new", args=[target_pk(world, "app", target)])
        if new
        else reverse("registry:step_edit", args=[target_pk(world, "step", target)])
    )
    submit(world.bob, url, resolve(world, data))


COMPONENT = form_data(
    st.fixed_dictionaries(
        {
            "name": NAME,
            "kind": choice(ComponentKind.values),
            "description": PROSE,
            "availability": st.sampled_from(["0", "99.9", "99.99", "100", "42.1234"]),
            "regions": several(refs("region_eu-west-1", "region_us-east-1")),
            "application": st.one_of(st.just(""), refs("a_app")),
            "recovery_time_seconds": st.sampled_from(["", "0", "600"]),
            "replication": choice(["none", "async", "sync"]),
            "replication_lag_seconds": st.sampled_from(["", "2"]),
            "replica_regions": several(refs("region_eu-central-1")),
            "backup_interval_seconds": st.sampled_from(["", "86400"]),
            "backup_copy_regions": several(refs("region_us-east-1")),
            "point_in_time_recovery": st.sampled_from(["", "on"]),
            "pitr_window_days": st.sampled_from(["", "7"]),
        }
    ),
    {
        "kind": TEXT,
        "availability": NUMBER,
        "regions": several(st.one_of(NUMBER, refs("missing"))),
        "application": bad_id("b_app"),
        "recovery_time_seconds": NUMBER,
        "replication_lag_seconds": NUMBER,
        "backup_interval_seconds": NUMBER,
        "replica_regions": several(st.one_of(NUMBER, refs("missing"))),
    },
)


@fuzzes("registry:component_new", "registry:component_edit")
@FUZZ
@given(data=COMPONENT, target=st.one_of(st.none(), TARGET))
@example(
    data={"name": "Cache", "kind": "service", "availability": "99.9", "regions": [HUGE_ID]},
    target=None,
)
def test_component_forms(world, data, target):
    """A component links only to team A's applications, and only as kind application."""
    url = (
        reverse("registry:component_new")
        if target is None
        else reverse("registry:component_edit", args=[target_pk(world, "db", target)])
    )
    submit(world.bob, url, resolve(world, data))


RECOVERY_TEST = form_data(
    st.fixed_dictionaries(
        {
            "disruption": choice(["component", "region", "data_corruption"]),
            "step": st.one_of(st.just(""), refs("a_step")),
            "performed_on": st.sampled_from(["2026-05-01", "2026-01-31"]),
            "scenario": NAME,
            "measured_rto_seconds": st.sampled_from(["", "0", "7200", "10800"]),
            "measured_rpo_seconds": st.sampled_from(["", "0", "30"]),
            "outcome": choice(["passed", "failed", "partial"]),
            "runbook_url": st.sampled_from(["", "https://example.com/runbook"]),
            "notes": PROSE,
        }
    ),
    {
        "step": bad_id("b_step"),
        "performed_on": st.sampled_from(["2999-01-01", "yesterday", "2026-02-30"]),
        "measured_rto_seconds": NUMBER,
        "measured_rpo_seconds": NUMBER,
        "runbook_url": TEXT,
    },
)


@fuzzes("registry:recovery_test_new", "registry:recovery_test_edit")
@FUZZ
@given(data=RECOVERY_TEST, target=TARGET, new=st.booleans())
def test_recovery_test_forms(world, data, target, new):
    """A drill records against team A's own application and one of its steps only."""
    url = (
        reverse("registry:recovery_test_new", args=[target_pk(world, "app", target)])
        if new
        else reverse("registry:recovery_test_edit", args=[target_pk(world, "drill", target)])
    )
    submit(world.bob, url, resolve(world, data))


BUSINESS_FUNCTION = form_data(
    st.fixed_dictionaries(
        {"name": NAME, "description": PROSE, "priority": st.integers(1, 5).map(str)}
    ),
    {"priority": NUMBER},
)


@fuzzes("registry:business_function_new", "registry:business_function_edit")
@FUZZ
@given(data=BUSINESS_FUNCTION, target=st.one_of(st.none(), TARGET))
def test_business_function_forms(world, data, target):
    """New and edit: names unique within team A, priorities whole numbers."""
    url = (
        reverse("registry:business_function_new")
        if target is None
        else reverse("registry:business_function_edit", args=[target_pk(world, "bf", target)])
    )
    submit(world.bob, url, resolve(world, data))


DEPENDENCY = form_data(
    st.fixed_dictionaries(
        {
            "component": refs("a_db", "a_queue", "a_app_component"),
            "hard": st.sampled_from(["True", "False"]),
        }
    ),
    {"component": bad_id("b_db", "b_queue"), "hard": TEXT},
)


@fuzzes("registry:step_dependency_new", "registry:component_dependency_new")
@FUZZ
@given(data=DEPENDENCY, target=TARGET, kind=st.sampled_from(["step", "component"]))
def test_dependency_forms(world, data, target, kind):
    """No duplicate, no loop, no component of another team (the database's constraints
    would answer 500 if the form let one through)."""
    if kind == "step":
        url = reverse("registry:step_dependency_new", args=[target_pk(world, "step", target)])
    else:
        pk = target_pk(world, "app_component", target)
        url = reverse("registry:component_dependency_new", args=[pk])
    submit(world.bob, url, resolve(world, data))


JUNK = st.dictionaries(st.sampled_from(["version", "id", "team", "next", "x"]), TEXT, max_size=3)


@fuzzes(
    "registry:dependency_delete",
    "registry:step_review",
    "registry:failure_mode_delete",
    "registry:report_schedule_delete",
)
@FUZZ
@given(
    name=st.sampled_from(
        [
            ("registry:dependency_delete", "dep"),
            ("registry:step_review", "step"),
            ("registry:failure_mode_delete", "fm"),
            ("registry:report_schedule_delete", "schedule"),
        ]
    ),
    target=TARGET,
    data=JUNK,
)
def test_one_button_posts(world, name, target, data):
    """Deleting and reviewing act on team A's rows only; another team's is 404."""
    route, row = name
    outcome = submit(world.bob, reverse(route, args=[target_pk(world, row, target)]), data)
    assert outcome.response.status_code == (302 if target == "own" else 404)


# --- incidents: the form, links from either side, adopting evidence, receivers --------

MOMENT = st.sampled_from(["2026-11-02T10:00", "2026-11-02T10:40", "2026-11-02 12:00:00"])
INCIDENT = form_data(
    st.fixed_dictionaries(
        {
            "title": NAME,
            "severity": choice(["critical", "high", "medium", "low"]),
            "started_at": st.just("2026-11-02T09:00"),
            "detected_at": st.one_of(st.just(""), MOMENT),
            "resolved_at": st.one_of(st.just(""), MOMENT),
            "data_lost_seconds": st.one_of(st.just(""), st.integers(0, 3600).map(str)),
            "url": st.sampled_from(["", "https://example.com/i/1"]),
            "components": several(refs("a_db", "a_queue")),
            "failure_modes": several(refs("a_fm")),
        }
    ),
    {
        "started_at": TEXT,
        "detected_at": st.one_of(TEXT, st.just("2026-11-01T00:00")),
        "resolved_at": st.one_of(TEXT, st.just("2026-11-01T00:00")),
        "data_lost_seconds": NUMBER,
        "url": TEXT,
        "components": several(bad_id("b_db")),
        "failure_modes": several(bad_id("b_fm")),
    },
)


@fuzzes("registry:incident_new", "registry:incident_edit")
@FUZZ
@given(data=INCIDENT, target=st.one_of(st.none(), TARGET))
def test_incident_forms(world, data, target):
    """An incident links only team A's components and failure modes; it is not detected
    or resolved before it started (the CHECKs would answer 500 if the form let it by)."""
    url = (
        reverse("registry:incident_new")
        if target is None
        else reverse("registry:incident_edit", args=[target_pk(world, "incident", target)])
    )
    submit(world.bob, url, resolve(world, data))


@fuzzes("registry:incident_link", "registry:adopt_evidence")
@FUZZ
@given(
    link=st.fixed_dictionaries(
        {
            "incident": st.one_of(refs("a_incident"), bad_id("b_incident")),
            "failure_mode": st.one_of(refs("a_fm"), bad_id("b_fm")),
            "unlink": st.sampled_from(["", "1"]),
            "next": st.one_of(TEXT, st.just("https://evil.example.com/")),
        }
    ),
    scale=st.one_of(choice(["probability", "detectability"]), TEXT),
    target=TARGET,
)
def test_linking_and_adopting(world, link, scale, target):
    """Links stay within team A, a redirect stays on the site, and adopting sets a
    rating only from team A's own incidents."""
    outcome = submit(world.bob, reverse("registry:incident_link"), resolve(world, link))
    if outcome.response.status_code == 302:
        assert outcome.response["Location"].startswith("/")
    url = reverse("registry:adopt_evidence", args=[target_pk(world, "fm", target)])
    submit(world.bob, url, {"scale": scale})


@fuzzes("registry:receivers")
@FUZZ
@given(
    data=st.fixed_dictionaries(
        {
            "source": st.one_of(choice(["alertmanager", "pagerduty"]), TEXT),
            "what": st.one_of(choice(["rotate", "settings", "map", "unmap"]), TEXT),
            "component_label": TEXT,
            "signing_secret": TEXT,
            "service_id": TEXT,
            "component": st.one_of(refs("a_db"), bad_id("b_db")),
            "mapping": NUMBER,
        }
    ),
    owner=st.booleans(),
)
def test_receivers_page(world, data, owner):
    """Only an owner changes the receivers, and only team A's."""

    def issued_first(client):
        from registry.services.incidents import rotate_receiver_token

        for source in ("alertmanager", "pagerduty"):
            rotate_receiver_token(team_id=world.team_a.pk, source=source, user=None)

    outcome = submit(
        world.alice if owner else world.bob,
        reverse("registry:receivers"),
        resolve(world, data),
        prepare=issued_first,
    )
    if not owner:
        assert not outcome.changed


@fuzzes("registry:component_adopt_measured_availability")
@FUZZ
@given(target=TARGET, data=JUNK, down=st.booleans())
def test_adopting_measured_availability(world, target, data, down):
    """Adopting sets team A's component's availability from its own incidents only;
    another team's component is 404, and without downtime nothing changes."""

    def downtime(client):
        incident = Incident.objects.get(pk=world.ids["a_incident"])
        incident.resolved_at = incident.started_at + datetime.timedelta(hours=2)
        incident.save()
        incident.components.add(world.ids["a_db"])

    url = reverse(
        "registry:component_adopt_measured_availability", args=[target_pk(world, "db", target)]
    )
    outcome = submit(world.bob, url, data, prepare=downtime if down else None)
    assert outcome.response.status_code == (302 if target == "own" else 404)
    if target == "own" and not down:
        assert not outcome.changed


# --- failure modes: the worksheet row, the full form, the library, sign-off -------------


REVISED = ("revised_severity", "revised_probability", "revised_detectability")
RATING_NAMES = ("severity", "probability", "detectability", *REVISED)
#: A version the form used to take: its save's new version (one more) does not fit
#: PostgreSQL's integer column.
OVERFLOWING_VERSION = str(2**31 - 1)


@st.composite
def revised_ratings(draw) -> dict:
    """All three revised ratings or none, as the form asks."""
    if draw(st.booleans()):
        return dict.fromkeys(REVISED, "")
    return {name: draw(RATING) for name in REVISED}


def failure_mode_data(version: st.SearchStrategy) -> st.SearchStrategy[dict]:
    valid = st.tuples(
        st.fixed_dictionaries(
            {
                "component": st.one_of(st.just(""), refs("a_db", "a_queue")),
                "mode": NAME,
                "failure_category": choice(FailureCategory.values),
                "effect": PROSE,
                "cause": PROSE,
                "prevention_controls": PROSE,
                "detection_controls": PROSE,
                "severity": RATING,
                "probability": RATING,
                "detectability": RATING,
                "status": choice(FailureModeStatus.values),
                "version": version,
            }
        ),
        revised_ratings(),
    ).map(lambda parts: parts[0] | parts[1])
    bad = {
        "component": bad_id("b_db"),
        "failure_category": TEXT,
        "status": TEXT,
        "version": NUMBER,
        **dict.fromkeys(RATING_NAMES, NUMBER),
    }
    return form_data(valid, bad)


VALID_FAILURE_MODE = {
    "mode": "Disk full",
    "failure_category": FailureCategory.SINGLE_POINT_OF_FAILURE,
    "severity": "5",
    "probability": "4",
    "detectability": "3",
    "status": FailureModeStatus.OPEN,
}


def holds_the_posted_ratings(data: dict):
    """`then` check: a saved failure mode holds exactly the posted ratings."""

    def check(outcome: Outcome) -> None:
        for pk in outcome.saved(FailureMode):
            row = FailureMode.objects.get(pk=pk)
            for name in RATING_NAMES:
                posted = data.get(name, "")
                assert getattr(row, name) == (int(posted) if posted.strip() else None), name

    return check


@fuzzes("registry:failure_mode_edit", "registry:row_edit")
@FUZZ
@given(
    data=failure_mode_data(refs("a_fm_version")),
    target=TARGET,
    page=st.sampled_from(["full", "row", "row-htmx"]),
)
@example(data=VALID_FAILURE_MODE | {"version": OVERFLOWING_VERSION}, target="own", page="full")
@example(data=VALID_FAILURE_MODE | {"version": OVERFLOWING_VERSION}, target="own", page="row-htmx")
def test_failure_mode_forms(world, data, target, page):
    """The full edit form and the worksheet row (with and without htmx) save exactly the
    posted ratings, from the current version only."""
    pk = target_pk(world, "fm", target)
    data = resolve(world, data)
    check = holds_the_posted_ratings(data)
    if page == "full":
        submit(world.bob, reverse("registry:failure_mode_edit", args=[pk]), data, then=check)
    else:
        data["row"] = f"fm-{pk}"
        extra = HTMX if page == "row-htmx" else {}
        submit(world.bob, reverse("registry:row_edit", args=[pk]), data, then=check, **extra)


@fuzzes("registry:row_new")
@FUZZ
@given(
    data=failure_mode_data(st.just("")),
    target=TARGET,
    row=st.one_of(st.just("new-0123abcd"), TEXT),
    htmx=st.booleans(),
)
def test_new_worksheet_rows(world, data, target, row, htmx):
    """A new row is saved with the posted ratings, in team A's step only."""
    pk = target_pk(world, "step", target)
    data = resolve(world, data) | {"row": row}
    url = reverse("registry:row_new", args=[pk])
    check = holds_the_posted_ratings(data)
    submit(world.bob, url, data, then=check, **(HTMX if htmx else {}))


LIBRARY = form_data(
    st.fixed_dictionaries(
        {
            "component": st.one_of(st.just(""), refs("a_db", "a_queue")),
            "kind": st.one_of(st.just(""), choice(TemplateComponentKind.values)),
            "templates": st.lists(
                refs("template_0", "template_1", "template_2"), min_size=1, max_size=3
            ),
        }
    ),
    {
        "component": bad_id("b_db"),
        "kind": TEXT,
        "templates": several(st.one_of(NUMBER, refs("missing"))),
    },
)


@fuzzes("registry:library")
@FUZZ
@given(data=LIBRARY, target=TARGET)
@example(data={"templates": [HUGE_ID]}, target="own")
def test_adding_from_the_library(world, data, target):
    """Templates are added to team A's step only, with team A's component or none."""
    pk = target_pk(world, "step", target)
    submit(world.bob, reverse("registry:library", args=[pk]), resolve(world, data))


@fuzzes("registry:failure_mode_sign_off")
@FUZZ
@given(
    version=st.one_of(refs("a_fm_version"), NUMBER),
    target=TARGET,
    owner=st.booleans(),
)
@example(version=OVERFLOWING_VERSION, target="own", owner=True)
def test_management_sign_off(world, version, target, owner):
    """Only the owner signs off, only the current version, only team A's row."""
    user = world.alice if owner else world.bob
    pk = target_pk(world, "fm", target)
    url = reverse("registry:failure_mode_sign_off", args=[pk])
    outcome = submit(user, url, {"version": resolve(world, version)})
    if outcome.saved(FailureMode):
        assert owner and target == "own"
        assert posted_number(resolve(world, version)) == world.ids["a_fm_version"]


# --- baselines -------------------------------------------------------------------------

BASELINE = form_data(
    st.fixed_dictionaries({"title": NAME, "notes": PROSE}),
    {"title": st.one_of(TEXT, st.just(""), st.text(min_size=201, max_size=210))},
)


@fuzzes("registry:baselines")
@FUZZ
@given(data=BASELINE, target=TARGET, owner=st.booleans())
def test_freezing_a_baseline(world, data, target, owner):
    """Only an owner freezes, only of team A's applications, numbered after the last."""
    user = world.alice if owner else world.bob
    url = reverse("registry:baselines", args=[target_pk(world, "app", target)])

    def then(outcome) -> None:  # while the example's rows exist
        for pk in outcome.saved(Baseline):
            assert owner and target == "own"
            assert Baseline.objects.get(pk=pk).number == 2

    submit(user, url, resolve(world, data), then=then)


@fuzzes("registry:baseline_approve")
@FUZZ
@given(target=TARGET, owner=st.booleans())
def test_approving_a_baseline(world, target, owner):
    """Only an owner approves, only team A's baseline; the creator only as sole owner."""
    user = world.alice if owner else world.bob
    url = reverse("registry:baseline_approve", args=[target_pk(world, "baseline", target)])
    outcome = submit(user, url, {})
    if outcome.saved(Baseline):
        assert owner and target == "own"


# --- actions ---------------------------------------------------------------------------

DATE = st.one_of(st.just(""), st.dates().map(lambda day: day.isoformat()))
BAD_DATE = st.one_of(
    st.sampled_from(
        ["2025-02-30", "0000-01-01", "10000-01-01", "1-1-1", "31/12/2025", "2025-13-01"]
    ),
    NUMBER,
)


def action_data(version: st.SearchStrategy) -> st.SearchStrategy[dict]:
    return form_data(
        st.fixed_dictionaries(
            {
                "description": NAME,
                "owner": PROSE,
                "due_date": DATE,
                "status": choice(ActionStatus.values),
                "notes": PROSE,
                "version": version,
            }
        ),
        {"due_date": BAD_DATE, "status": TEXT, "version": NUMBER},
    )


@fuzzes("registry:action_new", "registry:action_edit")
@FUZZ
@given(
    data=st.one_of(
        st.tuples(st.just(True), action_data(st.just(""))),
        st.tuples(st.just(False), action_data(refs("a_action_version"))),
    ),
    target=TARGET,
)
@example(
    data=(
        False,
        {"description": "Add a replica", "status": "open", "version": OVERFLOWING_VERSION},
    ),
    target="own",
)
def test_action_forms(world, data, target):
    """A done action always carries its completion time."""
    new, fields = data
    url = (
        reverse("registry:action_new", args=[target_pk(world, "fm", target)])
        if new
        else reverse("registry:action_edit", args=[target_pk(world, "action", target)])
    )
    submit(world.bob, url, resolve(world, fields))


@fuzzes("registry:action_complete")
@FUZZ
@given(version=st.one_of(refs("a_action_version"), NUMBER), target=TARGET)
# Versions past PostgreSQL's integer are out of date, not a 500 from the UPDATE or from
# the model's validation.
@example(version=OVERFLOWING_VERSION, target="own")
@example(version=str(2**40), target="own")
def test_completing_an_action(world, version, target):
    """Only team A's action, only from its current version."""
    pk = target_pk(world, "action", target)
    outcome = submit(
        world.bob,
        reverse("registry:action_complete", args=[pk]),
        {"version": resolve(world, version)},
    )
    if outcome.saved(Action):
        assert target == "own"
        assert posted_number(resolve(world, version)) == world.ids["a_action_version"]


# --- findings set aside -----------------------------------------------------------------


@fuzzes("registry:finding_suppress", "registry:finding_unsuppress")
@FUZZ
@given(
    data=form_data(
        st.fixed_dictionaries(
            {
                "status": choice(SuppressionStatus.values),
                "reason": PROSE,
                "expires_on": DATE,
            }
        ),
        {"status": TEXT, "expires_on": BAD_DATE},
    ),
    target=TARGET,
    lift=st.booleans(),
)
def test_setting_a_finding_aside(world, data, target, lift):
    """Only team A's finding, with a reason and an expiry within a year; lifting one
    that is not set aside stores nothing."""
    pk = target_pk(world, "finding", target)
    route = "registry:finding_unsuppress" if lift else "registry:finding_suppress"
    outcome = submit(world.bob, reverse(route, args=[pk]), resolve(world, data))
    for saved in outcome.saved(FindingSuppression):
        assert target == "own" and not lift
        suppression = FindingSuppression.objects.get(pk=saved)
        assert suppression.reason.strip()
        assert (
            timezone.localdate()
            < suppression.expires_on
            <= timezone.localdate() + datetime.timedelta(366)
        )


# --- reports, schedules, imports --------------------------------------------------------


def scope_data() -> dict[str, st.SearchStrategy]:
    return {
        "tiers": several(st.sampled_from(["1", "2", "3", "4"])),
        "applications": several(refs("a_app")),
        "statuses": several(choice(FailureModeStatus.values)),
        "min_rpn": st.one_of(st.just(""), st.integers(1, 1000).map(str)),
        "action_priorities": several(choice(ActionPriority.values)),
    }


BAD_SCOPE = {
    "tiers": several(NUMBER),
    "applications": several(bad_id("b_app")),
    "statuses": several(TEXT),
    "min_rpn": NUMBER,
    "action_priorities": several(TEXT),
    "format": TEXT,
}


@fuzzes("registry:reports")
@FUZZ
@given(
    data=form_data(
        st.fixed_dictionaries({"format": choice(ReportFormat.values), **scope_data()}),
        BAD_SCOPE,
    )
)
@example(data={"format": "pdf", "applications": [HUGE_ID]})
def test_report_requests(world, data):
    """A run's scope names team A's applications only."""
    submit(world.bob, reverse("registry:reports"), resolve(world, data))


#: Crontabs built from the pieces Celery parses, many of them out of range or malformed.
CRON_FIELD = st.one_of(
    st.sampled_from(["*", "0", "7", "59", "60", "*/5", "*/0", "1-5", "5-1", "mon", "1,,2", "-1"]),
    st.sampled_from(["*/-1", "1--2", "1/2/3", "٣", "31", "13", "*/99999999999999999999"]),
    st.lists(st.integers(0, 6).map(str), min_size=10, max_size=40).map(",".join),
    TEXT,
)
CRONTAB = st.one_of(st.lists(CRON_FIELD, min_size=4, max_size=6).map(" ".join), TEXT)


@fuzzes("registry:report_schedule_new", "registry:report_schedule_edit")
@FUZZ
@given(
    data=form_data(
        st.fixed_dictionaries(
            {
                "name": NAME,
                "format": choice(ReportFormat.values),
                "crontab": st.sampled_from(["0 7 * * 1", "*/15 * * * *", "30 6 1 * *"]),
                "recipients": st.sampled_from(
                    ["risk@example.com", "a@example.com, b@example.org"]
                ),
                "enabled": st.sampled_from(["on", ""]),
                **scope_data(),
            }
        ),
        {**BAD_SCOPE, "crontab": CRONTAB, "recipients": TEXT, "enabled": TEXT},
    ),
    target=st.one_of(st.none(), TARGET),
)
@example(
    data={
        "name": "Daily",
        "format": "pdf",
        "crontab": "0 7 * * 1",
        "recipients": "a@b.org",
        "applications": [HUGE_ID],
    },
    target=None,
)
@example(
    # Celery's own parse error (not a ValueError) is a validation error, not a 500.
    data={"name": "Daily", "format": "pdf", "crontab": "1,,2 * * * *", "recipients": "a@b.org"},
    target=None,
)
@example(
    # A crontab field longer than its beat entry's column is refused, not stored anyway
    # (SQLite) or a database error (PostgreSQL).
    data={
        "name": "Daily",
        "format": "pdf",
        "crontab": "0 7 * * " + ",".join(["1"] * 40),
        "recipients": "a@b.org",
    },
    target=None,
)
def test_report_schedule_forms(world, data, target):
    """A stored schedule's beat entry fires the crontab it shows."""
    url = (
        reverse("registry:report_schedule_new")
        if target is None
        else reverse("registry:report_schedule_edit", args=[target_pk(world, "schedule", target)])
    )
    submit(world.bob, url, resolve(world, data))


SAMPLE = (Path(registry.__file__).parent / "data" / "sample_worksheet.csv").read_bytes()


BOUNDARY = "fuzz-boundary"


def multipart(fields: dict[str, str], file_name: str | None, content: bytes) -> bytes:
    """A multipart body as a hand-made request may send it: the file's name goes into its
    header exactly as given (quotes, control characters, path separators and all)."""
    parts = [
        f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}'.encode()
        for name, value in fields.items()
    ]
    if file_name is not None:
        header = (
            f'Content-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        )
        parts.append(header.encode() + content)
    body = b"".join(f"--{BOUNDARY}\r\n".encode() + part + b"\r\n" for part in parts)
    return body + f"--{BOUNDARY}--\r\n".encode()


@fuzzes("registry:imports")
@FUZZ
@given(
    dry_run=st.one_of(st.sampled_from(["on", "", "true", "false"]), TEXT, st.just(MISSING)),
    content=st.one_of(
        st.just(SAMPLE),
        st.just(b""),
        st.binary(max_size=300),
        st.builds(lambda text: SAMPLE + text.encode(), TEXT),
    ),
    file_name=st.one_of(
        st.just("worksheet.csv"),
        st.sampled_from(["", ".", "../../etc/passwd", "C:\\x\\..\\a.csv", 'a".csv']),
        TEXT,
        st.none(),
    ),
)
def test_worksheet_imports(world, dry_run, content, file_name):
    """Whatever the file, its name and the dry-run flag, an import stores only team A's
    rows (a dry run nothing but its job row), and no import crashes."""
    fields = {} if dry_run is MISSING else {"dry_run": dry_run}
    body = multipart(fields, file_name, content)
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    outcome = submit(world.bob, reverse("registry:imports"), body, content_type=content_type)
    if outcome.response.status_code == 302 and dry_run == "on":
        assert {model for model, _ in outcome.changed} <= {WorksheetImport}


INCIDENTS = (
    b"title,started_at,resolved_at,severity,components\n"
    b"Orders DB failover stuck,2026-10-01T09:00:00Z,2026-10-01T11:00:00Z,high,\n"
)


@fuzzes("registry:incident_import")
@FUZZ
@given(
    dry_run=st.one_of(st.sampled_from(["on", "", "true"]), TEXT, st.just(MISSING)),
    content=st.one_of(
        st.just(INCIDENTS),
        st.just(b""),
        st.binary(max_size=300),
        st.builds(lambda text: INCIDENTS + text.encode(), TEXT),
    ),
    file_name=st.one_of(
        st.just("incidents.csv"), st.sampled_from(["", "../../etc/passwd", 'a".csv']), TEXT
    ),
    confirm=st.one_of(st.just(MISSING), TEXT),
)
def test_incident_imports(world, dry_run, content, file_name, confirm):
    """Whatever the file, its name, the dry-run flag or a confirmation token, an import
    records only team A's incidents, a dry run none, a forged token none, and no import
    crashes."""
    fields = {} if dry_run is MISSING else {"dry_run": dry_run}
    if confirm is not MISSING:
        fields["confirm"] = confirm
    body = multipart(fields, file_name, content)
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    outcome = submit(
        world.bob, reverse("registry:incident_import"), body, content_type=content_type
    )
    if confirm is not MISSING or dry_run == "on":
        assert not outcome.changed


# --- the team switch and the accounts pages ---------------------------------------------

NEXT = st.one_of(
    st.sampled_from(
        [
            "/",
            "/applications/",
            "/failure-modes/?q=x",
            "/applications/1/",
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
            "/%00",
        ]
    ),
    TEXT,
)


def stays_on_this_site(response) -> None:
    location = response["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location


@fuzzes("registry:switch_team")
@FUZZ
@given(
    team=st.one_of(refs("team_a", "team_b", "team_c", "missing"), NUMBER, st.just(MISSING)),
    next_url=st.one_of(NEXT, st.just(MISSING)),
)
def test_switching_teams(world, team, next_url):
    """Only to one of the user's own teams (alice: A and C), and back to this site."""
    data = {"team": resolve(world, team), "next": next_url}
    data = {name: value for name, value in data.items() if value is not MISSING}

    def check(outcome: Outcome) -> None:
        assert outcome.response.status_code == 302
        stays_on_this_site(outcome.response)
        current = outcome.client.session.get(SESSION_KEY)
        assert current in (None, world.ids["team_a"], world.ids["team_c"])

    submit(world.alice, reverse("registry:switch_team"), data, then=check)


INVITATIONS = ("bob_invitation", "charlie_invitation")


@fuzzes("registry:invitations", "registry:invitation")
@FUZZ
@given(
    which=st.one_of(refs(*INVITATIONS, "missing"), NUMBER, st.just(MISSING)),
    decision=st.one_of(st.sampled_from(["accept", "decline"]), TEXT, st.just(MISSING)),
    by_link=st.booleans(),
)
def test_answering_invitations(world, which, decision, by_link):
    """Bob answers only his own invitation (to team B as viewer): accepting makes him a
    viewer there, declining removes it, anything else changes nothing. Memberships are
    frozen for every other form, so this one is checked on its own."""
    with rolled_back():
        mine = Invitation.objects.create(team_id=world.ids["team_b"], username="bob")
        other = Invitation.objects.create(team=world.team_a, username="charlie")
        ids = {"bob_invitation": mine.pk, "charlie_invitation": other.pk}
        ids["missing"] = world.ids["missing"]
        target = str(ids[which.name]) if isinstance(which, Ref) else which
        if by_link:
            tokens = {str(mine.pk): mine.token, str(other.pk): other.token}
            token = tokens.get(target) or (target if isinstance(target, str) else "") or "x"
            url = reverse("registry:invitation", args=["t"]).replace(
                "/t/", f"/{quote(token, safe='')}/"
            )
            data = {"decision": decision}
        else:
            url = reverse("registry:invitations")
            data = {"invitation": target, "decision": decision}
        data = {name: value for name, value in data.items() if value is not MISSING}
        CLIENT.cookies = SimpleCookie()
        CLIENT.force_login(world.bob)
        memberships = set(Membership.objects.values_list("team_id", "user_id", "role"))
        response = CLIENT.post(url, data)
        assert response.status_code < 500, response.content[:2000]
        joined = set(Membership.objects.values_list("team_id", "user_id", "role")) - memberships
        left = {mine.pk, other.pk} - set(Invitation.objects.values_list("pk", flat=True))
        # A generated number may happen to be the id of bob's invitation.
        answered = target == str(mine.pk) and decision in ("accept", "decline")
        expected = {(world.ids["team_b"], world.bob.pk, Role.VIEWER)}
        assert joined == (expected if answered and decision == "accept" else set())
        assert left == ({mine.pk} if answered else set())
        assert len(memberships) == Membership.objects.count() - len(joined)


WEBHOOK_URLS = st.one_of(
    st.sampled_from(
        [
            "https://93.184.215.14/hook",
            "http://127.0.0.1/hook",
            "https://10.0.0.1/hook",
            "ftp://93.184.215.14/hook",
            "https://[::1]/x",
        ]
    ),
    TEXT,
)
WEBHOOK_EVENTS = st.one_of(
    st.lists(st.sampled_from(["finding.opened", "report.ready", "finding.gone"]), max_size=3),
    st.just(MISSING),
)


@fuzzes("registry:webhooks", "registry:webhook_deliveries")
@FUZZ
@given(
    url=st.one_of(WEBHOOK_URLS, st.just(MISSING)),
    events=WEBHOOK_EVENTS,
    secret=st.one_of(st.just(""), st.just("s" * 20), TEXT, st.just(MISSING)),
    target=st.one_of(st.just("mine"), st.just("other"), NUMBER, TEXT),
    action=st.sampled_from(["subscribe", "delete", "redeliver"]),
    as_editor=st.booleans(),
)
def test_webhook_forms(world, url, events, secret, target, action, as_editor):
    """Only an owner changes the team's webhooks; a stored subscription keeps the rules
    (a public http(s) URL, known events, a long secret) and belongs to the team; another
    team's subscription and deliveries are never touched."""
    with rolled_back():
        mine = WebhookSubscription.objects.create(
            team=world.team_a, url="https://93.184.215.14/a", events=["finding.opened"]
        )
        other = WebhookSubscription.objects.create(
            team_id=world.ids["team_b"], url="https://93.184.215.14/b", events=["report.ready"]
        )
        delivered = {
            subscription.pk: WebhookDelivery.objects.create(
                subscription=subscription,
                event_type="report.ready",
                payload={"id": "x"},
                status="failed",
            )
            for subscription in (mine, other)
        }
        chosen = {"mine": mine.pk, "other": other.pk}.get(target, target)
        if action == "subscribe":
            address = reverse("registry:webhooks")
            fields = {"url": url, "events": events, "secret": secret, "description": "x"}
            data = {name: value for name, value in fields.items() if value is not MISSING}
        elif action == "delete":
            address, data = reverse("registry:webhooks"), {"delete": chosen}
        else:
            address = reverse("registry:webhook_deliveries", args=[mine.pk])
            data = {"redeliver": delivered.get(chosen, SimpleNamespace(pk=chosen)).pk}
        before = set(WebhookSubscription.objects.values_list("pk", "url"))
        CLIENT.cookies = SimpleCookie()
        CLIENT.force_login(world.bob if as_editor else world.alice)
        response = CLIENT.post(address, data)
        assert response.status_code < 500, response.content[:2000]
        after = set(WebhookSubscription.objects.values_list("pk", "url"))
        assert (other.pk, other.url) in after
        assert WebhookDelivery.objects.get(pk=delivered[other.pk].pk).status == "failed"
        if as_editor:
            assert response.status_code == 403 and after == before
        for subscription in WebhookSubscription.objects.exclude(pk__in=[mine.pk, other.pk]):
            assert subscription.team_id == world.team_a.pk
            subscription.full_clean()


@fuzzes("oidc_logout")
@FUZZ
@given(next_url=NEXT)
def test_signing_out_of_single_sign_on(world, next_url):
    """The sign-on's sign-out signs out and stays on this site, whatever is posted."""
    CLIENT.cookies = SimpleCookie()
    CLIENT.force_login(world.bob)
    response = CLIENT.post(reverse("oidc_logout"), {"next": next_url})
    assert response.status_code == 302
    stays_on_this_site(response)
    assert "_auth_user_id" not in CLIENT.session


@fuzzes("login")
@FUZZ
@given(
    username=st.one_of(st.sampled_from(["bob", "alice", "BOB"]), TEXT),
    password=st.one_of(st.just(PASSWORD), TEXT),
    next_url=NEXT,
)
def test_logging_in(world, username, password, next_url):
    """Only the right password signs in, and only to a page of this site."""
    data = {"username": username, "password": password, "next": next_url}
    outcome = submit(None, reverse("login"), data)
    if outcome.response.status_code == 302:
        assert username in ("bob", "alice") and password == PASSWORD
        stays_on_this_site(outcome.response)


@fuzzes("logout")
@FUZZ
@given(data=JUNK)
def test_logging_out(world, data):
    """Whatever else is posted, logging out redirects and stores nothing."""
    outcome = submit(world.bob, reverse("logout"), data)
    assert outcome.response.status_code == 302


def password_unchanged(user) -> bool:
    return get_user_model().objects.get(pk=user.pk).check_password(PASSWORD)


@fuzzes("password_change")
@FUZZ
@given(
    data=form_data(
        st.fixed_dictionaries(
            {
                "old_password": st.just(PASSWORD),
                "new_password1": st.just(NEW_PASSWORD),
                "new_password2": st.just(NEW_PASSWORD),
            }
        ),
        {},
    )
)
def test_changing_the_password(world, data):
    """The password changes only given the old one and the new one twice."""

    def check(outcome: Outcome) -> None:
        if not password_unchanged(world.bob):
            assert data.get("old_password") == PASSWORD
            assert data.get("new_password1") == data.get("new_password2")
            assert outcome.response.status_code == 302

    submit(world.bob, reverse("password_change"), data, then=check)


@fuzzes("password_reset", "password_reset_confirm")
@FUZZ
@given(
    email=st.one_of(st.sampled_from(["bob@example.com", "BOB@example.com"]), TEXT),
    uid=st.one_of(st.just("bob"), TEXT),
    token=st.one_of(st.sampled_from(["valid", "set-password"]), TEXT),
    passwords=st.tuples(
        st.one_of(st.just(NEW_PASSWORD), TEXT), st.one_of(st.just(NEW_PASSWORD), TEXT)
    ),
)
def test_resetting_the_password(world, email, uid, token, passwords):
    """Mail goes only to the address of an account; a reset link sets a password only
    with its token (visited first, as the emailed link is)."""
    mail.outbox.clear()
    submit(None, reverse("password_reset"), {"email": email})
    assert all(message.to == [world.bob.email] for message in mail.outbox)

    uidb64 = urlsafe_base64_encode(force_bytes(world.bob.pk)) if uid == "bob" else uid
    valid = token == "valid"
    if valid:
        token = default_token_generator.make_token(world.bob)

    def link(token: str) -> str:
        parts = (quote(part, safe="") or "x" for part in (uidb64, token))
        return (
            reverse("password_reset_confirm", args=["u", "t"])
            .replace("/u/t/", "/{}/{}/")
            .format(*parts)
        )

    def check(outcome: Outcome) -> None:
        if not password_unchanged(world.bob):
            assert valid and uid == "bob" and passwords == (NEW_PASSWORD, NEW_PASSWORD)

    data = {"new_password1": passwords[0], "new_password2": passwords[1]}
    if valid:
        submit(
            None,
            link("set-password"),
            data,
            prepare=lambda client: client.get(link(token)),
            then=check,
        )
    else:
        submit(None, link(token), data, then=check)


# --- every POST route is fuzzed ---------------------------------------------------------

#: Function views that do not take a POST.
GET_ONLY_FUNCTIONS = {"healthz", "readyz", "metrics"}
#: URL prefixes whose forms are fuzzed elsewhere: the admin is Django's own, and the API
#: is fuzzed by schemathesis (tests/api/test_schema*.py).
ELSEWHERE = ("admin/", "api/")


def post_routes(patterns=None, prefix: str = "", namespace: str = "") -> Iterator[str]:
    """Names of the URL patterns whose views take a POST."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(ELSEWHERE):
            continue
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from post_routes(pattern.url_patterns, route, inner)
            continue
        assert isinstance(pattern, URLPattern)
        view = getattr(pattern.callback, "view_class", None)
        if view is None:
            assert pattern.name in GET_ONLY_FUNCTIONS, f"function view {route}: fuzz it"
        elif "post" in view.http_method_names and hasattr(view, "post"):
            yield namespace + pattern.name


def test_every_form_page_is_fuzzed():
    """A new page that takes a POST needs its fuzz here."""
    assert set(post_routes()) == FUZZED


#: A pk (of team A's rows) for each route that needs one.
ROUTE_ARGS = {
    "registry:application_edit": "a_app",
    "registry:step_new": "a_app",
    "registry:step_edit": "a_step",
    "registry:step_review": "a_step",
    "registry:step_dependency_new": "a_step",
    "registry:component_dependency_new": "a_app_component",
    "registry:dependency_delete": "a_dep",
    "registry:row_new": "a_step",
    "registry:library": "a_step",
    "registry:row_edit": "a_fm",
    "registry:failure_mode_edit": "a_fm",
    "registry:failure_mode_delete": "a_fm",
    "registry:failure_mode_sign_off": "a_fm",
    "registry:action_new": "a_fm",
    "registry:action_edit": "a_action",
    "registry:action_complete": "a_action",
    "registry:finding_suppress": "a_finding",
    "registry:finding_unsuppress": "a_finding",
    "registry:component_edit": "a_db",
    "registry:component_adopt_measured_availability": "a_db",
    "registry:business_function_edit": "a_bf",
    "registry:report_schedule_edit": "a_schedule",
    "registry:report_schedule_delete": "a_schedule",
    "registry:baselines": "a_app",
    "registry:baseline_approve": "a_baseline",
    "registry:recovery_test_new": "a_app",
    "registry:recovery_test_edit": "a_drill",
    "registry:incident_edit": "a_incident",
    "registry:adopt_evidence": "a_fm",
}
CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "multipart/form-data",
    "application/json",
    "text/plain; charset=utf-16",
    "application/x-www-form-urlencoded; charset=no-such-charset",
]
RAW_BODY = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            b"name=%FF%FE&mode=%00&severity=%",
            b'--xyz\r\nContent-Disposition: form-data; name="name"\r\n\r\nx',
            b'{"name": "x"}',
            b"a=1&" * 2000,
        ]
    ),
)


@pytest.mark.parametrize("route", sorted(FUZZED))
@settings(FUZZ, max_examples=6)
@given(body=RAW_BODY, content_type=st.sampled_from(CONTENT_TYPES))
def test_raw_bodies(world, route, body, content_type):
    """Bodies that are no form at all (bad encodings, broken multipart, JSON) are never a
    server error, on every route that takes a POST."""
    if route == "password_reset_confirm":
        url = reverse(route, args=["x", "y"])
    elif route == "registry:invitation":
        team_b = world.ids["team_b"]
        invitation, _ = Invitation.objects.get_or_create(team_id=team_b, username="bob")
        url = reverse(route, args=[invitation.token])
    elif route == "registry:webhook_deliveries":
        subscription, _ = WebhookSubscription.objects.get_or_create(
            team=world.team_a, url="https://93.184.215.14/a", events=["finding.opened"]
        )
        url = reverse(route, args=[subscription.pk])
    elif route in ROUTE_ARGS:
        url = reverse(route, args=[world.ids[ROUTE_ARGS[route]]])
    else:
        url = reverse(route)
    submit(world.bob, url, body, content_type=content_type, **HTMX)
