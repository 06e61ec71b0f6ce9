"""Baselines of an application: freeze (owners), approve (another owner), the diff
against now or another revision, and the PDF/XLSX report."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from registry.choices import Role
from registry.forms.baselines import BaselineForm
from registry.models import Application, Baseline
from registry.reports import baselines as reports
from registry.services import baselines
from registry.views.base import TeamView


def baselines_url(application_id: int) -> str:
    return reverse("registry:baselines", args=[application_id])


class BaselineListView(TeamView):
    section = "applications"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.page(self.application(pk), BaselineForm())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        application = self.application(pk)
        form = BaselineForm(request.POST)
        if not form.is_valid():
            return self.page(application, form, status=422)
        baseline = baselines.freeze(
            application=application, user=request.user, **form.cleaned_data
        )
        messages.success(request, f"Froze Rev {baseline.number}: {baseline.title}.")
        return redirect(baselines_url(application.pk))

    def application(self, pk: int) -> Application:
        return self.get_visible(Application.objects.all(), pk=pk)

    def page(self, application: Application, form, status: int = 200) -> HttpResponse:
        rows = (
            Baseline.objects.filter(application=application)
            .select_related("created_by", "approved_by")
            .defer("snapshot")
            .order_by("-number")
        )
        return self.render(
            "registry/baselines/list.html",
            {
                "application": application,
                "baselines": rows,
                "form": form,
                "is_owner": self.tc.role == Role.OWNER,
            },
            status=status,
        )


class BaselineApproveView(TeamView):
    section = "applications"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        baseline = self.get_visible(Baseline.objects.select_related("application"), pk=pk)
        try:
            baselines.approve(baseline, request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Approved Rev {baseline.number}.")
        return redirect(baselines_url(baseline.application_id))


class BaselineDiffView(TeamView):
    section = "applications"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        baseline = self.get_visible(Baseline.objects.select_related("application"), pk=pk)
        against = request.GET.get("against", "current")
        status = 200
        try:
            comparison = baselines.compare(baseline, against)
        except ValidationError as error:
            comparison, status = None, 400
            messages.error(request, " ".join(error.messages))
        others = (
            Baseline.objects.filter(application_id=baseline.application_id)
            .exclude(pk=baseline.pk)
            .only("id", "number", "title")
            .order_by("-number")
        )
        return self.render(
            "registry/baselines/diff.html",
            {
                "baseline": baseline,
                "application": baseline.application,
                "comparison": comparison,
                "against": against,
                "others": others,
            },
            status=status,
        )


class BaselineReportView(TeamView):
    section = "applications"

    def get(self, request: HttpRequest, pk: int, format: str) -> HttpResponse:
        if format not in reports.FORMATS:
            raise Http404("A baseline report is a .pdf or an .xlsx.")
        baseline = self.get_visible(
            Baseline.objects.select_related("application", "created_by", "approved_by"), pk=pk
        )
        return reports.download(baseline, format)
