"""Factories for register objects; reference rows come from the shipped data."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from registry.choices import (
    AvailabilityBasis,
    ComponentKind,
    Disruption,
    RecoveryTestOutcome,
    Role,
)
from registry.models import (
    Action,
    Application,
    BusinessFunction,
    Component,
    Dependency,
    DrStrategy,
    FailureMode,
    Incident,
    Membership,
    RecoveryTest,
    Step,
    Team,
    Tier,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("password")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.EDITOR


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tier
        django_get_or_create = ("level",)

    level = 1
    name = factory.LazyAttribute(lambda tier: f"Tier {tier.level}")
    rto_seconds = 7200
    rpo_seconds = 30
    availability_target = Decimal("99.999")
    rpn_threshold = 100
    review_interval_days = 90


class DrStrategyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DrStrategy
        django_get_or_create = ("code",)

    code = "backup_restore"
    name = "Backup and restore"
    cost_rank = 1
    best_rto_seconds = 3600
    best_rpo_seconds = 3600
    multi_region = False


class BusinessFunctionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessFunction

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Business function {n}")


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Application {n}")
    tier = factory.SubFactory(TierFactory)
    dr_strategy = factory.SubFactory(DrStrategyFactory)


class StepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Step

    application = factory.SubFactory(ApplicationFactory)
    order = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Step {n}")


class ComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Component

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Component {n}")
    kind = ComponentKind.SERVICE
    availability = Decimal("99.9")
    # A figure entered is a published SLA here; pass availability=None for an assumed one.
    availability_basis = factory.LazyAttribute(
        lambda component: (
            AvailabilityBasis.ASSUMED if component.availability is None else AvailabilityBasis.SLA
        )
    )


class DependencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dependency

    step = factory.SubFactory(StepFactory)
    component = factory.SubFactory(
        ComponentFactory, team=factory.SelfAttribute("..step.application.team")
    )
    hard = True


class FailureModeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FailureMode

    step = factory.SubFactory(StepFactory)
    team = factory.SelfAttribute("step.application.team")
    mode = factory.Sequence(lambda n: f"Failure mode {n}")
    effect = "Users cannot complete the step"
    cause = "A component fails"
    severity = 5
    probability = 5
    detectability = 5
    status = "open"
    # An accepted or closed row carries its decision, as the database requires.
    acceptance_rationale = factory.LazyAttribute(
        lambda row: "A known, budgeted exception." if row.status == "accepted" else ""
    )
    acceptance_expires_on = factory.LazyAttribute(
        lambda row: (
            datetime.date.today() + datetime.timedelta(days=180)
            if row.status == "accepted"
            else None
        )
    )
    closed_reason = factory.LazyAttribute(
        lambda row: "The component was retired." if row.status == "closed" else ""
    )


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Action

    failure_mode = factory.SubFactory(FailureModeFactory)
    description = factory.Sequence(lambda n: f"Action {n}")
    owner = "alice"


class RecoveryTestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecoveryTest

    application = factory.SubFactory(ApplicationFactory)
    team = factory.SelfAttribute("application.team")
    disruption = Disruption.REGION
    performed_on = factory.LazyFunction(datetime.date.today)
    scenario = "Promoted the replica in the second region."
    measured_rto_seconds = 600
    measured_rpo_seconds = 0
    outcome = RecoveryTestOutcome.PASSED


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident
        skip_postgeneration_save = True

    team = factory.SubFactory(TeamFactory)
    title = factory.Sequence(lambda n: f"Incident {n}")
    started_at = factory.LazyFunction(
        lambda: datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)
    )
    detected_at = factory.LazyAttribute(lambda row: row.started_at + datetime.timedelta(minutes=5))

    @factory.post_generation
    def failure_modes(self, create, extracted, **kwargs):
        if create and extracted:
            self.failure_modes.add(*extracted)
