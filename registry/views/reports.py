"""The Reports page: request a report with scope filters, watch its progress (htmx
polls the run's row), download it, see past runs; and the team's report schedules.

Every member of the team may request and download reports (read-only artefacts);
schedules, which email reports out, are for editors and owners.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from registry.forms.reports import ReportRequestForm, ReportScheduleForm
from registry.jobs import QueueUnavailable
from registry.models import Application, JobStatus, ReportRun, ReportSchedule
from registry.reports import runs
from registry.reports.scope import Scope
from registry.reports.tasks import queue_report
from registry.reports.writers import CONTENT_TYPES
from registry.views.base import TeamView, WriteView

RUNS_SHOWN = 50


class ReportsView(TeamView):
    section = "reports"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(ReportRequestForm(team=self.team))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ReportRequestForm(request.POST, team=self.team)
        if not form.is_valid():
            return self.page(form, status=422)
        run = runs.request_report(
            team=self.team,
            user=request.user,
            format=form.cleaned_data["format"],
            scope=form.scope(),
        )
        try:
            queue_report(run)
        except QueueUnavailable as error:
            messages.error(request, f"Report #{run.pk} — {error}")
        else:
            messages.success(request, f"Report #{run.pk} requested; it appears below when ready.")
        return HttpResponseRedirect(reverse("registry:reports"))

    def page(self, form: ReportRequestForm, status: int = 200) -> HttpResponse:
        team_runs = list(
            ReportRun.objects.for_team(self.team.pk)
            .select_related("requested_by", "schedule")
            .order_by("-created_at", "-id")[:RUNS_SHOWN]
        )
        schedules = list(ReportSchedule.objects.for_team(self.team.pk).order_by("name"))
        names = application_names(self.team.pk)
        for row in [*team_runs, *schedules]:
            row.scope_text = scope_text(row, names)
        return self.render(
            "registry/reports/page.html",
            {"form": form, "runs": team_runs, "schedules": schedules},
            status=status,
        )


class RunRowView(TeamView):
    """One run's row of the table: what htmx polls until the run is finished."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = self.get_visible(ReportRun.objects.select_related("requested_by", "schedule"), pk=pk)
        run.scope_text = scope_text(run, application_names(self.team.pk))
        return self.render("registry/reports/_run_row.html", {"run": run})


class DownloadView(TeamView):
    """The file of a done run, for members of the run's team (any of the user's teams)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = (
            ReportRun.objects.visible_to(request.user)
            .select_related("team")
            .filter(pk=pk, status=JobStatus.DONE)
            .first()
        )
        if run is None or not run.file:
            raise Http404("No such report.")
        return FileResponse(
            run.file.open("rb"),
            as_attachment=True,
            filename=run.download_name,
            content_type=CONTENT_TYPES[run.format],
        )


class ScheduleFormView(WriteView):
    section = "reports"

    def get_instance(self) -> ReportSchedule:
        pk = self.kwargs.get("pk")
        if pk is None:
            return ReportSchedule(team=self.team, created_by=self.request.user)
        return self.get_editable(ReportSchedule.objects.all(), pk=pk)

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        return self.page(ReportScheduleForm(instance=self.get_instance()))

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        form = ReportScheduleForm(request.POST, instance=self.get_instance())
        if not form.is_valid():
            return self.page(form, status=422)
        schedule = form.save()
        messages.success(request, f"Schedule “{schedule.name}” saved.")
        return HttpResponseRedirect(reverse("registry:reports"))

    def page(self, form: ReportScheduleForm, status: int = 200) -> HttpResponse:
        instance = form.instance
        return self.render(
            "registry/reports/schedule_form.html",
            {
                "form": form,
                "title": f"Edit {instance.name}" if instance.pk else "New report schedule",
                "schedule": instance if instance.pk else None,
            },
            status=status,
        )


class ScheduleDeleteView(WriteView):
    section = "reports"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        schedule = self.get_editable(ReportSchedule.objects.all(), pk=pk)
        name = schedule.name
        schedule.delete()
        messages.success(request, f"Schedule “{name}” deleted; it will not be sent again.")
        return HttpResponseRedirect(reverse("registry:reports"))


def application_names(team_id: int) -> dict[int, str]:
    return dict(Application.objects.for_team(team_id).values_list("pk", "name"))


def scope_text(row, names: dict[int, str]) -> str:
    """The scope in one line, for the tables."""
    described = Scope.of(row, names).describe()
    parts = [f"{label}: {value}" for label, value in described if value not in ("All", "Any")]
    return "; ".join(parts) or "Whole register"
