"""Browser forms.

Model forms run the model's full_clean(), so a page validates exactly like the API.
The fields a view fixes (a form's team, step or application) are set on the instance,
not posted, yet still take part in the model's unique and constraint checks.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction

from registry.analysis.graph import dependency_graph, would_create_cycle
from registry.choices import ActionStatus, RatingScaleName, TemplateComponentKind
from registry.models import (
    Action,
    Application,
    BusinessFunction,
    Component,
    Dependency,
    FailureMode,
    FailureModeTemplate,
    RatingScale,
    Region,
    Step,
)

RATING_ERROR = "Choose a rating from 1 to 10."
#: The largest version a form takes: one more (the save's new version) still fits the
#: column on every database, so a made-up version is refused as out of date, not by the
#: database.
MAX_VERSION = 2**31 - 2
#: The largest id a row can have (a 64-bit primary key).
MAX_ID = 2**63 - 1


def component_choices(field: forms.ModelChoiceField, components, empty_label: str) -> None:
    """Offer `components` as "Name (Kind)" in a select."""
    field.queryset = components
    field.label_from_instance = lambda component: (
        f"{component.name} ({component.get_kind_display()})"
    )
    field.empty_label = empty_label


class IdsField(forms.ModelMultipleChoiceField):
    """Several rows by id. An id no row can have (past 64 bits) is refused like any
    unknown one, before the query: SQLite cannot even compare it (OverflowError)."""

    def clean(self, value):
        for item in value if isinstance(value, list | tuple) else []:
            try:
                number = int(item)
            except (TypeError, ValueError):
                continue  # not a number: refused by the usual check
            if abs(number) > MAX_ID:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": item},
                )
        return super().clean(value)


def region_choices(field: forms.ModelMultipleChoiceField) -> None:
    field.label_from_instance = lambda region: (
        f"{region.code} — {region.name} ({region.jurisdiction})"
    )


class ScopedModelForm(forms.ModelForm):
    """A model form whose `fixed_fields` are set by the view before validation.

    Django leaves fields that are not on the form out of the unique and constraint
    checks; these are known, so (team, name) uniqueness is answered on the form
    instead of failing in the database.
    """

    fixed_fields: tuple[str, ...] = ()
    #: field → (the fixed field it is unique within, message): answered on the field.
    unique_within: dict[str, tuple[str, str]] = {}

    def _get_validation_exclusions(self) -> set[str]:
        return super()._get_validation_exclusions() - set(self.fixed_fields)

    def clean(self) -> dict:
        cleaned = super().clean()
        for name, (scope, message) in self.unique_within.items():
            value = cleaned.get(name)
            scope_id = getattr(self.instance, f"{scope}_id")
            if value is None or scope_id is None:
                continue
            taken = self._meta.model._default_manager.filter(
                **{name: value, f"{scope}_id": scope_id}
            ).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error(name, message)
        return cleaned


class VersionedForm(ScopedModelForm):
    """Carries the version the user read; a save from an older one raises StaleEditError
    (the model's UPDATE ... WHERE version = <read>) instead of overwriting."""

    version = forms.IntegerField(
        widget=forms.HiddenInput,
        required=False,
        min_value=1,
        max_value=MAX_VERSION,
        error_messages={"max_value": "This form is out of date: reload the page."},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["version"].required = True
            self.fields["version"].initial = self.instance.version
            self.fields["version"].error_messages["required"] = (
                "This form is out of date: reload the page."
            )

    def save(self, commit: bool = True):
        if self.instance.pk is not None:
            self.instance.version = self.cleaned_data["version"]
        return super().save(commit=commit)


# --- ratings ------------------------------------------------------------------------


def rating_label(scale: str, rating: int, scales: dict[tuple[str, int], RatingScale]) -> str:
    """ "8 · Very high — A business function is unavailable …" (number alone if unknown)."""
    row = scales.get((scale, rating))
    return f"{rating} · {row.label} — {row.description}" if row else str(rating)


class RatingField(forms.TypedChoiceField):
    """A 1–10 rating as a select whose options show the number, label and description."""

    def __init__(self, *, scale: str, scales: dict, required: bool = True, **kwargs) -> None:
        blank = "— choose —" if required else "— not rated —"
        choices = [("", blank)] + [
            (rating, rating_label(scale, rating, scales)) for rating in range(1, 11)
        ]
        super().__init__(
            choices=choices,
            coerce=int,
            empty_value=None,
            required=required,
            error_messages={"required": RATING_ERROR, "invalid_choice": RATING_ERROR},
            **kwargs,
        )


RATING_FIELDS = {
    "severity": RatingScaleName.SEVERITY,
    "probability": RatingScaleName.PROBABILITY,
    "detectability": RatingScaleName.DETECTABILITY,
}


class FailureModeForm(VersionedForm):
    """A failure mode's worksheet columns. `compact` gives one-line inputs for a row."""

    fixed_fields = ("step", "team")

    class Meta:
        model = FailureMode
        fields = [
            "component",
            "mode",
            "failure_category",
            "effect",
            "cause",
            "prevention_controls",
            "detection_controls",
            "severity",
            "probability",
            "detectability",
            "status",
            "revised_severity",
            "revised_probability",
            "revised_detectability",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 2})
            for name in ("effect", "cause", "prevention_controls", "detection_controls")
        }

    def __init__(self, *args, scales: dict, compact: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        step = self.instance.step
        component_choices(
            self.fields["component"],
            Component.objects.for_team(step.application.team_id).order_by("name"),
            "— none —",
        )
        for prefix, required in (("", True), ("revised_", False)):
            for name, scale in RATING_FIELDS.items():
                model_field = FailureMode._meta.get_field(prefix + name)
                self.fields[prefix + name] = RatingField(
                    scale=scale,
                    scales=scales,
                    required=required,
                    label=model_field.verbose_name.capitalize(),
                    help_text=model_field.help_text,
                )
        if compact:
            for name in ("effect", "cause", "prevention_controls", "detection_controls"):
                self.fields[name].widget = forms.TextInput()
        self.keep_posted_ratings()

    def keep_posted_ratings(self) -> None:
        """Show a refused rating (e.g. 11 posted by hand) in its select, marked, rather
        than silently replacing it: only the widget gets the extra option."""
        if not self.is_bound:
            return
        for name, field in self.fields.items():
            if not isinstance(field, RatingField):
                continue
            posted = self.data.get(self.add_prefix(name), "")
            if posted and posted not in {str(value) for value, _ in field.choices}:
                field.widget.choices = [*field.choices, (posted, f"{posted} (not a rating)")]

    def clean(self) -> dict:
        cleaned = super().clean()
        revised = [f"revised_{name}" for name in RATING_FIELDS]
        given = [name for name in revised if cleaned.get(name) is not None]
        if given and len(given) < len(revised):
            for name in revised:
                if name not in given and name not in self.errors:
                    self.add_error(name, "Give all three revised ratings, or none.")
        return cleaned

    def save_by(self, user) -> FailureMode:
        self.instance.updated_by = user
        if self.instance.pk is None:
            self.instance.created_by = user
        return self.save()


class LibraryFilterForm(forms.Form):
    """Which library templates to list: those for a component's kind, or for a kind."""

    component = forms.ModelChoiceField(
        queryset=Component.objects.none(),
        required=False,
        help_text="The component that fails. The library lists the templates for its kind.",
    )
    kind = forms.ChoiceField(
        choices=[("", "All kinds"), *TemplateComponentKind.choices],
        required=False,
        label="Component kind",
        help_text="Without a component: which kind of component's templates to list.",
    )

    def __init__(self, *args, step: Step, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.step = step
        component_choices(
            self.fields["component"],
            Component.objects.for_team(step.application.team_id).order_by("name"),
            "— choose a component —",
        )

    def chosen_kind(self) -> str:
        """The component kind whose templates to list ('' for all)."""
        if not self.is_bound:
            return ""
        data = getattr(self, "cleaned_data", {})
        component = data.get("component")
        return component.kind if component is not None else data.get("kind", "")


class LibraryForm(LibraryFilterForm):
    """Pick templates from the failure-mode library to add to a step."""

    templates = IdsField(
        queryset=FailureModeTemplate.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Tick at least one failure mode to add."},
    )

    @transaction.atomic
    def save_by(self, user) -> list[FailureMode]:
        """One failure mode per ticked template, with its suggested ratings."""
        created = []
        for template in self.cleaned_data["templates"]:
            failure_mode = FailureMode(
                step=self.step,
                team_id=self.step.application.team_id,
                component=self.cleaned_data.get("component"),
                created_by=user,
                updated_by=user,
                **{
                    name: getattr(template, name)
                    for name in (
                        "mode",
                        "failure_category",
                        "effect",
                        "cause",
                        "prevention_controls",
                        "detection_controls",
                        "severity",
                        "probability",
                        "detectability",
                    )
                },
            )
            failure_mode.full_clean()
            failure_mode.save()
            created.append(failure_mode)
        return created


# --- actions ------------------------------------------------------------------------


class ActionForm(VersionedForm):
    fixed_fields = ("failure_mode",)

    class Meta:
        model = Action
        fields = ["description", "owner", "due_date", "status", "notes"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def save_by(self, user) -> Action:
        self.instance.updated_by = user
        return self.save()


def complete_action(action: Action, *, version: int, user) -> Action:
    """Mark an action done, refusing a stale copy (StaleEditError)."""
    action.status = ActionStatus.DONE
    action.version = version
    action.updated_by = user
    action.full_clean()
    action.save()
    return action


class VersionForm(forms.Form):
    """Just the version the user read, for one-button state changes."""

    version = forms.IntegerField(min_value=1, max_value=MAX_VERSION)


# --- applications, steps, components ------------------------------------------------


class BusinessFunctionForm(ScopedModelForm):
    fixed_fields = ("team",)
    unique_within = {"name": ("team", "Your team already has a business function of this name.")}

    class Meta:
        model = BusinessFunction
        fields = ["name", "description", "priority"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class ApplicationForm(ScopedModelForm):
    fixed_fields = ("team",)
    unique_within = {"name": ("team", "Your team already has an application of this name.")}

    class Meta:
        model = Application
        fields = [
            "name",
            "business_function",
            "description",
            "tier",
            "dr_strategy",
            "regions",
            "data_residency",
            "owner",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "regions": forms.CheckboxSelectMultiple,
        }
        field_classes = {"regions": IdsField}
        help_texts = {
            "tier": "The tier sets the recovery objectives (RTO, RPO, availability).",
            "dr_strategy": "How the application recovers from a disaster, cheapest first.",
            "regions": "Where it runs; two or more regions are needed for 99.999 %.",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["business_function"].queryset = BusinessFunction.objects.for_team(
            self.instance.team_id
        )
        self.fields["business_function"].empty_label = "— none —"
        region_choices(self.fields["regions"])
        jurisdictions = sorted(
            {*Region.objects.values_list("jurisdiction", flat=True), self.instance.data_residency}
            - {""}
        )
        self.fields["data_residency"] = forms.ChoiceField(
            choices=[("", "No constraint"), *((code, code) for code in jurisdictions)],
            required=False,
            label="Data residency",
            help_text=Application._meta.get_field("data_residency").help_text,
        )


class StepForm(ScopedModelForm):
    fixed_fields = ("application",)
    unique_within = {"order": ("application", "Another step already has this position.")}

    class Meta:
        model = Step
        fields = [
            "order",
            "name",
            "description",
            "rto_seconds",
            "rpo_seconds",
            "availability_target",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class ComponentForm(ScopedModelForm):
    fixed_fields = ("team",)
    unique_within = {"name": ("team", "Your team already has a component of this name.")}

    class Meta:
        model = Component
        fields = ["name", "kind", "description", "availability", "regions", "application"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "regions": forms.CheckboxSelectMultiple,
        }
        field_classes = {"regions": IdsField}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["application"].queryset = Application.objects.for_team(
            self.instance.team_id
        ).order_by("name")
        self.fields["application"].empty_label = "— not one of our applications —"
        region_choices(self.fields["regions"])

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("application") and cleaned.get("kind") != "application":
            self.add_error("application", "Only a component of kind application can be one.")
        return cleaned


class DependencyForm(ScopedModelForm):
    """What a step (or a component) needs: a component, hard or soft."""

    fixed_fields = ("step", "dependant_component")

    hard = forms.TypedChoiceField(
        choices=[(True, "Hard: fails without it"), (False, "Soft: degraded without it")],
        coerce=lambda value: value in (True, "True"),
        widget=forms.RadioSelect,
        initial=True,
        label="Kind of dependency",
    )

    class Meta:
        model = Dependency
        fields = ["component", "hard"]

    def __init__(self, *args, team_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        components = Component.objects.for_team(team_id).order_by("name")
        if self.instance.dependant_component_id is not None:
            components = components.exclude(pk=self.instance.dependant_component_id)
        component_choices(self.fields["component"], components, "— choose a component —")
        self.team_id = team_id

    def clean(self) -> dict:
        cleaned = super().clean()
        dependant = self.instance.dependant_component_id
        component = cleaned.get("component")
        if dependant is not None and component is not None:
            graph = dependency_graph(self.team_id)
            if would_create_cycle(graph, dependant, component.pk):
                self.add_error(
                    "component", f"{component} already depends on this component: a loop."
                )
        return cleaned
