"""The RPN and AP of a row's ratings while they are being entered, before saving.

Computed in Python with registry.scoring (the same table as the database's generated
columns) and answered as out-of-band swaps of the row's score cells.
"""

from __future__ import annotations

import re

from django.http import Http404, HttpRequest, HttpResponse

from registry import scoring, selectors
from registry.models import Step
from registry.models.failure_modes import RATINGS
from registry.views.base import TeamView

ROW_ID = re.compile(r"^(fm-\d+|new-[0-9a-f]{8})$")


def rating(value: str | None) -> int | None:
    """A posted rating, or None when it is not a whole number from 1 to 10."""
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if scoring.RATING_MIN <= number <= scoring.RATING_MAX else None


def scores(params, prefix: str = "") -> tuple[int | None, str | None]:
    """(RPN, AP) of the posted ratings, computed in Python; (None, None) if incomplete."""
    values = [rating(params.get(f"{prefix}{name}")) for name in RATINGS]
    if None in values:
        return None, None
    return scoring.rpn(*values), scoring.action_priority(*values).value


def score_cells(params) -> dict:
    """The row's four score cells (RPN and AP, current and revised) for a template, and
    the warnings about revised ratings worse than the initial ones."""
    rpn, ap = scores(params)
    revised_rpn, revised_ap = scores(params, "revised_")
    warnings = scoring.worse_revised_ratings(
        tuple(rating(params.get(name)) for name in RATINGS),
        tuple(rating(params.get(f"revised_{name}")) for name in RATINGS),
    )
    return {
        "rpn": rpn,
        "ap": ap,
        "revised_rpn": revised_rpn,
        "revised_ap": revised_ap,
        "rating_warnings": warnings,
    }


class PreviewView(TeamView):
    """The RPN and AP cells of a row for the ratings being entered, before saving."""

    def get(self, request: HttpRequest, pk: int, new: bool = False) -> HttpResponse:
        row_id = request.GET.get("row", "")
        if not ROW_ID.match(row_id):
            raise Http404("Unknown row.")
        if new:
            step = self.get_visible(Step.objects.select_related("application__tier"), pk=pk)
            open_actions = 0
        else:
            failure_mode = self.get_visible(selectors.failure_mode_rows(self.team.pk), pk=pk)
            step, open_actions = failure_mode.step, failure_mode.open_action_count
        return self.render(
            "registry/worksheet/_preview.html",
            {
                "row_id": row_id,
                "threshold": step.application.tier.rpn_threshold,
                **score_cells(request.GET),
                "open_actions": open_actions,
            },
        )
