"""The team's findings: those that count, those set aside (suppressed) with their
decisions, and the suppressions' history; the forms that set a finding aside and
bring it back."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from registry.analysis import figures
from registry.forms.findings import SuppressionForm
from registry.models import Finding, FindingSuppression
from registry.services.findings import unsuppress_finding
from registry.views.base import TeamView, WriteView

HISTORY_SHOWN = 50


class FindingsView(TeamView):
    section = "findings"

    def page(self, *, form: SuppressionForm | None = None, status: int = 200) -> HttpResponse:
        team_id = self.team.pk
        return self.render(
            "registry/findings/page.html",
            {
                "findings": figures.findings(team_id, limit=1000),
                "suppressed": figures.suppressed_findings(team_id),
                "history": FindingSuppression.objects.for_team(team_id)
                .filter(ended_at__isnull=False)
                .select_related("created_by", "ended_by")
                .order_by("-ended_at", "-id")[:HISTORY_SHOWN],
                "form": form,
                "blank_form": SuppressionForm(finding=None, auto_id=False),
            },
            status=status,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page()


class SuppressView(WriteView, FindingsView):
    """POST: set a finding aside; a refused form is shown with its errors on the page."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        finding = self.get_visible(Finding.objects.all(), pk=pk)
        form = SuppressionForm(request.POST, finding=finding, auto_id=f"suppress-{pk}-%s")
        if form.is_valid() and form.save_by(request.user) is not None:
            messages.success(request, f"Suppressed until {form.cleaned_data['expires_on']}.")
            return redirect(reverse("registry:findings") + "#suppressed")
        return self.page(form=form, status=422)


class UnsuppressView(WriteView):
    """POST: bring a suppressed finding back into the counts."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        finding = self.get_visible(Finding.objects.all(), pk=pk)
        if unsuppress_finding(finding, user=request.user):
            messages.success(request, "The finding counts again.")
        else:
            messages.error(request, "This finding was not suppressed.")
        return redirect(reverse("registry:findings"))
