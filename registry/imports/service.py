"""Importing a worksheet into a team: all rows or none.

Business functions, applications, steps and components are matched by name within the
team (ignoring case) and created when missing; an application's tier is given by its
level. A row with an `id` (an exported row, edited) updates that failure mode with the
columns the file has, provided its `version` is still the stored one; a row without
one creates a failure mode; nothing is deleted. Every row is checked first; with any
problem (a stale version among them) nothing is written and each problem is reported.
The write is a handful of bulk INSERTs and UPDATEs (with their history rows), and the
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
from registry.db.bulk import ChangedSinceRead, update_versioned
from registry.imports import columns as columns_module
from registry.imports import recovery as recovery_inputs
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
# What a row with an id may change, beside its step and component: the file's column
# of each name. The three revised ratings go together.
UPDATABLE = (
    "mode",
    "effect",
    "cause",
    "failure_category",
    "prevention_controls",
    "detection_controls",
    "severity",
    "probability",
    "detectability",
    "status",
)
REVISED = ("revised_severity", "revised_probability", "revised_detectability")


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
    present: frozenset[str] = frozenset()  # the file's columns
    lock: bool = False  # lock the rows to update until the transaction ends
    problems: list[Problem] = field(default_factory=list)
    conflicts: int = 0
    # Rows naming a failure mode: (row, the stored failure mode, {field: (before, after)}).
    updates: list[tuple[Row, FailureMode, dict]] = field(default_factory=list)
    new_actions: dict[int, Row] = field(default_factory=dict)  # failure mode id → row
    functions: dict[str, BusinessFunction | str] = field(default_factory=dict)
    applications: dict[str, Application | tuple] = field(default_factory=dict)
    steps: dict[tuple[str, str], Step | tuple] = field(default_factory=dict)
    components: dict[str, Component | tuple] = field(default_factory=dict)
    recovery: recovery_inputs.RecoveryPlan = field(default_factory=recovery_inputs.RecoveryPlan)

    @classmethod
    def build(cls, team: Team, rows: list[Row], present=(), *, lock: bool = False) -> Plan:
        plan = cls(team=team, rows=rows, present=frozenset(present), lock=lock)
        plan._match()
        return plan

    @property
    def new_rows(self) -> list[Row]:
        return [row for row in self.rows if row.id is None]

    def _stored(self) -> dict[int, FailureMode]:
        """The team's failure modes that rows name, by id (locked when writing: a
        concurrent edit then waits for the import, or the import sees its version)."""
        ids = [row.id for row in self.rows if row.id is not None]
        stored: dict[int, FailureMode] = {}
        for start in range(0, len(ids), BATCH):
            rows = FailureMode.objects.filter(team=self.team, id__in=ids[start : start + BATCH])
            if self.lock:
                rows = rows.select_for_update()
            stored.update((fm.pk, fm) for fm in rows.order_by())
        return stored

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
        stored = self._stored()
        self._step_names = {step.pk: step.name for step in steps.values()}
        self._component_names = {c.pk: c.name for c in components.values()}
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
                    if duplicate is not None and duplicate != row.id:
                        self.problem(
                            row,
                            "mode",
                            f"Already in the register as failure mode #{duplicate} of step "
                            f"{step.name!r} (a step has one failure mode per component and "
                            "mode): to change it, give its id and version from an export.",
                        )
            if row.id is not None:
                self._match_update(row, stored.get(row.id))
            self.recovery.collect(row)
        if self.updates:
            self._match_actions()
        self._check_recovery()

    def _check_recovery(self) -> None:
        if not (self.recovery.components or self.recovery.applications):
            return
        self.recovery.check(
            {
                Component: {k: v for k, v in self.components.items() if isinstance(v, Component)},
                Application: {
                    k: v for k, v in self.applications.items() if isinstance(v, Application)
                },
            },
            {Component: self.components},
            self.team,
        )
        self.problems += self.recovery.problems

    def _match_update(self, row: Row, current: FailureMode | None) -> None:
        if current is None:
            self.problem(
                row,
                "id",
                f"No failure mode #{row.id} in team {self.team.name}: the id comes from "
                "an export of this team; leave it empty to add the row as a new one.",
            )
        elif current.version != row.version:
            self.conflicts += 1
            self.problem(
                row,
                "version",
                f"Conflict: failure mode #{row.id} was changed since this file was exported "
                f"(version {row.version} in the file, {current.version} in the register). "
                "Export it again and redo the edit.",
            )
        else:
            self.updates.append((row, current, self._changes(row, current)))

    def _changes(self, row: Row, current: FailureMode) -> dict[str, tuple]:
        """{field: (stored, the row's)} for what the row changes."""
        changes: dict[str, tuple] = {}
        step = self.steps[(fold(row.application), fold(row.step))]
        if not isinstance(step, Step) or step.pk != current.step_id:
            changes["step"] = (self._step_names.get(current.step_id), row.step)
        if "component" in self.present:
            component = self.components.get(fold(row.component)) if row.component else None
            component_id = getattr(component, "pk", component)
            if component_id != current.component_id:
                before = self._component_names.get(current.component_id)
                changes["component"] = (before, row.component or None)
        for name in UPDATABLE:
            value = getattr(row, name)
            if name in self.present and value is not None and value != getattr(current, name):
                changes[name] = (getattr(current, name), value)
        if self.present.intersection(REVISED):
            for name, value in zip(REVISED, row.revised or (None,) * 3, strict=True):
                if value != getattr(current, name):
                    changes[name] = (getattr(current, name), value)
        return changes

    def _match_actions(self) -> None:
        """An update row's action is added unless the failure mode has it already."""
        rows = {current.pk: row for row, current, _ in self.updates if row.action}
        have = {
            (failure_mode_id, fold(description))
            for failure_mode_id, description in Action.objects.filter(
                failure_mode_id__in=list(rows)
            ).values_list("failure_mode_id", "description")
        }
        self.new_actions = {
            pk: row for pk, row in rows.items() if (pk, fold(row.action)) not in have
        }

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
        new_rows = self.new_rows
        updated = [
            (row, current, changes)
            for row, current, changes in self.updates
            if changes or current.pk in self.new_actions
        ]
        counts = {
            "new": len(new_rows),
            "updated": len(updated),
            "unchanged": len(self.updates) - len(updated),
            "conflict": self.conflicts,
        }
        return {
            "dry_run": dry_run,
            "rows": len(self.rows),
            "created": {
                "business_functions": len(functions),
                "applications": len(applications),
                "steps": len(steps),
                "components": len(components),
                "failure_modes": len(new_rows),
                "actions": sum(1 for row in new_rows if row.action) + len(self.new_actions),
            },
            "failure_modes": counts,
            "updates": [
                {
                    "row": row.number,
                    "id": current.pk,
                    "mode": row.mode,
                    "changes": {
                        name: [plain(before), plain(after)]
                        for name, (before, after) in changes.items()
                    }
                    | ({"action": [None, row.action]} if current.pk in self.new_actions else {}),
                }
                for row, current, changes in updated[:MAX_PROBLEMS]
            ],
            "names": {
                "business_functions": functions[:NAMES_SHOWN],
                "applications": applications[:NAMES_SHOWN],
                "steps": steps[:NAMES_SHOWN],
                "components": components[:NAMES_SHOWN],
            },
            "message": counts_message(counts, dry_run),
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
        recovery_inputs.apply(self.recovery.components, self.components, Component)
        applications = recovery_inputs.apply(
            self.recovery.applications, self.applications, Application
        )
        if applications:
            Application.history.bulk_history_create(applications, update=True, **change)

        library = {
            fold(mode): category
            for mode, category in FailureModeTemplate.objects.values_list(
                "mode", "failure_category"
            )
        }
        new_rows = self.new_rows
        total = len(self.rows)
        for start in range(0, len(new_rows), BATCH):
            batch = new_rows[start : start + BATCH]
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
        self._update(user, change, progress)
        # Bulk writes send no signals: mark the team for its recompute ourselves.
        request_recompute(team.pk)

    def _update(self, user, change: dict, progress: Progress | None) -> None:
        """The changed rows, each one version on, in bulk UPDATEs with their history
        rows. The rows were locked when read (PostgreSQL), and each UPDATE checks the
        versions again: a row changed meanwhile aborts the import (ChangedSinceRead)."""
        changed = [(row, current, changes) for row, current, changes in self.updates if changes]
        fields = {"version", "updated_by", "updated_at"}
        now = timezone.now()
        for row, current, changes in changed:
            for name in changes:
                if name == "step":
                    current.step = self.steps[(fold(row.application), fold(row.step))]
                elif name == "component":
                    component = self.components.get(fold(row.component)) if row.component else None
                    current.component = component
                else:
                    setattr(current, name, changes[name][1])
            fields.update(changes)
            current.version += 1
            current.updated_by = user
            current.updated_at = now
        for start in range(0, len(changed), BATCH):
            batch = [current for _, current, _ in changed[start : start + BATCH]]
            update_versioned(FailureMode, batch, sorted(fields))
            FailureMode.history.bulk_history_create(batch, update=True, **change)
            if progress is not None:
                done = len(self.new_rows) + start + len(batch)
                progress("writing", min(done, len(self.rows)), len(self.rows))
        actions = [
            Action(
                failure_mode_id=pk,
                description=row.action,
                owner=row.action_owner,
                due_date=row.action_due,
                updated_by=user,
            )
            for pk, row in self.new_actions.items()
        ]
        if actions:
            bulk_create_with_history(actions, Action, batch_size=BATCH, **change)

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


def plain(value):
    """A value as the summary's JSON holds it."""
    return value if value is None or isinstance(value, int | str) else str(value)


def counts_message(counts: dict, dry_run: bool) -> str:
    """ "3 failure modes would be created, 1 updated, 5 unchanged." """
    verb = "would be created" if dry_run else "created"
    message = f"{counts['new']:,} failure modes {verb}"
    if counts["updated"] or counts["unchanged"] or counts["conflict"]:
        message += f", {counts['updated']:,} updated, {counts['unchanged']:,} unchanged"
    if counts["conflict"]:
        message += f", {counts['conflict']:,} in conflict"
    return message + "."


def failed(
    problems: list[Problem], dry_run: bool, rows: int = 0, summary: dict | None = None
) -> ImportResult:
    ordered = sorted(problems, key=lambda p: (p.row is not None, p.row or 0, p.column or ""))
    if len(ordered) > MAX_PROBLEMS:
        more = len(ordered) - MAX_PROBLEMS
        ordered = [
            *ordered[:MAX_PROBLEMS],
            Problem(None, None, f"… and {more:,} more problems not listed."),
        ]
    return ImportResult(
        ok=False, dry_run=dry_run, row_count=rows, problems=ordered, summary=summary or {}
    )


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
        plan = Plan.build(team, rows, columns, lock=not dry_run)
        if plan.problems:
            # The counts (conflicts among them) say what the file would have done.
            return failed(plan.problems, dry_run, len(rows), plan.summary(dry_run))
        summary = plan.summary(dry_run)
        if not dry_run:
            try:
                with transaction.atomic():
                    plan.apply(user, progress)
            except ChangedSinceRead as exc:
                message = (
                    f"Rows were changed while the file was imported ({exc}); import it again."
                )
                return failed([Problem(None, "version", message)], dry_run, len(rows))
    return ImportResult(ok=True, dry_run=dry_run, row_count=len(rows), summary=summary)
