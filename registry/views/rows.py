"""Worksheet rows edited inline with htmx.

A row is shown by `_row.html` and edited by `_row_form.html`: one <form> per row, the
cells' inputs join it with the `form` attribute, so Tab moves across the cells and
Enter saves. A saved row is re-read so that it shows the database's generated RPN and
AP. The form carries the row's version: a save from an older one is refused (409) with
the other person's values, never applied. Without JavaScript the same forms post as
ordinary pages.
"""

from __future__ import annotations

import secrets

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from registry import selectors
from registry.forms.failure_modes import FailureModeForm
from registry.models import FailureMode, StaleEditError, Step
from registry.models.failure_modes import RATINGS, REVISED_RATINGS
from registry.views.base import TeamView, WriteView, is_htmx
from registry.views.editing import field_values
from registry.views.incidents import with_evidence
from registry.views.preview import ROW_ID, score_cells
from registry.views.worksheet import worksheet_url

# A conflict shows the stored value of every field the row's form edits.
CONFLICT_FIELDS = FailureModeForm.Meta.fields


class RowMixin:
    """Rendering of one worksheet row, shown or edited."""

    def row_response(
        self, failure_mode: FailureMode, status: int = 200, saved: bool = False
    ) -> HttpResponse:
        """The row as shown; the status line says "Saved" only after a save (a
        cancelled edit just clears it)."""
        return self.render(
            "registry/worksheet/_row.html",
            {
                "fm": with_evidence(failure_mode.team_id, [failure_mode])[0],
                "threshold": failure_mode.step.application.tier.rpn_threshold,
                "scales": selectors.rating_scales(),
                "row_id": f"fm-{failure_mode.pk}",
                "cleared": True,
                "saved": saved,
            },
            status=status,
        )

    def form_response(self, form, row_id: str, status: int = 200, **extra) -> HttpResponse:
        step = form.instance.step
        pk = form.instance.pk
        preview_url = (
            reverse("registry:row_preview", args=[pk])
            if pk
            else reverse("registry:new_row_preview", args=[step.pk])
        )
        prepare_row_form(form, row_id, preview_url)
        # The RPN and AP cells show the ratings on screen: posted ones after an error.
        shown = (
            form.data
            if form.is_bound
            else {name: getattr(form.instance, name) for name in (*RATINGS, *REVISED_RATINGS)}
        )
        return self.render(
            "registry/worksheet/_row_form.html",
            {
                "form": form,
                "fm": form.instance,
                "row_id": row_id,
                "threshold": step.application.tier.rpn_threshold,
                **score_cells(shown),
                "save_url": reverse("registry:row_edit", args=[pk])
                if pk
                else reverse("registry:row_new", args=[step.pk]),
                "cancel_url": reverse("registry:row", args=[pk]) if pk else "",
                **extra,
            },
            status=status,
        )

    def annotated(self, pk: int) -> FailureMode:
        return selectors.failure_mode_rows(self.team.pk).get(pk=pk)

    def saved_or_errors(self, form, row_id: str) -> HttpResponse:
        """Save a bound row form; answer the saved row, the errors or the conflict."""
        if not is_htmx(self.request):
            return self.page_fallback(form)
        if not form.is_valid():
            return self.form_response(form, row_id, status=422)
        try:
            saved = form.save_by(self.request.user)
        except StaleEditError:
            current = self.annotated(form.instance.pk)
            return self.form_response(
                form,
                row_id,
                status=409,
                current=current,
                conflict=field_values(current, CONFLICT_FIELDS, form),
            )
        return self.row_response(self.annotated(saved.pk), saved=True)

    def page_fallback(self, form) -> HttpResponse:
        """Without htmx: a full page with the errors, or back to the worksheet."""
        context = {"form": form, "object": form.instance, "step": form.instance.step}
        if not form.is_valid():
            return self.render("registry/failure_modes/form.html", context, status=422)
        try:
            saved = form.save_by(self.request.user)
        except StaleEditError:
            current = self.annotated(form.instance.pk)
            conflict = field_values(current, CONFLICT_FIELDS, form)
            context |= {"current": current, "conflict": conflict}
            return self.render("registry/failure_modes/form.html", context, status=409)
        return redirect(worksheet_url(saved.step_id))


def prepare_row_form(form: FailureModeForm, row_id: str, preview_url: str) -> None:
    """Join every input to the row's <form>, preview on rating changes, and put the
    cursor in the first field with an error (else the failure mode)."""
    first_error = next((name for name in form.fields if name in form.errors), "mode")
    for name, field in form.fields.items():
        field.widget.attrs["form"] = f"form-{row_id}"
        if name.removeprefix("revised_") in RATINGS:
            field.widget.attrs.update(
                {
                    "hx-get": preview_url,
                    "hx-trigger": "change",
                    # The row's ratings (and its id), not the token or the texts.
                    "hx-include": f"#{row_id} select, #{row_id} input[name=row]",
                    "hx-swap": "none",
                    # The latest change wins: an earlier preview still in flight is
                    # dropped, so an older answer never overwrites a newer one.
                    "hx-sync": "closest tr:replace",
                }
            )
        if name == first_error:
            field.widget.attrs["autofocus"] = True


def row_form(request: HttpRequest, instance: FailureMode, row_id: str) -> FailureModeForm:
    data = request.POST if request.method == "POST" else None
    return FailureModeForm(
        data,
        instance=instance,
        scales=selectors.rating_scales(),
        compact=True,
        auto_id=f"{row_id}-%s",
        user=request.user,
    )


class RowView(RowMixin, TeamView):
    """One row as shown (after Cancel or Reload)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.row_response(
            self.get_visible(selectors.failure_mode_rows(self.team.pk), pk=pk)
        )


class RowEditView(RowMixin, WriteView):
    """GET: the row as a form. POST: save it, refusing a stale version."""

    def get_failure_mode(self, pk: int) -> FailureMode:
        return self.get_editable(selectors.failure_mode_rows(self.team.pk), pk=pk)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        failure_mode = self.get_failure_mode(pk)
        if not is_htmx(request):
            return redirect(reverse("registry:failure_mode_edit", args=[pk]))
        row_id = f"fm-{pk}"
        return self.form_response(row_form(request, failure_mode, row_id), row_id)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        failure_mode = self.get_failure_mode(pk)
        row_id = f"fm-{pk}"
        return self.saved_or_errors(row_form(request, failure_mode, row_id), row_id)


class RowCreateView(RowMixin, WriteView):
    """GET: a blank row to fill in. POST: create the failure mode."""

    def get_step(self, pk: int) -> Step:
        return self.get_editable(Step.objects.select_related("application__tier"), pk=pk)

    def new_instance(self, step: Step) -> FailureMode:
        return FailureMode(step=step, team_id=step.application.team_id)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        instance = self.new_instance(self.get_step(pk))
        if not is_htmx(request):
            form = FailureModeForm(instance=instance, scales=selectors.rating_scales())
            return self.render(
                "registry/failure_modes/form.html",
                {"form": form, "object": instance, "step": instance.step},
            )
        row_id = f"new-{secrets.token_hex(4)}"
        return self.form_response(row_form(request, instance, row_id), row_id)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        row_id = request.POST.get("row", "")
        if not ROW_ID.match(row_id) or not row_id.startswith("new-"):
            row_id = f"new-{secrets.token_hex(4)}"
        form = row_form(request, self.new_instance(self.get_step(pk)), row_id)
        return self.saved_or_errors(form, row_id)
