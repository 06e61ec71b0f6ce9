"""Importing a worksheet into a team: all rows or none.

Business functions, applications, steps and components are matched by name within the
team (ignoring case) and created when missing; an application's tier is given by its
level. Every row is checked first; with any problem nothing is written and each problem
is reported. The write is a handful of bulk INSERTs (with their history rows), and the
team is marked for one recompute of its rollups and findings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from registry.analysis.recompute import request_recompute
from registry.choices import FailureCategory
from registry.imports import columns as columns_module
from registry.imports.reading import Refused, read_table
from registry.imports.validation import Problem, Row, read_rows
from registry.models import (
    Action,
    Application,
    BusinessFunction,
    Component,
    DrStrategy,
    FailureMode,
    FailureModeTemplate,
    Step,
    Team,
    Tier,
)
from registry.models.failure_modes import undecided

BATCH = 2000
MAX_PROBLEMS = 1000  # listed; a file with more says how many more
NAMES_SHOWN = 100  # names listed per kind in a summary; the counts are complete
Progress = Callable[[str, int, int], None]


@dataclass
class ImportResult:
    ok: bool
    dry_run: bool
    row_count: int = 0
    problems: list[Problem] = field(default_factory=list)
    summary: dict = field(default_factory=dict)

    def errors(self) -> list[dict]:
        return [problem.as_dict() for problem in self.problems]


def fold(name: str) -> str:
    return name.casefold()


@dataclass
class Plan:
    """What the rows need: the existing rows they match and what must be created."""

    team: Team
    rows: list[Row]
    problems: list[Problem] = field(default_factory=list)
    functions: dict[str, BusinessFunction | str] = field(default_factory=dict)
    applications: dict[str, Application | tuple] = field(default_factory=dict)
    steps: dict[tuple[str, str], Step | tuple] = field(default_factory=dict)
    components: dict[str, Component | tuple] = field(default_factory=dict)

    @classmethod
    def build(cls, team: Team, rows: list[Row]) -> Plan:
        plan = cls(team=team, rows=rows)
        plan._match()
        return plan

    def _match(self) -> None:
        team = self.team
        functions = {fold(f.name): f for f in BusinessFunction.objects.filter(team=team)}
        applications = {
            fold(a.name): a
            for a in Application.objects.filter(team=team).select_related(
                "tier", "business_function"
            )
        }
        steps = {
            (fold(s.application.name), fold(s.name)): s
            for s in Step.objects.filter(application__team=team).select_related("application")
        }
        components = {fold(c.name): c for c in Component.objects.filter(team=team)}
        existing = {
            (step_id, component_id, fold(mode)): pk
            for pk, step_id, component_id, mode in FailureMode.objects.filter(
                team=team
            ).values_list("id", "step_id", "component_id", "mode")
        }
        for row in self.rows:
            self.functions.setdefault(
                fold(row.business_function),
                functions.get(fold(row.business_function), row.business_function),
            )
            application = applications.get(fold(row.application))
            if application is not None:
                self._check_application(row, application)
            self.applications.setdefault(
                fold(row.application),
                application or (row.application, row.tier, fold(row.business_function)),
            )
            step_key = (fold(row.application), fold(row.step))
            self.steps.setdefault(step_key, steps.get(step_key) or (row.step, row.step_order))
            component = None
            if row.component:
                component = components.get(fold(row.component))
                if component is not None:
                    if row.component_kind and row.component_kind != component.kind:
                        self.problem(
                            row,
                            "component_kind",
                            f"Component {component.name!r} is a {component.get_kind_display()} "
                            f"in the register, not a {row.component_kind}.",
                        )
                elif fold(row.component) not in self.components and not row.component_kind:
                    self.problem(
                        row,
                        "component_kind",
                        f"Give the component kind to create component {row.component!r}.",
                    )
                self.components.setdefault(
                    fold(row.component), component or (row.component, row.component_kind)
                )
            step = self.steps[step_key]
            if isinstance(step, Step):
                component_id = component.pk if component is not None else None
                if not row.component or component is not None:
                    duplicate = existing.get((step.pk, component_id, fold(row.mode)))
                    if duplicate is not None:
                        self.problem(
                            row,
                            "mode",
                            f"Already in the register as failure mode #{duplicate} of step "
                            f"{step.name!r}.",
                        )

    def _check_application(self, row: Row, application: Application) -> None:
        if application.tier.level != row.tier:
            self.problem(
                row,
                "tier",
                f"Application {application.name!r} is tier {application.tier.level} in the "
                f"register; this row says tier {row.tier}.",
            )
        function = application.business_function
        if function is not None and fold(function.name) != fold(row.business_function):
            self.problem(
                row,
                "business_function",
                f"Application {application.name!r} delivers {function.name!r} in the "
                f"register, not {row.business_function!r}.",
            )

    def problem(self, row: Row, column: str, message: str) -> None:
        self.problems.append(Problem(row.number, column, message))

    def summary(self, dry_run: bool) -> dict:
        def new(values) -> list[str]:
            return [value for value in values if not hasattr(value, "pk")]

        functions = new(self.functions.values())
        applications = [value[0] for value in new(self.applications.values())]
        steps = [
            f"{self._application_name(key[0])} / {value[0]}"
            for key, value in self.steps.items()
            if not isinstance(value, Step)
        ]
        components = [value[0] for value in new(self.components.values())]
        verb = "would be created" if dry_run else "created"
        return {
            "dry_run": dry_run,
            "rows": len(self.rows),
            "created": {
                "business_functions": len(functions),
                "applications": len(applications),
                "steps": len(steps),
                "components": len(components),
                "failure_modes": len(self.rows),
                "actions": sum(1 for row in self.rows if row.action),
            },
            "names": {
                "business_functions": functions[:NAMES_SHOWN],
                "applications": applications[:NAMES_SHOWN],
                "steps": steps[:NAMES_SHOWN],
                "components": components[:NAMES_SHOWN],
            },
            "message": f"{len(self.rows):,} failure modes {verb}.",
        }

    def _application_name(self, key: str) -> str:
        value = self.applications[key]
        return value.name if isinstance(value, Application) else value[0]

    # --- writing ----------------------------------------------------------------------

    def apply(self, user, progress: Progress | None = None) -> None:
        team = self.team
        if progress is not None:
            progress("writing", 0, len(self.rows))
        change = {"default_user": user, "default_change_reason": "Worksheet import"}
        new_functions = {
            key: BusinessFunction(team=team, name=value)
            for key, value in self.functions.items()
            if isinstance(value, str)
        }
        BusinessFunction.objects.bulk_create(new_functions.values())
        self.functions.update(new_functions)

        tiers = {tier.level: tier for tier in Tier.objects.all()}
        strategy = DrStrategy.objects.order_by("cost_rank").first()
        new_applications = {
            key: Application(
                team=team,
                name=name,
                tier=tiers[level],
                dr_strategy=strategy,
                business_function=self.functions[function_key],
            )
            for key, value in self.applications.items()
            if not isinstance(value, Application)
            for name, level, function_key in [value]
        }
        bulk_create_with_history(list(new_applications.values()), Application, **change)
        self.applications.update(new_applications)

        new_steps = self._new_steps()
        bulk_create_with_history(list(new_steps.values()), Step, **change)
        self.steps.update(new_steps)

        new_components = {
            key: Component(team=team, name=name, kind=kind)
            for key, value in self.components.items()
            if not isinstance(value, Component)
            for name, kind in [value]
        }
        Component.objects.bulk_create(new_components.values())
        self.components.update(new_components)

        library = {
            fold(mode): category
            for mode, category in FailureModeTemplate.objects.values_list(
                "mode", "failure_category"
            )
        }
        total = len(self.rows)
        for start in range(0, total, BATCH):
            batch = self.rows[start : start + BATCH]
            failure_modes = [self._failure_mode(row, user, library) for row in batch]
            bulk_create_with_history(failure_modes, FailureMode, batch_size=BATCH, **change)
            actions = [
                Action(
                    failure_mode=failure_mode,
                    description=row.action,
                    owner=row.action_owner,
                    due_date=row.action_due,
                    updated_by=user,
                )
                for row, failure_mode in zip(batch, failure_modes, strict=True)
                if row.action
            ]
            if actions:
                bulk_create_with_history(actions, Action, batch_size=BATCH, **change)
            if progress is not None:
                progress("writing", start + len(batch), total)
        # Bulk INSERTs send no signals: mark the team for its recompute ourselves.
        request_recompute(team.pk)

    def _new_steps(self) -> dict:
        """New steps with orders: the row's step_order when free, else after the last."""
        used: dict[int, set[int]] = {}
        for step in Step.objects.filter(application__team=self.team).values(
            "application_id", "order"
        ):
            used.setdefault(step["application_id"], set()).add(step["order"])
        new = {}
        for key, value in self.steps.items():
            if isinstance(value, Step):
                continue
            name, order = value
            application = self.applications[key[0]]
            taken = used.setdefault(application.pk, set())
            if order is None or order in taken:
                order = max(taken, default=0) + 1
            taken.add(order)
            new[key] = Step(application=application, name=name, order=order)
        return new

    def _failure_mode(self, row: Row, user, library: dict) -> FailureMode:
        step = self.steps[(fold(row.application), fold(row.step))]
        component = self.components.get(fold(row.component)) if row.component else None
        revised = row.revised or (None, None, None)
        return FailureMode(
            team=self.team,
            step=step,
            component=component,
            mode=row.mode,
            effect=row.effect,
            cause=row.cause,
            failure_category=row.failure_category
            or library.get(fold(row.mode), FailureCategory.SINGLE_POINT_OF_FAILURE),
            prevention_controls=row.prevention_controls,
            detection_controls=row.detection_controls,
            severity=row.severity,
            probability=row.probability,
            detectability=row.detectability,
            status=row.status,
            revised_severity=revised[0],
            revised_probability=revised[1],
            revised_detectability=revised[2],
            created_by=user,
            updated_by=user,
            **undecided(row.status, timezone.localdate()),
        )


def failed(problems: list[Problem], dry_run: bool, rows: int = 0) -> ImportResult:
    ordered = sorted(problems, key=lambda p: (p.row is not None, p.row or 0, p.column or ""))
    if len(ordered) > MAX_PROBLEMS:
        more = len(ordered) - MAX_PROBLEMS
        ordered = [
            *ordered[:MAX_PROBLEMS],
            Problem(None, None, f"… and {more:,} more problems not listed."),
        ]
    return ImportResult(ok=False, dry_run=dry_run, row_count=rows, problems=ordered)


def import_worksheet(
    *,
    team: Team,
    user,
    data: bytes,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Check the worksheet in `data` and, unless `dry_run` or any problem, import it."""
    try:
        table = read_table(data)
    except Refused as exc:
        return failed([Problem(None, None, str(exc))], dry_run)
    columns, header_problems = columns_module.read_header(table.header)
    if header_problems:
        return failed([Problem(1, p.column, p.message) for p in header_problems], dry_run)
    tiers = dict(Tier.objects.values_list("level", "name"))
    total = len(table.rows)

    def checking(done: int) -> None:
        if progress is not None:
            progress("checking", done, total)

    rows, problems = read_rows(table, columns, tiers, checking)
    if problems:
        return failed(problems, dry_run, len(rows))
    with transaction.atomic():
        if not dry_run:
            # One import into a team at a time: two imports creating the same new
            # application would otherwise collide on its unique name.
            Team.objects.select_for_update().filter(pk=team.pk).first()
        plan = Plan.build(team, rows)
        if plan.problems:
            return failed(plan.problems, dry_run, len(rows))
        summary = plan.summary(dry_run)
        if not dry_run:
            plan.apply(user, progress)
    return ImportResult(ok=True, dry_run=dry_run, row_count=len(rows), summary=summary)
