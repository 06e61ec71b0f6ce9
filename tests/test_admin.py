"""Every registry model is in the admin, and its pages answer for a superuser."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from registry.choices import (
    ActionPriority,
    ActionStatus,
    ComponentKind,
    FailureCategory,
    FailureModeStatus,
    RatingScaleName,
    Role,
    TemplateComponentKind,
)
from registry.models import (
    Action,
    Application,
    ApplicationRollup,
    Baseline,
    BusinessFunction,
    Component,
    Dependency,
    DrStrategy,
    FailureMode,
    FailureModeTemplate,
    Finding,
    FindingSuppression,
    GroupMapping,
    Incident,
    IncidentReceiver,
    Invitation,
    Membership,
    PagerDutyService,
    ProviderMembership,
    RatingScale,
    RecoveryTest,
    Region,
    ReportRun,
    ReportSchedule,
    RollupSnapshot,
    Step,
    Team,
    TeamRecompute,
    TeamRevision,
    Tier,
    TierRollup,
    WebhookDelivery,
    WebhookSubscription,
    WorksheetImport,
)

REGISTRY_ADMINS = {
    model: model_admin
    for model, model_admin in admin.site._registry.items()
    if model._meta.app_label == "registry"
}
HISTORY_MODELS = [model for model in REGISTRY_ADMINS if hasattr(model, "history")]
SEARCHABLE = [model for model, model_admin in REGISTRY_ADMINS.items() if model_admin.search_fields]


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def model_ids(model) -> str:
    return model.__name__


@pytest.fixture
def register(db, admin_user) -> dict:
    """One object of every registry model, keyed by model."""
    tier = Tier.objects.create(
        level=1,
        name="Mission critical",
        rto_seconds=3600,
        rpo_seconds=300,
        availability_target=Decimal("99.99"),
        rpn_threshold=100,
        review_interval_days=90,
    )
    region = Region.objects.create(code="eu-west-1", name="Ireland", country="IE")
    dr_strategy = DrStrategy.objects.create(
        code="pilot-light",
        name="Pilot light",
        cost_rank=2,
        best_rto_seconds=1800,
        best_rpo_seconds=60,
        multi_region=True,
    )
    rating_scale = RatingScale.objects.create(
        scale=RatingScaleName.SEVERITY, rating=10, label="Hazardous", description="Harms people."
    )
    template = FailureModeTemplate.objects.create(
        component_kind=TemplateComponentKind.DATABASE,
        failure_category=FailureCategory.SINGLE_POINT_OF_FAILURE,
        mode="Primary database unavailable",
        effect="Orders cannot be taken.",
        cause="Host failure.",
        severity=8,
        probability=3,
        detectability=2,
    )
    team = Team.objects.create(name="Payments", slug="payments")
    membership = Membership.objects.create(team=team, user=admin_user, role=Role.OWNER)
    business_function = BusinessFunction.objects.create(
        team=team, name="Process purchase transactions"
    )
    application = Application.objects.create(
        team=team,
        business_function=business_function,
        name="Checkout",
        tier=tier,
        dr_strategy=dr_strategy,
    )
    application.regions.add(region)
    step = Step.objects.create(application=application, order=1, name="Pay")
    component = Component.objects.create(
        team=team, name="Orders database", kind=ComponentKind.DATABASE
    )
    component.regions.add(region)
    dependency = Dependency.objects.create(step=step, component=component)
    failure_mode = FailureMode.objects.create(
        step=step,
        component=component,
        mode="Orders database unreachable",
        effect="Customers cannot pay.",
        cause="Network partition.",
        severity=9,
        probability=4,
        detectability=3,
    )
    action = Action.objects.create(
        failure_mode=failure_mode,
        description="Add a standby replica in a second zone.",
        owner="DBA team",
        due_date=date.today() + timedelta(days=30),
        status=ActionStatus.OPEN,
    )
    computed = {"team": team, "computed_at": timezone.now()}
    finding = Finding.objects.create(
        **computed,
        key="dr_strategy_gap:application:1",
        kind="dr_strategy_gap",
        severity="critical",
        message="Checkout cannot meet its RPO with pilot light.",
        application=application,
        first_seen_at=timezone.now(),
    )
    schedule = ReportSchedule.objects.create(
        team=team, name="Weekly risks", crontab="0 7 * * 1", recipients="cio@example.com"
    )
    baseline = Baseline.objects.create(
        team=team, application=application, number=1, title="Q3 review", snapshot={}
    )
    subscription = WebhookSubscription.objects.create(
        team=team, url="https://hooks.example.com/fmea", events=["finding.opened"]
    )
    recovery_test = RecoveryTest.objects.create(
        team=team,
        application=application,
        step=step,
        disruption="region",
        performed_on=date.today(),
        scenario="Failed over to the second region.",
        measured_rto_seconds=1800,
        outcome="passed",
    )
    incident = Incident.objects.create(
        team=team, title="Orders database failover stuck", started_at=timezone.now()
    )
    incident.components.add(component)
    incident.failure_modes.add(failure_mode)
    receiver = IncidentReceiver(team=team, source="alertmanager")
    receiver.issue_token(admin_user)
    receiver.save()
    return {
        RecoveryTest: recovery_test,
        WebhookSubscription: subscription,
        WebhookDelivery: WebhookDelivery.objects.create(
            subscription=subscription,
            event_type="finding.opened",
            payload={"id": "x", "type": "finding.opened", "object": {}},
        ),
        GroupMapping: GroupMapping.objects.create(group="sre-payments", team=team, role="editor"),
        ProviderMembership: ProviderMembership.objects.create(membership=membership),
        Incident: incident,
        IncidentReceiver: receiver,
        PagerDutyService: PagerDutyService.objects.create(
            team=team, service_id="PF9KMXH", component=component
        ),
        Baseline: baseline,
        ReportSchedule: schedule,
        ReportRun: ReportRun.objects.create(team=team, format="csv", requested_by=admin_user),
        WorksheetImport: WorksheetImport.objects.create(
            team=team, requested_by=admin_user, source_name="worksheet.csv"
        ),
        Finding: finding,
        FindingSuppression: FindingSuppression.objects.create(
            team=team,
            finding=finding,
            key=finding.key,
            kind=finding.kind,
            message=finding.message,
            status="accepted",
            reason="A known, budgeted exception.",
            expires_on=date.today() + timedelta(days=90),
            created_by=admin_user,
        ),
        TierRollup: TierRollup.objects.create(**computed, tier=tier, failure_mode_count=1),
        ApplicationRollup: ApplicationRollup.objects.create(**computed, application=application),
        RollupSnapshot: RollupSnapshot.objects.create(**computed, tier=tier, date=date.today()),
        TeamRecompute: TeamRecompute.objects.get_or_create(team=team)[0],
        # Written by triggers on PostgreSQL; by hand here, as SQLite has none.
        TeamRevision: TeamRevision.objects.update_or_create(
            team_id=team.pk, defaults={"revision": 1}
        )[0],
        Tier: tier,
        Region: region,
        DrStrategy: dr_strategy,
        RatingScale: rating_scale,
        FailureModeTemplate: template,
        Team: team,
        Membership: membership,
        Invitation: Invitation.objects.create(
            team=team, username="dora", role=Role.EDITOR, invited_by=admin_user
        ),
        BusinessFunction: business_function,
        Application: application,
        Step: step,
        Component: component,
        Dependency: dependency,
        FailureMode: failure_mode,
        Action: action,
    }


COMPUTED = {
    Finding,
    FindingSuppression,
    TierRollup,
    ApplicationRollup,
    RollupSnapshot,
    TeamRecompute,
    TeamRevision,
    Baseline,  # frozen by owners in the app, never edited
    WebhookDelivery,  # written by events; redelivered, never edited
    ProviderMembership,  # written by sign-on
}


def test_every_registry_model_is_registered():
    models = {
        model
        for model in apps.get_app_config("registry").get_models()
        if not model.__name__.startswith("Historical")
    }
    assert models - set(REGISTRY_ADMINS) == set()


def test_fixture_covers_every_registered_model(register):
    missing = set(REGISTRY_ADMINS) - set(register)
    assert not missing, f"Add an object of {missing} to the `register` fixture."


@pytest.mark.parametrize("model", REGISTRY_ADMINS, ids=model_ids)
def test_changelist(admin_client, register, model):
    response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [register[model]]


@pytest.mark.parametrize("model", SEARCHABLE, ids=model_ids)
def test_changelist_search(admin_client, register, model):
    response = admin_client.get(admin_url(model, "changelist"), {"q": "no such thing"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


@pytest.mark.parametrize("model", SEARCHABLE, ids=model_ids)
def test_add_page(admin_client, register, model):
    """Computed rows (findings, rollups) are view-only: no add page."""
    response = admin_client.get(admin_url(model, "add"))
    assert response.status_code == (403 if model in COMPUTED else 200)


@pytest.mark.parametrize("model", REGISTRY_ADMINS, ids=model_ids)
def test_change_page(admin_client, register, model):
    obj = register[model]
    response = admin_client.get(admin_url(model, "change", obj.pk))
    assert response.status_code == 200


@pytest.mark.parametrize("model", HISTORY_MODELS, ids=model_ids)
def test_history_page(admin_client, register, model):
    obj = register[model]
    response = admin_client.get(admin_url(model, "history", obj.pk))
    assert response.status_code == 200


def test_history_models_use_simple_history_admin():
    assert {Tier, Application, Step, FailureMode, Action} <= set(HISTORY_MODELS)
    for model in HISTORY_MODELS:
        assert isinstance(REGISTRY_ADMINS[model], SimpleHistoryAdmin), model


def test_failure_mode_search(admin_client, register):
    other = FailureMode.objects.create(
        step=register[Step],
        mode="Card processor times out",
        severity=5,
        probability=5,
        detectability=5,
    )
    url = admin_url(FailureMode, "changelist")

    by_mode = admin_client.get(url, {"q": "processor"})
    assert list(by_mode.context["cl"].result_list) == [other]

    by_application = admin_client.get(url, {"q": "checkout"})
    assert set(by_application.context["cl"].result_list) == {other, register[FailureMode]}


def test_failure_mode_filters(admin_client, register):
    high = register[FailureMode]
    low = FailureMode.objects.create(
        step=register[Step],
        mode="Slow receipt e-mail",
        failure_category=FailureCategory.EXCESSIVE_LATENCY,
        status=FailureModeStatus.ACCEPTED,
        acceptance_rationale="Costs more to fix than it loses.",
        acceptance_expires_on=date(2099, 1, 1),
        severity=2,
        probability=2,
        detectability=2,
    )
    # Another team's application in another tier: the related filters only show, and
    # only apply, when there is more than one choice.
    tier_3 = Tier.objects.create(
        level=3,
        name="Business operational",
        rto_seconds=86400,
        rpo_seconds=3600,
        availability_target=Decimal("99.5"),
        rpn_threshold=200,
        review_interval_days=365,
    )
    reporting = Team.objects.create(name="Reporting", slug="reporting")
    dashboard = Application.objects.create(
        team=reporting, name="Dashboard", tier=tier_3, dr_strategy=register[DrStrategy]
    )
    elsewhere = FailureMode.objects.create(
        step=Step.objects.create(application=dashboard, order=1, name="View"),
        mode="Stale figures",
        severity=4,
        probability=4,
        detectability=4,
    )
    assert high.action_priority == ActionPriority.HIGH
    assert low.action_priority == ActionPriority.LOW
    url = admin_url(FailureMode, "changelist")

    def results(**params) -> set:
        response = admin_client.get(url, params)
        assert response.status_code == 200
        return set(response.context["cl"].result_list)

    assert results() == {high, low, elsewhere}
    assert results(status__exact=FailureModeStatus.ACCEPTED) == {low}
    assert results(action_priority=ActionPriority.HIGH) == {high}
    assert results(failure_category__exact=FailureCategory.EXCESSIVE_LATENCY) == {low}
    assert results(team__id__exact=reporting.pk) == {elsewhere}
    assert results(step__application__tier__id__exact=register[Tier].pk) == {high, low}
    assert results(step__application__tier__id__exact=tier_3.pk) == {elsewhere}


def test_failure_mode_changelist_shows_and_sorts_rpn_and_ap(admin_client, register):
    low = FailureMode.objects.create(
        step=register[Step], mode="Slow receipt", severity=2, probability=2, detectability=2
    )
    high = register[FailureMode]
    url = admin_url(FailureMode, "changelist")
    cl = admin_client.get(url).context["cl"]
    rpn_column = cl.list_display.index("rpn")
    ap_column = cl.list_display.index("ap")

    ascending = admin_client.get(url, {"o": str(rpn_column)})
    assert list(ascending.context["cl"].result_list) == [low, high]
    descending = admin_client.get(url, {"o": f"-{ap_column}"})
    assert list(descending.context["cl"].result_list) == [high, low]  # by rank: H > L
    assert b"High" in descending.content
    assert str(high.rpn).encode() in descending.content


def test_failure_mode_changelist_queries_do_not_grow_with_rows(
    admin_client, register, django_assert_max_num_queries
):
    url = admin_url(FailureMode, "changelist")
    admin_client.get(url)  # Warm up caches (content types, session).
    with CaptureQueriesContext(connection) as one_row:
        assert admin_client.get(url).status_code == 200

    step = register[Step]
    for number in range(29):
        FailureMode.objects.create(
            step=step, mode=f"Failure {number}", severity=5, probability=5, detectability=5
        )
    with django_assert_max_num_queries(len(one_row)):
        response = admin_client.get(url)
    assert response.context["cl"].result_count == 30


def test_failure_mode_admin_takes_team_from_step_and_stamps_user(
    admin_client, admin_user, register
):
    step = register[Step]
    response = admin_client.post(
        admin_url(FailureMode, "add"),
        {
            "step": step.pk,
            "mode": "Payment page returns errors",
            "failure_category": FailureCategory.MISCONFIGURATION_AND_BUGS,
            "status": FailureModeStatus.OPEN,
            "severity": 7,
            "probability": 3,
            "detectability": 2,
            "actions-TOTAL_FORMS": 0,
            "actions-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = FailureMode.objects.get(mode="Payment page returns errors")
    assert created.team == register[Team]
    assert created.created_by == admin_user
    assert created.updated_by == admin_user
    assert created.rpn == 42
    assert created.history.get().history_user == admin_user


def test_failure_mode_added_inline_on_a_step_gets_the_step_team(admin_client, register):
    step, dependency, existing = register[Step], register[Dependency], register[FailureMode]
    rated = {"severity": 6, "probability": 6, "detectability": 6, "status": "open"}
    response = admin_client.post(
        admin_url(Step, "change", step.pk),
        {
            "application": step.application_id,
            "order": step.order,
            "name": step.name,
            "dependencies-TOTAL_FORMS": 1,
            "dependencies-INITIAL_FORMS": 1,
            "dependencies-0-id": dependency.pk,
            "dependencies-0-step": step.pk,
            "dependencies-0-component": dependency.component_id,
            "dependencies-0-hard": "on",
            "failure_modes-TOTAL_FORMS": 2,
            "failure_modes-INITIAL_FORMS": 1,
            "failure_modes-0-id": existing.pk,
            "failure_modes-0-step": step.pk,
            "failure_modes-0-mode": existing.mode,
            "failure_modes-0-component": existing.component_id,
            "failure_modes-0-failure_category": existing.failure_category,
            "failure_modes-0-severity": existing.severity,
            "failure_modes-0-probability": existing.probability,
            "failure_modes-0-detectability": existing.detectability,
            "failure_modes-0-status": existing.status,
            "failure_modes-1-step": step.pk,
            "failure_modes-1-mode": "Fraud check unavailable",
            "failure_modes-1-failure_category": FailureCategory.SHARED_FATE,
            **{f"failure_modes-1-{name}": value for name, value in rated.items()},
        },
    )
    assert response.status_code == 302, response.context["errors"]
    added = FailureMode.objects.get(mode="Fraud check unavailable")
    assert added.team == register[Team]
    assert added.rpn == 216
    existing.refresh_from_db()
    assert existing.version == 1  # The unchanged row was not saved again.


def test_a_baseline_is_read_only_in_the_admin(admin_client, register):
    """No add, change or delete: the change page shows the baseline without a form."""
    baseline = register[Baseline]
    response = admin_client.post(admin_url(Baseline, "change", baseline.pk), {"title": "x"})
    assert response.status_code == 403
    response = admin_client.post(admin_url(Baseline, "delete", baseline.pk), {"post": "yes"})
    assert response.status_code == 403
    assert Baseline.objects.get().title == "Q3 review"
