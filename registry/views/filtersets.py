"""The API's FilterSets, as the browser lists show them.

Same query parameters and the same filtering as the API (so a list's URL and its CSV
export select the same rows); the browser adds selects for the ids and levels, the
heat map's severity and probability, and drops `team` (the current team decides).
"""

from __future__ import annotations

from django import forms

from registry.filters import IntegerFilter
from registry.filtersets import ApplicationFilterSet, FailureModeFilterSet
from registry.models import Application, BusinessFunction, Tier

RATING_CHOICES = [(rating, str(rating)) for rating in range(1, 11)]


def present(filterset, name: str, *, label: str | None = None, widget=None, **extra) -> None:
    """Change how one of the filterset's filters shows in the form.

    The filters are this instance's copies, but a copy keeps a form field another
    user of the class (e.g. the API schema) already built, so that cached field is
    dropped and rebuilt from the new settings.
    """
    filter_ = filterset.filters[name]
    if label is not None:
        filter_.label = label
    if widget is not None:
        filter_.extra["widget"] = widget
    filter_.extra.update(extra)
    filter_.__dict__.pop("_field", None)


def select(choices, blank: str) -> forms.Select:
    return forms.Select(choices=[("", blank), *choices])


def tier_choices() -> list[tuple[int, str]]:
    return [(tier.level, tier.name) for tier in Tier.objects.order_by("level")]


class FailureModeListFilterSet(FailureModeFilterSet):
    """Failure modes of the current team, with the heat map's two filters."""

    severity = IntegerFilter(help_text="Exactly this severity (1–10).")
    probability = IntegerFilter(help_text="Exactly this probability (1–10).")

    def __init__(self, *args, team_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.filters["team"]
        applications = Application.objects.for_team(team_id).order_by("name")
        present(self, "tier", label="Tier", widget=select(tier_choices(), "All tiers"))
        present(
            self,
            "application",
            label="Application",
            widget=select(applications.values_list("id", "name"), "All applications"),
        )
        present(self, "severity", label="Severity", widget=select(RATING_CHOICES, "Any"))
        present(self, "probability", label="Probability", widget=select(RATING_CHOICES, "Any"))
        present(self, "step", widget=forms.HiddenInput)
        present(self, "component", widget=forms.HiddenInput)
        present(self, "status", label="Status", widget=forms.CheckboxSelectMultiple)
        present(
            self, "action_priority", label="Action priority", widget=forms.CheckboxSelectMultiple
        )
        present(self, "failure_category", label="Category", empty_label="All categories")
        present(self, "q", label="Text")
        present(self, "rpn_min", label="RPN from")
        present(self, "rpn_max", label="RPN to")


class ApplicationListFilterSet(ApplicationFilterSet):
    """Applications of the current team: by tier, business function and name."""

    def __init__(self, *args, team_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        del self.filters["team"]
        del self.filters["dr_strategy"]
        functions = BusinessFunction.objects.for_team(team_id).order_by("priority", "name")
        present(self, "tier", label="Tier", widget=select(tier_choices(), "All tiers"))
        present(
            self,
            "business_function",
            label="Business function",
            widget=select(functions.values_list("id", "name"), "All business functions"),
        )
        present(self, "q", label="Name")
