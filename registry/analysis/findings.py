"""Computing and storing a team's resilience findings.

The structural rules (DR strategy, regions, dependency graph) load the team's
applications, steps, components and edges in a few queries and run the plain
functions of `registry.analysis.resilience`. The rules about failure modes and actions select
the flagged rows in SQL, so their cost does not grow with the rows that are fine.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat, JSONObject
from django.utils import timezone

from registry.analysis import resilience
from registry.analysis.evidence import (
    Evidence,
    duration_words,
    failure_mode_evidence,
    window_words,
)
from registry.analysis.resilience import FindingData
from registry.choices import (
    DATA_STORE_KINDS,
    DONE_ACTION_STATUSES,
    ActionPriority,
    AvailabilityBasis,
    FailureModeStatus,
    FindingKind,
    FindingSeverity,
    RatingScaleName,
    SuppressionEnd,
)
from registry.db.bulk import json_insert_sql, upsert_rows
from registry.models import (
    Action,
    Application,
    Component,
    Dependency,
    DrStrategy,
    FailureMode,
    Finding,
    FindingSuppression,
    RatingScale,
    RecoveryTest,
    Step,
    Tier,
)
from registry.models.components import availability_figure
from registry.models.failure_modes import in_force, open_actions, over_threshold

# What a finding says, as stored columns (FindingData's attributes of the same names).
SAID_FIELDS = [
    "kind",
    "severity",
    "message",
    "details",
    "application_id",
    "step_id",
    "component_id",
    "failure_mode_id",
    "tier_id",
]
# A stored finding equal in these is not rewritten.
COMPARED_FIELDS = [*SAID_FIELDS, "rests_on_assumption"]
UPDATED_FIELDS = [*COMPARED_FIELDS, "computed_at"]


def tier_data(tier: Tier) -> resilience.TierData:
    return resilience.TierData(
        id=tier.id,
        level=tier.level,
        name=tier.name,
        rto_seconds=tier.rto_seconds,
        rpo_seconds=tier.rpo_seconds,
        availability=float(tier.availability_target),
        rpn_threshold=tier.rpn_threshold,
        review_interval_days=tier.review_interval_days,
        disasters_excluded=tier.disasters_excluded,
        recovery_test_interval_days=tier.recovery_test_interval_days,
    )


def strategy_data(strategy: DrStrategy) -> resilience.StrategyData:
    return resilience.StrategyData(
        code=strategy.code,
        name=strategy.name,
        cost_rank=strategy.cost_rank,
        best_rto_seconds=strategy.best_rto_seconds,
        best_rpo_seconds=strategy.best_rpo_seconds,
        multi_region=strategy.multi_region,
        serves_all_regions=strategy.serves_all_regions,
    )


@dataclass
class TeamFacts:
    """A team's set-up as the pure rules read it, loaded in a fixed number of queries."""

    applications: dict[int, resilience.ApplicationData]
    steps: list[resilience.StepData]
    steps_by_application: dict[int, list[resilience.StepData]]
    graph: resilience.DependencyGraph
    strategies: dict[int, resilience.StrategyData]
    drills: resilience.Drills


def recovery_defaults() -> resilience.RecoveryDefaults:
    return resilience.RecoveryDefaults(
        detection_seconds=settings.FMEA_DEFAULT_DETECTION_SECONDS,
        recovery_seconds=settings.FMEA_ASSUMED_RECOVERY_SECONDS,
    )


def _component_region_codes(team_id: int, field: str) -> dict[int, list[tuple[str, str]]]:
    """(code, country) of the regions in the components' M2M `field`, by component."""
    through = getattr(Component, field).through
    found: dict[int, list[tuple[str, str]]] = {}
    for component_id, code, country in (
        through.objects.filter(component__team_id=team_id)
        .order_by("region__code")
        .values_list("component_id", "region__code", "region__country")
    ):
        found.setdefault(component_id, []).append((code, country))
    return found


def load_team_facts(team_id: int) -> TeamFacts:
    tiers = {tier.id: tier_data(tier) for tier in Tier.objects.all()}
    strategies = {s.id: strategy_data(s) for s in DrStrategy.objects.all()}
    applications = {
        app.id: resilience.ApplicationData(
            id=app.id,
            name=app.name,
            tier=tiers[app.tier_id],
            strategy=strategies[app.dr_strategy_id],
            regions=tuple((region.code, region.country) for region in app.regions.all()),
            data_residency=app.data_residency,
            detection_time=app.detection_time_seconds,
            failover_time=app.failover_time_seconds,
        )
        for app in Application.objects.filter(team_id=team_id).prefetch_related("regions")
    }
    steps = [
        resilience.StepData(
            id=row["id"],
            name=row["name"],
            application=applications[row["application_id"]],
            rto=row["effective_rto_seconds"],
            rpo=row["effective_rpo_seconds"],
            target=float(row["effective_availability_target"]),
            own_availability=row["availability_target"] is not None,
            objective_reason=row["objective_reason"],
            last_reviewed_at=row["last_reviewed_at"],
            created_at=row["created_at"],
        )
        for row in Step.objects.filter(application__team_id=team_id)
        .with_effective_objectives()
        .values(
            "id",
            "name",
            "application_id",
            "effective_rto_seconds",
            "effective_rpo_seconds",
            "effective_availability_target",
            "availability_target",
            "objective_reason",
            "last_reviewed_at",
            "created_at",
        )
    ]
    steps_by_application: dict[int, list] = {}
    for step in steps:
        steps_by_application.setdefault(step.application.id, []).append(step)
    component_regions = _component_region_codes(team_id, "regions")
    replica_regions = _component_region_codes(team_id, "replica_regions")
    backup_regions = _component_region_codes(team_id, "backup_copy_regions")
    components = [
        resilience.ComponentData(
            id=row["id"],
            name=row["name"],
            availability=float(row["figure"]),
            regions=tuple(component_regions.get(row["id"], ())),
            application_id=row["application_id"],
            assumed=row["availability_basis"] == AvailabilityBasis.ASSUMED,
            data_store=row["kind"] in DATA_STORE_KINDS,
            recovery_time=row["recovery_time_seconds"],
            replication=row["replication"],
            replication_lag=row["replication_lag_seconds"],
            replica_regions=tuple(code for code, _ in replica_regions.get(row["id"], ())),
            backup_interval=row["backup_interval_seconds"],
            backup_copy_regions=tuple(code for code, _ in backup_regions.get(row["id"], ())),
            point_in_time_recovery=row["point_in_time_recovery"],
        )
        for row in Component.objects.filter(team_id=team_id)
        .annotate(figure=availability_figure())
        .values("id", "name", "figure", "availability_basis", "application_id", *RECOVERY_COLUMNS)
    ]
    edges = [
        resilience.Edge(
            component_id=row["component_id"],
            hard=row["hard"],
            step_id=row["step_id"],
            dependant_id=row["dependant_component_id"],
        )
        for row in Dependency.objects.filter(component__team_id=team_id).values(
            "component_id", "hard", "step_id", "dependant_component_id"
        )
    ]
    drills = resilience.Drills(
        resilience.DrillData(
            id=row["id"],
            application_id=row["application_id"],
            step_id=row["step_id"],
            disruption=row["disruption"],
            performed_on=row["performed_on"],
            outcome=row["outcome"],
            measured_rto=row["measured_rto_seconds"],
            measured_rpo=row["measured_rpo_seconds"],
        )
        for row in RecoveryTest.objects.for_team(team_id).values(
            "id",
            "application_id",
            "step_id",
            "disruption",
            "performed_on",
            "outcome",
            "measured_rto_seconds",
            "measured_rpo_seconds",
        )
    )
    return TeamFacts(
        applications=applications,
        steps=steps,
        steps_by_application=steps_by_application,
        graph=resilience.DependencyGraph(components, edges, applications.values()),
        strategies=strategies,
        drills=drills,
    )


# The component columns the recovery rules read.
RECOVERY_COLUMNS = (
    "kind",
    "recovery_time_seconds",
    "replication",
    "replication_lag_seconds",
    "backup_interval_seconds",
    "point_in_time_recovery",
)


def structural_findings(team_id: int, now) -> list[FindingData]:
    """Findings about DR strategies, regions, objectives, the dependency graph and
    recovery."""
    facts = load_team_facts(team_id)
    applications, steps, graph = facts.applications, facts.steps, facts.graph
    steps_by_application = facts.steps_by_application
    # Tiers of every application a component may stand for (they are the team's own).
    application_tiers = {app.id: (app.name, app.tier.level) for app in applications.values()}
    used_tiers = {app.tier.id: app.tier for app in applications.values()}
    today = timezone.localdate(now)
    return [
        *resilience.dr_strategy_gaps(
            applications.values(), steps_by_application, facts.strategies.values()
        ),
        *resilience.dr_strategy_single_region(applications.values()),
        *resilience.single_region_high_availability(applications.values(), steps_by_application),
        *resilience.data_residency_conflicts(applications.values(), steps_by_application, graph),
        *resilience.tier_objectives_inconsistent(used_tiers.values(), steps),
        *resilience.step_objectives_relaxed(steps),
        *resilience.composite_availability_gaps(steps, graph),
        *resilience.dependency_cycles(graph, steps),
        *resilience.tier_inversions(steps, graph, application_tiers),
        *resilience.common_dependencies(steps, graph),
        *resilience.reviews_overdue(steps, now),
        *resilience.recovery_gaps(steps, graph, facts.drills, recovery_defaults(), today),
        *resilience.recovery_untested(applications.values(), facts.drills, today),
        *resilience.recovery_tests_failed(
            applications.values(), steps_by_application, facts.drills
        ),
    ]


# --- Findings about rows, computed and stored by the database --------------------------
#
# A register can hold many flagged failure modes; these rules are INSERT ... SELECT ...
# ON CONFLICT statements, so their cost is one query each, whatever the row count.

# Kinds about single rows, stored by INSERT ... SELECT; the others, about the set-up,
# are computed in Python by registry.analysis.resilience.
ROW_KINDS = {
    FindingKind.UNMITIGATED_HIGH_RISK,
    FindingKind.MANAGEMENT_REVIEW_MISSING,
    FindingKind.OVERDUE_ACTION,
    FindingKind.RERATING_MISSING,
    FindingKind.ACCEPTANCE_EXPIRED,
    FindingKind.PROBABILITY_CONTRADICTED,
    FindingKind.DETECTABILITY_CONTRADICTED,
}
STRUCTURAL_KINDS = [kind for kind in FindingKind if kind not in ROW_KINDS]

INSERT_COLUMNS = ["team_id", "key", *SAID_FIELDS, "first_seen_at", "computed_at"]


def text(*parts) -> Concat:
    """SQL text from parts: "$path" is a column (cast to text), another string is a
    literal, and an expression is used as it is."""

    def expression(part):
        if not isinstance(part, str):
            return part
        if part.startswith("$"):
            return Cast(F(part[1:]), CharField())
        return Value(part)

    return Concat(*(expression(part) for part in parts), output_field=TextField())


def finding_select(queryset: QuerySet, team_id: int, now, **columns) -> QuerySet:
    """The SELECT of finding rows: `columns` give key, kind, severity, message, details
    and the subject ids; the rest are constants."""
    values = {
        "team_id": Value(team_id, output_field=IntegerField()),
        **columns,
        "first_seen_at": Value(now, output_field=DateTimeField()),
        "computed_at": Value(now, output_field=DateTimeField()),
    }
    for name in ("application_id", "step_id", "component_id", "failure_mode_id", "tier_id"):
        # Typed, so that the NULL keeps its type through a CTE.
        values.setdefault(name, Cast(Value(None), output_field=BigIntegerField()))
    aliases = {f"finding_{name}": values[name] for name in INSERT_COLUMNS}
    # No ORDER BY: the rows are stored, not listed.
    return queryset.annotate(**aliases).order_by().values(*aliases)


def stale_deletion(source: str, key: str) -> str:
    """The tail of an upsert statement: delete the team's findings of the kinds stored
    (parameters: the team, the kinds) whose keys the CTE `source` no longer holds. Their
    suppressions stay, as history, without the finding (the ORM's SET_NULL, which a
    DELETE in SQL does not do)."""
    return (
        "gone AS (DELETE FROM registry_finding WHERE registry_finding.team_id = %s "
        "AND registry_finding.kind = ANY(%s) "
        f"AND registry_finding.key NOT IN (SELECT {source}.{key} FROM {source}) "
        "RETURNING registry_finding.id) "
        "UPDATE registry_findingsuppression SET finding_id = NULL "
        "WHERE finding_id IN (SELECT gone.id FROM gone)"
    )


def upsert(select: QuerySet, team_id: int, kind: FindingKind, *, fresh: bool = False) -> None:
    """Store the rows of `select` as the team's findings of `kind`: new ones are
    inserted, changed ones updated, unchanged ones left alone (no rewrite), and the
    team's findings of that kind that `select` no longer yields are deleted.

    `fresh`: the team has no findings yet, so the rows are only inserted (a plain
    INSERT, without the conflict checks and the delete that find nothing)."""
    sql, params = select.query.sql_with_params()
    quote = connection.ops.quote_name
    quoted = ", ".join(quote(name) for name in INSERT_COLUMNS)
    if fresh:
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO registry_finding ({quoted}) {sql}", params)
        return
    changing = [name for name in INSERT_COLUMNS if name not in ("team_id", "key", "first_seen_at")]
    updates = ", ".join(f"{quote(name)} = excluded.{quote(name)}" for name in changing)
    changed = " OR ".join(
        f"registry_finding.{quote(name)} IS DISTINCT FROM excluded.{quote(name)}"
        for name in changing
        if name != "computed_at"
    )
    on_conflict = f"ON CONFLICT (team_id, key) DO UPDATE SET {updates} WHERE {changed}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement: the rule's SELECT runs once for the insert and the delete.
            cursor.execute(
                f"WITH selected AS MATERIALIZED ({sql}), "
                f"stored AS (INSERT INTO registry_finding ({quoted}) "
                f"SELECT * FROM selected {on_conflict}), "
                f"{stale_deletion('selected', 'finding_key')}",
                (*params, team_id, [kind.value]),
            )
            return
        cursor.execute(f"INSERT INTO registry_finding ({quoted}) {sql} {on_conflict}", params)
    Finding.objects.filter(team_id=team_id, kind=kind).exclude(
        key__in=select.values("finding_key")
    ).delete()


def store_failure_mode_findings(team_id: int, now, *, fresh: bool = False) -> None:
    """Rules on the residual risk of failure modes in force (not closed, not accepted
    until a date to come): high current risk without an open action, done actions
    without a re-rating, severe risks without a management review, and expired
    acceptances."""
    today = timezone.localdate(now)
    team_rows = FailureMode.objects.for_team(team_id)
    live = team_rows.filter(in_force(today))
    subject = {
        "application_id": F("step__application_id"),
        "step_id": F("step_id"),
        "failure_mode_id": F("id"),
        "tier_id": F("step__application__tier_id"),
    }
    where = ("“", "$mode", "” in ", "$step__application__name", " / ", "$step__name")
    any_open = Action.objects.filter(open_actions(), failure_mode=OuterRef("pk"))
    any_done = Action.objects.filter(failure_mode=OuterRef("pk"), status__in=DONE_ACTION_STATUSES)
    current_severity_9 = Q(revised_severity__gte=9) | Q(
        revised_severity__isnull=True, severity__gte=9
    )
    unmitigated = live.filter(
        over_threshold(rpn="current_rpn") | Q(current_action_priority=ActionPriority.HIGH)
    ).filter(~Exists(any_open))
    select = finding_select(
        unmitigated,
        team_id,
        now,
        key=text("unmitigated_high_risk:failure_mode:", "$id"),
        kind=Value(FindingKind.UNMITIGATED_HIGH_RISK.value),
        severity=Case(
            When(
                Q(current_action_priority=ActionPriority.HIGH) & current_severity_9,
                then=Value(FindingSeverity.CRITICAL.value),
            ),
            default=Value(FindingSeverity.HIGH.value),
        ),
        message=text(
            *where,
            " has current RPN ",
            "$current_rpn",
            " (threshold ",
            "$step__application__tier__rpn_threshold",
            ") and current action priority ",
            "$current_action_priority",
            ", but no open action.",
        ),
        details=JSONObject(
            current_rpn=F("current_rpn"),
            rpn_threshold=F("step__application__tier__rpn_threshold"),
            current_action_priority=F("current_action_priority"),
        ),
        **subject,
    )
    upsert(select, team_id, FindingKind.UNMITIGATED_HIGH_RISK, fresh=fresh)
    not_rerated = live.filter(revised_severity__isnull=True).filter(
        Exists(any_done), ~Exists(any_open)
    )
    select = finding_select(
        not_rerated,
        team_id,
        now,
        key=text("rerating_missing:failure_mode:", "$id"),
        kind=Value(FindingKind.RERATING_MISSING.value),
        severity=Case(
            When(action_priority=ActionPriority.HIGH, then=Value(FindingSeverity.HIGH.value)),
            default=Value(FindingSeverity.MEDIUM.value),
        ),
        message=text(
            *where,
            ": every action is done, but it has not been re-rated (still RPN ",
            "$rpn",
            ", action priority ",
            "$action_priority",
            ").",
        ),
        details=JSONObject(rpn=F("rpn"), action_priority=F("action_priority")),
        **subject,
    )
    upsert(select, team_id, FindingKind.RERATING_MISSING, fresh=fresh)
    # A severe risk needs its review whatever is decided about it, unless it is closed.
    unreviewed = team_rows.exclude(status=FailureModeStatus.CLOSED).filter(
        severity__gte=9,
        action_priority__in=(ActionPriority.HIGH, ActionPriority.MEDIUM),
        review_signed_off_at__isnull=True,
    )
    select = finding_select(
        unreviewed,
        team_id,
        now,
        key=text("management_review_missing:failure_mode:", "$id"),
        kind=Value(FindingKind.MANAGEMENT_REVIEW_MISSING.value),
        severity=Value(FindingSeverity.HIGH.value),
        message=text(
            *where,
            " has severity ",
            "$severity",
            " and action priority ",
            "$action_priority",
            ": it needs a management review sign-off.",
        ),
        details=JSONObject(severity=F("severity"), action_priority=F("action_priority")),
        **subject,
    )
    upsert(select, team_id, FindingKind.MANAGEMENT_REVIEW_MISSING, fresh=fresh)
    expired = team_rows.filter(status=FailureModeStatus.ACCEPTED, acceptance_expires_on__lt=today)
    select = finding_select(
        expired,
        team_id,
        now,
        key=text("acceptance_expired:failure_mode:", "$id"),
        kind=Value(FindingKind.ACCEPTANCE_EXPIRED.value),
        severity=Case(
            When(
                current_action_priority=ActionPriority.HIGH, then=Value(FindingSeverity.HIGH.value)
            ),
            default=Value(FindingSeverity.MEDIUM.value),
        ),
        message=text(
            *where,
            ": its acceptance expired on ",
            "$acceptance_expires_on",
            " (current RPN ",
            "$current_rpn",
            ", action priority ",
            "$current_action_priority",
            "); accept it again or act on it.",
        ),
        details=JSONObject(
            acceptance_expires_on=F("acceptance_expires_on"),
            current_rpn=F("current_rpn"),
            current_action_priority=F("current_action_priority"),
        ),
        **subject,
    )
    upsert(select, team_id, FindingKind.ACCEPTANCE_EXPIRED, fresh=fresh)


def store_overdue_action_findings(team_id: int, now, *, fresh: bool = False) -> None:
    today = timezone.localdate(now)
    overdue = Action.objects.filter(failure_mode__team_id=team_id).overdue(today)
    select = finding_select(
        overdue,
        team_id,
        now,
        key=text("overdue_action:action:", "$id"),
        kind=Value(FindingKind.OVERDUE_ACTION.value),
        severity=Case(
            When(
                failure_mode__action_priority=ActionPriority.HIGH,
                then=Value(FindingSeverity.HIGH.value),
            ),
            default=Value(FindingSeverity.MEDIUM.value),
        ),
        message=text(
            "Action “",
            "$description",
            "” on “",
            "$failure_mode__mode",
            "” was due ",
            "$due_date",
            Case(
                When(owner="", then=Value("; it has no owner.")),
                default=Concat(Value("; owner "), F("owner"), Value(".")),
                output_field=TextField(),
            ),
        ),
        details=JSONObject(action=F("id"), due_date=F("due_date")),
        application_id=F("failure_mode__step__application_id"),
        step_id=F("failure_mode__step_id"),
        failure_mode_id=F("failure_mode_id"),
        tier_id=F("failure_mode__step__application__tier_id"),
    )
    upsert(select, team_id, FindingKind.OVERDUE_ACTION, fresh=fresh)


# The columns of a finding computed in Python (FindingData), as they are stored: those
# the rules in SQL give, but the constants, and whether it rests on an assumption.
RECORD_COLUMNS = [
    *(name for name in INSERT_COLUMNS if name not in ("team_id", "first_seen_at", "computed_at")),
    "rests_on_assumption",
]


def said(finding: FindingData) -> list:
    """What a finding says, as `COMPARED_FIELDS` reads it from the stored row."""
    return [*(getattr(finding, name) for name in SAID_FIELDS), finding.assumed]


def finding_record(finding: FindingData) -> dict:
    """The finding as the columns of its row (`RECORD_COLUMNS`). A shallow mapping: its
    details are plain JSON data already, and `dataclasses.asdict`, which deep-copies
    every nested value, took a third of the first pass's time in Python (0.9 s of 2.6 s
    on the bench register)."""
    return dict(zip(RECORD_COLUMNS, [finding.key, *said(finding)], strict=True))


def replace_findings(
    team_id: int, findings: list[FindingData], kinds, now, *, fresh: bool = False
) -> None:
    """Store the findings computed in Python as the team's findings of `kinds`: new and
    changed ones written (`computed_at` this recompute), unchanged ones left alone,
    those of `kinds` no longer found deleted. `fresh`: the team has no findings yet.

    Most findings are the same at each recompute; rewriting a row costs PostgreSQL a
    new version of it and of its index entries, so only the changed ones are sent, as
    the rules in SQL do (`upsert`).
    """
    found = {finding.key: finding for finding in findings}
    stored = {}
    if not fresh:
        stored = {
            key: values
            for key, *values in Finding.objects.filter(
                team_id=team_id, kind__in=kinds
            ).values_list("key", *COMPARED_FIELDS)
        }
    gone = [key for key in stored if key not in found]
    if gone:
        # Through the ORM: their suppressions stay, as history, without the finding.
        Finding.objects.filter(team_id=team_id, key__in=gone).delete()
    records = [
        finding_record(finding)
        for finding in found.values()
        if stored.get(finding.key) != said(finding)
    ]
    if not records:
        return
    constants = {"team_id": team_id, "first_seen_at": now, "computed_at": now}
    if fresh and connection.vendor == "postgresql":
        sql, params = json_insert_sql(Finding, RECORD_COLUMNS, records, constants)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        return
    upsert_rows(
        Finding, records, constants, unique_fields=["team", "key"], update_fields=UPDATED_FIELDS
    )


def lock_team(team_id: int) -> None:
    """Serialise recomputes of one team (PostgreSQL; SQLite serialises all writers)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x464D4541, team_id])


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for the block, and turned back on after
    it (if it was on). A recompute makes tens of thousands of short-lived objects with
    next to no cycles, which reference counting frees as they go; every few
    recomputes they tipped the collector into a full pass over all of the process's
    objects, ~50 ms each on the bench team's recompute of ~200 ms. The few cycles a
    recompute leaves (under 2,000 objects) are collected once it is back on."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@collector_paused()
@transaction.atomic
def refresh_findings(team_id: int, now=None) -> int:
    """Replace the team's findings with a fresh computation; returns how many there are.

    A finding that persists keeps its row and `first_seen_at`; a resolved one goes.
    """
    now = now or timezone.now()
    lock_team(team_id)
    # A team never computed (a fresh register): every finding is new, so the rows are
    # only inserted.
    fresh = not Finding.objects.filter(team_id=team_id).exists()
    # One row per key, even if two rules ever name the same subject.
    findings = list({f.key: f for f in structural_findings(team_id, now)}.values())
    replace_findings(team_id, findings, STRUCTURAL_KINDS, now, fresh=fresh)
    store_failure_mode_findings(team_id, now, fresh=fresh)
    store_overdue_action_findings(team_id, now, fresh=fresh)
    store_evidence_findings(team_id, now, fresh=fresh)
    settle_suppressions(team_id, now)
    return Finding.objects.filter(team_id=team_id).count()


def settle_suppressions(team_id: int, now) -> None:
    """End the suppressions whose finding is back: expired, its figures changed (the
    details it was suppressed with are its fingerprint), or resolved.

    Suppressions are decisions people make one at a time, so a team has few; they are
    compared here one by one.
    """
    today = timezone.localdate(now)
    active = FindingSuppression.objects.filter(team_id=team_id, ended_at__isnull=True)
    active.filter(expires_on__lt=today).update(ended_at=now, end_reason=SuppressionEnd.EXPIRED)
    active.filter(finding__isnull=True).update(ended_at=now, end_reason=SuppressionEnd.RESOLVED)
    changed = [
        suppression.pk
        for suppression in active.select_related("finding").only("details", "finding__details")
        if suppression.details != suppression.finding.details
    ]
    active.filter(pk__in=changed).update(ended_at=now, end_reason=SuppressionEnd.FIGURES_CHANGED)


# --- Ratings contradicted by incidents ----------------------------------------------

CONTRADICTED_KINDS = {
    RatingScaleName.PROBABILITY: FindingKind.PROBABILITY_CONTRADICTED,
    RatingScaleName.DETECTABILITY: FindingKind.DETECTABILITY_CONTRADICTED,
}


def scale_words() -> dict[tuple[str, int], str]:
    """What each probability and detectability rating means, as a clause."""
    return {
        (scale, rating): description[:1].lower() + description[1:]
        for scale, rating, description in RatingScale.objects.filter(
            scale__in=list(CONTRADICTED_KINDS)
        ).values_list("scale", "rating", "description")
    }


def evidence_message(evidence: Evidence, scale: str, words: dict) -> str:
    """“rated 2 (once in five to ten years); 3 incidents in the last 12 months suggest 6
    (a few times a year)”."""
    rated, observed = evidence.rated(scale), evidence.observed(scale)
    window = window_words(evidence.window_days)
    said = f"rated {rated} ({words.get((scale, rated), '')})"
    if scale == RatingScaleName.PROBABILITY:
        count = f"{evidence.incidents} incident{'s' if evidence.incidents != 1 else ''}"
        verb = "suggest" if evidence.incidents != 1 else "suggests"
        return f"{said}; {count} in {window} {verb} {observed} ({words.get((scale, observed))})"
    return (
        f"{said}; a median time to detect of "
        f"{duration_words(evidence.median_detect_seconds)} over {evidence.incidents} "
        f"incident{'s' if evidence.incidents != 1 else ''} in {window} suggests {observed} "
        f"({words.get((scale, observed))})"
    )


def store_evidence_findings(team_id: int, now, *, fresh: bool = False) -> None:
    """Probability and detectability ratings that the failure mode's own incidents
    contradict by FMEA_EVIDENCE_MARGIN or more (closed failure modes aside). The
    figures come from one SQL statement; only the flagged rows are worded here."""
    evidence = failure_mode_evidence(team_id, now=now)
    flagged = {
        scale: [row for row in evidence.values() if row.contradicts(scale)]
        for scale in CONTRADICTED_KINDS
    }
    subject_ids = {row.failure_mode_id for rows in flagged.values() for row in rows}
    subjects = {
        row["id"]: row
        for row in FailureMode.objects.filter(pk__in=subject_ids)
        .exclude(status=FailureModeStatus.CLOSED)
        .values("id", "mode", "step_id", "step__name", "step__application_id")
        .annotate(
            application_name=F("step__application__name"),
            tier_id=F("step__application__tier_id"),
        )
    }
    words = scale_words() if subjects else {}
    for scale, kind in CONTRADICTED_KINDS.items():
        findings = []
        for row in flagged[scale]:
            subject = subjects.get(row.failure_mode_id)
            if subject is None:
                continue
            gap = row.observed(scale) - row.rated(scale)
            where = (
                f"“{subject['mode']}” in {subject['application_name']} / {subject['step__name']}"
            )
            findings.append(
                FindingData(
                    key=f"{kind.value}:failure_mode:{row.failure_mode_id}",
                    kind=kind,
                    severity=FindingSeverity.HIGH if gap >= 4 else FindingSeverity.MEDIUM,
                    message=f"{where}: {evidence_message(row, scale, words)}.",
                    details={
                        "rated": row.rated(scale),
                        "observed": row.observed(scale),
                        "incidents": row.incidents,
                        "window_days": row.window_days,
                        "median_detect_seconds": row.median_detect_seconds,
                    },
                    application_id=subject["step__application_id"],
                    step_id=subject["step_id"],
                    failure_mode_id=row.failure_mode_id,
                    tier_id=subject["tier_id"],
                )
            )
        replace_findings(team_id, findings, [kind], now, fresh=fresh)
