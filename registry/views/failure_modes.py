"""Failure modes: the team's list (with the API's filters and a CSV export of the same
selection), a failure mode's page with its actions and history, its full edit form,
deletion and the management sign-off."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from registry import ordering, scoring, selectors
from registry.choices import Role
from registry.db.paging import RegisterPaginator
from registry.exports import stream_csv
from registry.forms import ActionForm, FailureModeForm, VersionForm
from registry.history import failure_mode_history
from registry.models import Action, FailureMode, Incident, StaleEditError
from registry.views.base import TeamView, WriteView
from registry.views.editing import ModelFormPage
from registry.views.filtersets import FailureModeListFilterSet
from registry.views.incidents import evidence_context
from registry.views.worksheet import worksheet_url

PAGE_SIZE = 50
#: (sort key, heading, long name) of the list's columns: the failure mode and its scores
#: first, so that a phone shows them before the table scrolls sideways.
LIST_COLUMNS = [
    ("mode", "Failure mode", ""),
    ("severity", "S", "Severity"),
    ("probability", "P", "Probability"),
    ("detectability", "D", "Detectability"),
    ("rpn", "RPN", "Risk priority number"),
    ("ap", "AP", "Action priority"),
    ("status", "Status", ""),
    ("application", "Application", ""),
    ("step", "Step", ""),
    ("actions", "Actions", "Open actions / all actions"),
    ("revised_rpn", "rRPN", "Revised RPN"),
]


def detail_url(pk: int) -> str:
    return reverse("registry:failure_mode", args=[pk])


class FailureModeListView(TeamView):
    section = "failure_modes"

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset = FailureModeListFilterSet(
            request.GET or None,
            queryset=selectors.failure_mode_rows(self.team.pk),
            team_id=self.team.pk,
        )
        rows, sort = ordering.sorted_rows(filterset.qs, request.GET.get("sort", ""), "-rpn")
        # The count is exact, and cached until the team changes: paging does not count
        # 100,000 rows again on every page.
        paginator = RegisterPaginator(rows, PAGE_SIZE, user=request.user)
        page = paginator.get_page(request.GET.get("page"))
        selection = request.GET.copy()
        for name in ("page", "sort"):
            selection.pop(name, None)
        return self.render(
            "registry/failure_modes/list.html",
            {
                "filterset": filterset,
                "page": page,
                "sort": sort,
                "columns": LIST_COLUMNS,
                "filtered": bool(selection),
                "export_url": reverse("registry:failure_mode_export")
                + (f"?{selection.urlencode()}" if selection else ""),
            },
        )


class FailureModeExportView(TeamView):
    """The list's selection as CSV (the API's export format and columns)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset = FailureModeListFilterSet(
            request.GET or None,
            queryset=FailureMode.objects.visible_to(request.user, team_ids_first=True).for_team(
                self.team.pk
            ),
            team_id=self.team.pk,
        )
        if filterset.is_bound and not filterset.is_valid():
            errors = "; ".join(
                f"{name}: {' '.join(messages_)}" for name, messages_ in filterset.errors.items()
            )
            return HttpResponse(f"Invalid filter. {errors}", status=400, content_type="text/plain")
        rows = filterset.qs.order_by("step__application__name", "step__order", "-rpn", "id")
        response = StreamingHttpResponse(stream_csv(rows), content_type="text/csv")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = (
            f'attachment; filename="{self.team.slug}-failure-modes-{stamp}.csv"'
        )
        return response


class FailureModeDetailView(TeamView):
    section = "failure_modes"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        failure_mode = self.get_visible(
            selectors.failure_mode_rows(self.team.pk).select_related(
                "created_by", "updated_by", "review_signed_off_by", "accepted_by"
            ),
            pk=pk,
        )
        # Open actions first (status in lifecycle order), then the soonest due.
        actions = ordering.ACTION_SORTS.order(
            failure_mode.actions.select_related("updated_by", "verified_by"), "status", "due_date"
        )
        history = failure_mode_history(failure_mode)
        needs_review = scoring.needs_management_review(
            failure_mode.severity, failure_mode.action_priority
        )
        new_action = (
            ActionForm(instance=Action(failure_mode=failure_mode), auto_id="new-action-%s")
            if self.tc.can_edit
            else None
        )
        return self.render(
            "registry/failure_modes/detail.html",
            {
                "fm": failure_mode,
                "step": failure_mode.step,
                "tier": failure_mode.step.application.tier,
                "actions": actions,
                "history": history,
                "needs_review": needs_review,
                "can_sign_off": needs_review and self.tc.role == Role.OWNER,
                "action_form": new_action,
                "now": timezone.now(),
                **evidence_context(self.team.pk, failure_mode),
                "incidents": failure_mode.incidents.order_by("-started_at", "-id")[:20],
                "incident_choices": Incident.objects.for_team(self.team.pk)
                .exclude(failure_modes=failure_mode)
                .order_by("-started_at", "-id")[:100]
                if self.tc.can_edit
                else [],
            },
        )


class FailureModeEditView(ModelFormPage):
    """All fields of a failure mode on one page (the worksheet edits them inline)."""

    section = "failure_modes"
    form_class = FailureModeForm
    template_name = "registry/failure_modes/form.html"

    def get_instance(self) -> FailureMode:
        return self.get_editable(
            FailureMode.objects.select_related("step__application__tier"), pk=self.kwargs["pk"]
        )

    def form_kwargs(self, instance: FailureMode) -> dict:
        return {"scales": selectors.rating_scales(), "user": self.request.user}

    def page_context(self, instance: FailureMode) -> dict:
        return {"step": instance.step}

    def save(self, form) -> FailureMode:
        saved = form.save_by(self.request.user)
        if saved.rating_warnings:
            messages.warning(self.request, "Saved, flagged: " + " ".join(saved.rating_warnings))
        return saved

    def success_url(self, saved: FailureMode) -> str:
        return detail_url(saved.pk)


class FailureModeDeleteView(WriteView):
    section = "failure_modes"

    def get_failure_mode(self, pk: int) -> FailureMode:
        return self.get_editable(FailureMode.objects.select_related("step__application"), pk=pk)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        failure_mode = self.get_failure_mode(pk)
        return self.render("registry/failure_modes/delete.html", {"fm": failure_mode})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        failure_mode = self.get_failure_mode(pk)
        step_id = failure_mode.step_id
        failure_mode._history_user = request.user
        failure_mode.delete()
        messages.success(request, f"Deleted “{failure_mode}”. Its history is kept.")
        return redirect(worksheet_url(step_id))


class SignOffView(WriteView):
    """Management review of a severity 9–10 risk with AP High or Medium (owners)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        failure_mode = self.get_editable(FailureMode.objects.all(), pk=pk)
        form = VersionForm(request.POST)
        if self.tc.role != Role.OWNER:
            messages.error(request, "Only a team owner can sign off a management review.")
        elif not scoring.needs_management_review(
            failure_mode.severity, failure_mode.action_priority
        ):
            messages.error(request, "This failure mode does not need a management review.")
        elif not form.is_valid():
            messages.error(request, "The page was out of date; nothing was signed off.")
        else:
            failure_mode.version = form.cleaned_data["version"]
            try:
                failure_mode.sign_off_review(request.user)
            except StaleEditError:
                messages.error(
                    request,
                    "Someone changed this failure mode since you loaded the page; review "
                    "the current values below and sign off again.",
                )
            else:
                messages.success(request, "Management review signed off.")
        return redirect(detail_url(pk))
