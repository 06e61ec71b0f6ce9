"""What the register computes from a team's data: resilience findings, rollups per
tier and per application, dated snapshots for trends, and the recompute flag."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from registry.choices import (
    DECISION_MAX_DAYS,
    FindingKind,
    FindingSeverity,
    SuppressionEnd,
    SuppressionStatus,
)
from registry.models.applications import Application, Step
from registry.models.components import Component
from registry.models.failure_modes import FailureMode
from registry.models.reference import Tier
from registry.models.teams import Team
from registry.querysets import TeamScopedQuerySet


class FindingQuerySet(TeamScopedQuerySet):
    def suppressed(self, today: datetime.date | None = None) -> "FindingQuerySet":
        """Findings set aside by a suppression in force today."""
        return self.filter(pk__in=suppressed_finding_ids(today))

    def unsuppressed(self, today: datetime.date | None = None) -> "FindingQuerySet":
        """The findings that count: those no suppression sets aside today."""
        return self.exclude(pk__in=suppressed_finding_ids(today))


def suppressed_finding_ids(today: datetime.date | None = None) -> models.QuerySet:
    """The ids of the findings a suppression in force today sets aside. A short list
    (each is a decision someone made): the database hashes it once and checks every
    finding against it, rather than probing the suppressions once per finding."""
    return FindingSuppression.objects.filter(
        finding__isnull=False,  # NOT IN a list holding NULL would exclude everything
        ended_at__isnull=True,
        expires_on__gte=today or timezone.localdate(),
    ).values("finding_id")


class Finding(models.Model):
    """A resilience finding: something about the team's set-up that a person should fix.

    `key` names the finding's subject stably across recomputes, so a finding keeps its
    `first_seen_at` while it persists and disappears when it is resolved.
    """

    # No index of its own: the (team, key) and (team, kind) indexes start with it.
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="findings", db_index=False
    )
    key = models.CharField(max_length=200, help_text="Stable identity of the finding.")
    kind = models.CharField(max_length=40, choices=FindingKind.choices)
    severity = models.CharField(max_length=10, choices=FindingSeverity.choices)
    message = models.TextField(help_text="What is wrong, in words a person understands.")
    details = models.JSONField(default=dict, blank=True, help_text="The numbers behind it.")
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, null=True, blank=True, related_name="findings"
    )
    step = models.ForeignKey(
        Step, on_delete=models.CASCADE, null=True, blank=True, related_name="findings"
    )
    # Indexed where set (below): findings about failure modes and actions, most rows,
    # have none.
    component = models.ForeignKey(
        Component,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="findings",
        db_index=False,
    )
    failure_mode = models.ForeignKey(
        FailureMode, on_delete=models.CASCADE, null=True, blank=True, related_name="findings"
    )
    # Not indexed: four tiers, so no query selects findings by tier alone (they are read
    # per team, by the team's indexes); the index cost every insert 1 us (0.35 s of the
    # first pass over a 346,000-finding register) and served only deleting a tier, a
    # rare step that now scans the table once.
    tier = models.ForeignKey(
        Tier,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="findings",
        db_index=False,
    )
    rests_on_assumption = models.BooleanField(
        default=False,
        db_default=False,
        help_text="The finding rests on at least one assumed availability figure "
        "(a component with no figure entered); its details list them.",
    )
    first_seen_at = models.DateTimeField(help_text="When the finding was first computed.")
    computed_at = models.DateTimeField(
        help_text="When it was last written: when it was first found, and whenever what "
        "it says (message, details, subjects) changed at a recompute since. A finding "
        "that says the same is not rewritten."
    )

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["team", "severity", "kind", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "key"], name="%(app_label)s_%(class)s_unique_team_key"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=FindingKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(severity__in=FindingSeverity.values),
                name="%(app_label)s_%(class)s_severity_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "kind"], name="registry_finding_team_kind"),
            models.Index(
                fields=["component"],
                condition=models.Q(component__isnull=False),
                name="registry_finding_component",
            ),
        ]

    def __str__(self) -> str:
        return self.message


class FindingSuppression(models.Model):
    """A decision to set a finding aside: accepted as a known exception, or not
    applicable, with a reason and an expiry.

    The rows are the suppressions' history: one ends (`ended_at`, `end_reason`) when it
    is lifted, expires, when its finding's figures (`details`, as they were when it
    was suppressed) change, or when the finding is resolved.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="suppressions")
    finding = models.ForeignKey(
        Finding,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suppressions",
        help_text="The finding, while it exists.",
    )
    key = models.CharField(max_length=200, help_text="The finding's stable identity.")
    kind = models.CharField(max_length=40, choices=FindingKind.choices)
    message = models.TextField(help_text="The finding as it read when suppressed.")
    details = models.JSONField(
        default=dict, blank=True, help_text="The finding's figures when suppressed."
    )
    status = models.CharField(max_length=20, choices=SuppressionStatus.choices)
    reason = models.TextField(help_text="Why the finding is set aside.")
    expires_on = models.DateField(help_text="The finding comes back after this day.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    end_reason = models.CharField(
        max_length=20, choices=SuppressionEnd.choices, blank=True, help_text="Why it ended."
    )

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["team", "-created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["finding"],
                condition=models.Q(ended_at__isnull=True),
                name="%(app_label)s_%(class)s_one_active_per_finding",
                violation_error_message="This finding is already suppressed.",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=SuppressionStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(reason=""),
                name="%(app_label)s_%(class)s_has_reason",
                violation_error_message="Say why the finding is set aside.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.message[:80]}"

    def clean(self) -> None:
        errors = {}
        if not self.reason.strip():
            errors["reason"] = "Say why the finding is set aside."
        if self.pk is None and self.expires_on is not None:
            today = timezone.localdate()
            if self.expires_on <= today:
                errors["expires_on"] = "The expiry date must be in the future."
            elif self.expires_on > today + datetime.timedelta(DECISION_MAX_DAYS):
                errors["expires_on"] = "A suppression runs at most a year."
        if errors:
            raise ValidationError(errors)


class RiskFigures(models.Model):
    """The figures a rollup or snapshot carries."""

    application_count = models.PositiveIntegerField(default=0)
    step_count = models.PositiveIntegerField(default=0)
    failure_mode_count = models.PositiveIntegerField(default=0)
    open_count = models.PositiveIntegerField(
        default=0, help_text="Failure modes open or being mitigated."
    )
    rpn_max = models.PositiveSmallIntegerField(null=True, blank=True)
    rpn_mean = models.FloatField(null=True, blank=True)
    rpn_sum = models.PositiveBigIntegerField(default=0)
    over_threshold_count = models.PositiveIntegerField(
        default=0, help_text="Failure modes whose RPN is above their tier's threshold."
    )
    ap_high_count = models.PositiveIntegerField(default=0)
    ap_medium_count = models.PositiveIntegerField(default=0)
    ap_low_count = models.PositiveIntegerField(default=0)
    revised_ap_high_count = models.PositiveIntegerField(default=0)
    revised_ap_medium_count = models.PositiveIntegerField(default=0)
    revised_ap_low_count = models.PositiveIntegerField(default=0)
    current_ap_high_count = models.PositiveIntegerField(
        default=0, help_text="By current priority: revised where re-rated, else initial."
    )
    current_ap_medium_count = models.PositiveIntegerField(default=0)
    current_ap_low_count = models.PositiveIntegerField(default=0)
    accepted_ap_high_count = models.PositiveIntegerField(
        default=0, help_text="Accepted risks by current priority."
    )
    accepted_ap_medium_count = models.PositiveIntegerField(default=0)
    accepted_ap_low_count = models.PositiveIntegerField(default=0)
    open_action_count = models.PositiveIntegerField(default=0)
    overdue_action_count = models.PositiveIntegerField(default=0)
    finding_count = models.PositiveIntegerField(default=0, help_text="Findings not suppressed.")
    assumed_finding_count = models.PositiveIntegerField(
        default=0,
        db_default=0,
        help_text="Findings that rest on at least one assumed availability figure.",
    )
    findings_by_kind = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        abstract = True


#: The names of the figures, in the order of RiskFigures' fields: what a rollup stores,
#: a snapshot copies, the API lists and a report's tier table reads.
FIGURE_NAMES: tuple[str, ...] = tuple(
    field.name for field in RiskFigures._meta.local_fields if field.name != "computed_at"
)


def no_figures() -> dict:
    """The figures of a group with nothing in it (the fields' defaults: zero or null)."""
    return {
        field.name: field.get_default()
        for field in RiskFigures._meta.local_fields
        if field.name in FIGURE_NAMES
    }


class TierRollup(RiskFigures):
    """A team's risk figures for one tier."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="tier_rollups")
    tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="rollups")

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["team", "tier__level"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "tier"], name="%(app_label)s_%(class)s_unique_team_tier"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} / {self.tier}"


class ApplicationRollup(RiskFigures):
    """An application's risk figures."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="application_rollups")
    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="rollup"
    )

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["team", "application__name"]

    def __str__(self) -> str:
        return str(self.application)


class RollupSnapshot(RiskFigures):
    """A tier rollup as it stood on one day, for trend charts."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="rollup_snapshots")
    tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="snapshots")
    date = models.DateField()

    objects = TeamScopedQuerySet.as_manager()

    class Meta:
        ordering = ["team", "tier__level", "-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "tier", "date"], name="%(app_label)s_%(class)s_unique_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team} / {self.tier} on {self.date}"


class TeamRecompute(models.Model):
    """Whether a team's rollups and findings are out of date.

    Changes set `dirty`; a recompute claims the work by clearing it with a conditional
    UPDATE, so many changes (or many queued tasks) lead to few recomputes. Only the
    change that makes an up-to-date team dirty queues a recompute (`waiting_since` is
    then its request time); a recompute that leaves its team dirty queues the next.
    """

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="recompute")
    dirty = models.BooleanField(default=True)
    requested_at = models.DateTimeField(
        null=True, blank=True, help_text="When a change last asked for a recompute."
    )
    waiting_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the team last went from up to date to waiting for a recompute.",
    )
    computed_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["team"]

    def __str__(self) -> str:
        return f"{self.team}: {'dirty' if self.dirty else 'up to date'}"


class TeamRevision(models.Model):
    """A number that changes, in the same transaction, whenever something the
    failure-mode list of a team is filtered or counted by changes: its failure modes, a
    step moved to another application, an application moved to another tier or team,
    a tier's level.

    Written only by database triggers (PostgreSQL, migration 0008), so that every write
    path is seen: the ORM, bulk updates and deletes, imports, restores and raw SQL. The
    values come from one sequence and are never reused. `registry.db.counts` keys cached
    list counts on them.
    """

    team_id = models.BigIntegerField(primary_key=True)
    revision = models.BigIntegerField()

    class Meta:
        ordering = ["team_id"]

    def __str__(self) -> str:
        return f"team {self.team_id} at revision {self.revision}"
