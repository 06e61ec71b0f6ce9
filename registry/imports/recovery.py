"""The recovery inputs a worksheet gives the components and applications its rows name.

A row's `component_*` columns set its component's recovery properties and its
`application_*` columns its application's (`registry.columns.RECOVERY_COLUMNS`); a
column the file lacks leaves them as they are, an empty cell clears the figure. Every
row naming a component (or application) must give it the same inputs. The values are
checked by the models' own rules (`full_clean()`: non-negative figures, lag only with
asynchronous replication, a window only with point-in-time recovery, replication and
backups only on data stores), so the import refuses what the form and the API refuse,
in the same words.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

from registry.columns import COLUMNS
from registry.imports.validation import Problem, Row
from registry.models import Application, Component, Region

PREFIXES = {Component: "component_", Application: "application_"}


@dataclass
class Inputs:
    """One component's (or application's) recovery inputs, as the file gives them."""

    name: str
    row: int  # the first row giving them
    values: dict[str, object]  # field → value, regions as codes
    instance: models.Model | None = None  # checked, with the values set (not saved)
    regions: dict[str, list[Region]] = field(default_factory=dict)  # M2M field → regions


def given(row: Row, model: type[models.Model]) -> dict[str, object]:
    """The row's recovery inputs for `model` (Component or Application), by field."""
    prefix = PREFIXES[model]
    return {
        column.removeprefix(prefix): value
        for column, value in row.recovery.items()
        if column.startswith(prefix)
    }


def is_blank(values: dict[str, object]) -> bool:
    return all(value in (None, False, (), "none") for value in values.values())


@dataclass
class RecoveryPlan:
    """The inputs of the file's components and applications, by folded name."""

    components: dict[str, Inputs] = field(default_factory=dict)
    applications: dict[str, Inputs] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def collect(self, row: Row) -> None:
        """Note the row's inputs; another row giving the same component others is a
        problem."""
        for model, name, found in (
            (Component, row.component, self.components),
            (Application, row.application, self.applications),
        ):
            values = given(row, model)
            if not values:
                continue
            if not name:
                if not is_blank(values):
                    self.problem(
                        row.number,
                        "component",
                        "This row gives recovery inputs but names no component.",
                    )
                continue
            first = found.setdefault(name.casefold(), Inputs(name, row.number, values))
            differing = [key for key, value in values.items() if first.values.get(key) != value]
            if differing:
                label = model._meta.verbose_name
                self.problem(
                    row.number,
                    PREFIXES[model] + differing[0],
                    f"The {label} {name!r} has other recovery inputs in row {first.row}: "
                    f"give a {label} the same in every row.",
                )

    def check(self, stored: dict, new: dict, team) -> None:
        """Each component's and application's inputs against the model's rules.
        `stored`/`new`: by folded name, the matched rows and the (name, kind) to create."""
        wanted = any(
            COLUMNS[f"component_{name}"].regions and value
            for inputs in self.components.values()
            for name, value in inputs.values.items()
        )
        # The regions are reference data: a few dozen rows, read once.
        regions = {r.code.casefold(): r for r in Region.objects.all()} if wanted else {}
        for model, found in ((Component, self.components), (Application, self.applications)):
            for key, inputs in found.items():
                instance = stored[model].get(key)
                if instance is not None:
                    instance = copy.copy(instance)
                elif model is Component:
                    _, kind = new[model][key]
                    instance = Component(team=team, name=inputs.name, kind=kind or "")
                else:
                    instance = Application(team=team, name=inputs.name)
                self._check(model, inputs, instance, regions)

    def _check(self, model, inputs: Inputs, instance, regions: dict[str, Region]) -> None:
        prefix = PREFIXES[model]
        for name, value in inputs.values.items():
            if COLUMNS[prefix + name].regions:
                unknown = [code for code in value if code.casefold() not in regions]
                if unknown:
                    self.problem(
                        inputs.row,
                        prefix + name,
                        f"Unknown region code{'s' if len(unknown) > 1 else ''}: "
                        f"{', '.join(unknown)}.",
                    )
                inputs.regions[name] = [
                    regions[code.casefold()] for code in value if code.casefold() in regions
                ]
            else:
                setattr(instance, name, value)
        # Only the recovery rules: the rest of the row is checked elsewhere (the kind
        # stays in, as replication and backups are for data stores only).
        checked = {*model.RECOVERY_FIELDS, "kind"}
        exclude = [f.name for f in model._meta.get_fields() if f.name not in checked]
        try:
            instance.full_clean(exclude=exclude, validate_unique=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                column = prefix + name if name != NON_FIELD_ERRORS else prefix.rstrip("_")
                for message in messages:
                    self.problem(inputs.row, column, message)
        inputs.instance = instance

    def problem(self, row: int, column: str, message: str) -> None:
        self.problems.append(Problem(row, column, message))


def apply(found: dict[str, Inputs], saved: dict, model) -> list:
    """Set the inputs on the saved rows (new or matched) and store them: the plain
    fields in one UPDATE per model, the region sets by their through rows. Returns the
    rows whose fields changed (for their history)."""
    changed = []
    names: set[str] = set()
    regions: dict[str, dict[int, list[Region]]] = {}
    for key, inputs in found.items():
        instance = saved[key]
        fields = {k: v for k, v in inputs.values.items() if k not in inputs.regions}
        if any(getattr(instance, k) != v for k, v in fields.items()):
            for name, value in fields.items():
                setattr(instance, name, value)
            names.update(fields)
            changed.append(instance)
        for name, chosen in inputs.regions.items():
            regions.setdefault(name, {})[instance.pk] = chosen
    if changed:
        model.objects.bulk_update(changed, sorted(names))
    for name, by_id in regions.items():
        through = getattr(model, name).through
        through.objects.filter(component_id__in=list(by_id)).delete()
        through.objects.bulk_create(
            through(component_id=pk, region=region)
            for pk, chosen in by_id.items()
            for region in chosen
        )
    return changed
