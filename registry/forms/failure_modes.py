"""A failure mode's worksheet row, its 1–10 rating selects, and the failure-mode
library that adds several at once."""

from __future__ import annotations

from django import forms
from django.db.models import Exists, OuterRef

from registry.choices import FailureModeStatus, RatingScaleName, TemplateComponentKind
from registry.forms.base import IdsField, VersionedForm, component_choices
from registry.models import (
    Component,
    Dependency,
    FailureMode,
    FailureModeTemplate,
    RatingScale,
    Step,
)
from registry.models.failure_modes import DECISION_FIELDS, WORKSHEET_FIELDS
from registry.services.failure_modes import failure_modes_from_templates

RATING_ERROR = "Choose a rating from 1 to 10."


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


def step_component_choices(field: forms.ModelChoiceField, step: Step, empty_label: str) -> None:
    """The team's components, those the step depends on first (in their own group):
    the failure mode is most likely one of them."""
    components = (
        Component.objects.for_team(step.application.team_id)
        .annotate(needed=Exists(Dependency.objects.filter(step=step, component=OuterRef("pk"))))
        .order_by("-needed", "name")
    )
    component_choices(field, components, empty_label)
    needed, others = [], []
    for component in components:
        choice = (component.pk, field.label_from_instance(component))
        (needed if component.needed else others).append(choice)
    if needed:
        groups = [("This step's dependencies", needed), ("Other components of the team", others)]
        field.choices = [("", empty_label), *((name, group) for name, group in groups if group)]


class FailureModeForm(VersionedForm):
    """A failure mode's worksheet columns. `compact` gives one-line inputs for a row."""

    fixed_fields = ("step", "team")

    class Meta:
        model = FailureMode
        fields = WORKSHEET_FIELDS
        widgets = {
            **{
                name: forms.Textarea(attrs={"rows": 2})
                for name in (
                    "effect",
                    "cause",
                    "prevention_controls",
                    "detection_controls",
                    "acceptance_rationale",
                    "closed_reason",
                )
            },
            "acceptance_expires_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, scales: dict, compact: bool = False, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Who accepts the risk if this save accepts it (the model checks it is an owner).
        self.instance.decided_by = user
        step_component_choices(self.fields["component"], self.instance.step, "— none —")
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
        self.compact = compact
        if compact:
            for name in ("effect", "cause", "prevention_controls", "detection_controls"):
                self.fields[name].widget = forms.TextInput()
            # A decision is made on the failure mode's page, where there is room for it.
            for name in DECISION_FIELDS:
                del self.fields[name]
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
        status = cleaned.get("status")
        decided = (FailureModeStatus.ACCEPTED, FailureModeStatus.CLOSED)
        if self.compact and status in decided and status != self.instance.status:
            self.add_error(
                "status",
                "Accept or close a failure mode on its page (Edit), where the reason "
                "and, for an acceptance, the expiry are given.",
            )
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
        step_component_choices(self.fields["component"], step, "— choose a component —")

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

    def save_by(self, user) -> list[FailureMode]:
        """One failure mode per ticked template, with its suggested ratings."""
        return failure_modes_from_templates(
            step=self.step,
            templates=self.cleaned_data["templates"],
            component=self.cleaned_data.get("component"),
            user=user,
        )
