"""The step worksheet: a step's FMEA table, with the standard FMEA columns.

Rows are edited inline with htmx (registry.views.rows); changing a rating asks
registry.views.preview for the recomputed RPN and AP.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from registry import ordering, selectors
from registry.analysis import figures
from registry.models import Step
from registry.views.base import TeamView
from registry.views.incidents import with_evidence

#: (sort key, heading, long name or "", numeric?) of the worksheet's columns. The row's
#: identity and scores come first: the page keeps them in view (frozen) while the
#: text columns after them scroll.
COLUMNS = [
    ("component", "Component", "", False),
    ("mode", "Failure mode", "", False),
    ("severity", "S", "Severity", True),
    ("probability", "P", "Probability", True),
    ("detectability", "D", "Detectability", True),
    ("rpn", "RPN", "Risk priority number", True),
    ("ap", "AP", "Action priority", False),
    ("status", "Status", "", False),
    ("category", "Category", "Failure category", False),
    ("effect", "Effect", "", False),
    ("cause", "Cause", "", False),
    ("prevention", "Prevention controls", "", False),
    ("detection", "Detection controls", "", False),
    ("actions", "Actions", "Open actions / all actions", True),
    ("revised_severity", "rS", "Revised severity", True),
    ("revised_probability", "rP", "Revised probability", True),
    ("revised_detectability", "rD", "Revised detectability", True),
    ("revised_rpn", "rRPN", "Revised RPN", True),
    ("revised_ap", "rAP", "Revised action priority", False),
]


def worksheet_url(step_id: int) -> str:
    return reverse("registry:worksheet", args=[step_id])


class WorksheetView(TeamView):
    section = "applications"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        step = self.get_visible(
            Step.objects.select_related(
                "application__tier", "last_reviewed_by"
            ).with_effective_objectives(),
            pk=pk,
        )
        rows = selectors.failure_mode_rows(self.team.pk).filter(step=step)
        rows, sort = ordering.sorted_rows(rows, request.GET.get("sort", ""), "created")
        tier = step.application.tier
        review_due = (
            step.last_reviewed_at is None
            or step.last_reviewed_at + timedelta(days=tier.review_interval_days) < timezone.now()
        )
        return self.render(
            "registry/worksheet/page.html",
            {
                "step": step,
                "tier": tier,
                "rows": with_evidence(self.team.pk, rows),
                "sort": sort,
                "columns": COLUMNS,
                "scales": selectors.rating_scales(),
                "review_due": review_due,
            },
        )


class AttentionView(TeamView):
    """The worksheets with work waiting: where the dashboard's button leads."""

    section = "applications"

    def get(self, request: HttpRequest) -> HttpResponse:
        steps = list(figures.steps_needing_attention(self.team.pk))
        return self.render("registry/worksheet/attention.html", {"steps": steps})
