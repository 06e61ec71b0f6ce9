"""Add from library: failure-mode templates for a component's kind, added to a step
with their suggested ratings."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from registry import scoring
from registry.choices import TemplateComponentKind
from registry.forms import LibraryFilterForm, LibraryForm
from registry.models import FailureModeTemplate, Step
from registry.ordering import ranked
from registry.views.base import WriteView
from registry.views.worksheet import worksheet_url


def templates_for(kind: str):
    """Library templates for a component kind (and those for any kind), with RPN and AP."""
    templates = FailureModeTemplate.objects.annotate(
        suggested_rpn=scoring.rpn_expression(),
        suggested_ap=scoring.action_priority_expression(),
    ).order_by("component_kind", "mode")
    if kind:
        # The kind's own templates first, then those for any component.
        templates = templates.filter(Q(component_kind=kind) | Q(component_kind="any")).order_by(
            ranked("component_kind", [kind, "any"]), "mode"
        )
    return templates


class LibraryView(WriteView):
    section = "applications"

    def get_step(self, pk: int) -> Step:
        return self.get_editable(Step.objects.select_related("application__tier"), pk=pk)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        step = self.get_step(pk)
        choice = LibraryFilterForm(request.GET or None, step=step)
        choice.is_valid()
        return self.page(step, choice, errors=None)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        step = self.get_step(pk)
        form = LibraryForm(request.POST, step=step)
        if not form.is_valid():
            return self.page(step, form, errors=form, status=422)
        try:
            created = form.save_by(request.user)
        except ValidationError as error:  # a ticked failure mode the step already has
            form.add_error("templates", error.messages)
            return self.page(step, form, errors=form, status=422)
        noun = "failure mode" if len(created) == 1 else "failure modes"
        messages.success(request, f"Added {len(created)} {noun} from the library.")
        return redirect(worksheet_url(step.pk))

    def page(self, step: Step, choice, errors, status: int = 200) -> HttpResponse:
        kind = choice.chosen_kind()
        data = getattr(choice, "cleaned_data", {})
        return self.render(
            "registry/worksheet/library.html",
            {
                "step": step,
                "choice": choice,
                "errors": errors,
                "kind": kind,
                "kind_label": TemplateComponentKind(kind).label if kind else "",
                "component": data.get("component"),
                "templates": templates_for(kind),
                "chosen": set(choice.data.getlist("templates")) if choice.is_bound else set(),
                "existing": set(step.failure_modes.values_list("mode", flat=True)),
            },
            status=status,
        )
