"""The FilterSets of `registry.filtersets` as the browser lists show them.

Same filters, query parameters and filtering as the API (so a list's URL and its CSV
export select the same rows); the browser drops `team` (the current team decides) and
shows ids and levels as selects of names. Only presentation: labels and widgets are
set on the fields of this filterset's own form once it is built (Django copies a
form's fields per instance), so the filters themselves stay as the API has them.
"""

from __future__ import annotations

from django import forms
from django.forms.widgets import ChoiceWidget

from registry.choices import FailureCategory
from registry.filtersets import ApplicationFilterSet, FailureModeFilterSet, IncidentFilterSet
from registry.models import Application, BusinessFunction, Component, Tier

RATING_CHOICES = [(rating, str(rating)) for rating in range(1, 11)]


def present(
    field: forms.Field, *, label: str | None = None, widget: forms.Widget | None = None
) -> None:
    """Show one field of a built filter form with `label` and `widget`. A choice widget
    given without choices shows the field's own."""
    if label is not None:
        field.label = label
    if widget is not None:
        if isinstance(widget, ChoiceWidget) and not widget.choices:
            widget.choices = field.choices
        widget.is_required = field.required
        field.widget = widget


def select(choices, blank: str) -> forms.Select:
    return forms.Select(choices=[("", blank), *choices])


def tier_choices() -> list[tuple[int, str]]:
    return [(tier.level, tier.name) for tier in Tier.objects.order_by("level")]


class FailureModeListFilterSet(FailureModeFilterSet):
    """Failure modes of the current team."""

    def __init__(self, *args, team_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.filters["team"]
        fields = self.form.fields
        applications = Application.objects.for_team(team_id).order_by("name")
        present(fields["tier"], label="Tier", widget=select(tier_choices(), "All tiers"))
        present(
            fields["application"],
            label="Application",
            widget=select(applications.values_list("id", "name"), "All applications"),
        )
        present(fields["severity"], label="Severity", widget=select(RATING_CHOICES, "Any"))
        present(fields["probability"], label="Probability", widget=select(RATING_CHOICES, "Any"))
        present(
            fields["detectability"], label="Detectability", widget=select(RATING_CHOICES, "Any")
        )
        present(fields["step"], widget=forms.HiddenInput())
        present(fields["component"], widget=forms.HiddenInput())
        present(fields["status"], label="Status", widget=forms.CheckboxSelectMultiple())
        present(
            fields["action_priority"],
            label="Action priority",
            widget=forms.CheckboxSelectMultiple(),
        )
        present(
            fields["failure_category"],
            label="Category",
            widget=select(FailureCategory.choices, "All categories"),
        )
        present(fields["q"], label="Text")
        present(fields["rpn_min"], label="RPN from")
        present(fields["rpn_max"], label="RPN to")


class ApplicationListFilterSet(ApplicationFilterSet):
    """Applications of the current team: by tier, business function and name."""

    def __init__(self, *args, team_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.filters["team"]
        del self.filters["dr_strategy"]
        fields = self.form.fields
        functions = BusinessFunction.objects.for_team(team_id).order_by("priority", "name")
        present(fields["tier"], label="Tier", widget=select(tier_choices(), "All tiers"))
        present(
            fields["business_function"],
            label="Business function",
            widget=select(functions.values_list("id", "name"), "All business functions"),
        )
        present(fields["q"], label="Name")


class IncidentListFilterSet(IncidentFilterSet):
    """Incidents of the current team: by source, severity, dates, component, failure
    mode and text."""

    def __init__(self, *args, team_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.filters["team"]
        fields = self.form.fields
        components = Component.objects.for_team(team_id).order_by("name")
        applications = Application.objects.for_team(team_id).order_by("name")
        present(fields["q"], label="Text")
        present(fields["source"], label="Source", widget=forms.CheckboxSelectMultiple())
        present(fields["severity"], label="Severity", widget=forms.CheckboxSelectMultiple())
        present(
            fields["started_from"],
            label="Started from",
            widget=forms.DateInput(attrs={"type": "date"}),
        )
        present(
            fields["started_to"],
            label="Started to",
            widget=forms.DateInput(attrs={"type": "date"}),
        )
        present(
            fields["component"],
            label="Component",
            widget=select(components.values_list("id", "name"), "All components"),
        )
        present(
            fields["application"],
            label="Application",
            widget=select(applications.values_list("id", "name"), "All applications"),
        )
        present(fields["failure_mode"], widget=forms.HiddenInput())
