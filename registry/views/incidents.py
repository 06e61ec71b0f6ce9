"""Incidents: the team's list, an incident's page, create and edit, linking incidents
and failure modes from either page, adopting a rating the incidents suggest, and the
owners' page of receivers (tokens, PagerDuty signing secret and service mapping)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from registry.analysis.evidence import failure_mode_evidence, window_words
from registry.choices import RECEIVER_SOURCES, RatingScaleName, Role
from registry.forms.incidents import IncidentForm, LinkIncidentForm
from registry.models import (
    Component,
    FailureMode,
    Incident,
    IncidentReceiver,
    PagerDutyService,
    RatingScale,
)
from registry.services.incidents import adopt_observed_rating, rotate_receiver_token
from registry.views.base import TeamView, WriteView
from registry.views.editing import ModelFormPage
from registry.views.filtersets import IncidentListFilterSet

PAGE_SIZE = 50


def incident_url(pk: int) -> str:
    return reverse("registry:incident", args=[pk])


def back_to(request: HttpRequest, fallback: str) -> HttpResponseRedirect:
    """Back to the page the form was on (a path of this site), else to `fallback`."""
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(fallback)


def evidence_context(team_id: int, failure_mode: FailureMode) -> dict:
    """The evidence panel of a failure mode: its incidents' figures and what the
    ratings they fall in say, beside the current ratings."""
    evidence = failure_mode_evidence(team_id, failure_mode_ids=[failure_mode.pk]).get(
        failure_mode.pk
    )
    if evidence is None:
        return {"evidence": None}
    words = {
        (scale, rating): label
        for scale, rating, label in RatingScale.objects.filter(
            scale__in=[RatingScaleName.PROBABILITY, RatingScaleName.DETECTABILITY]
        ).values_list("scale", "rating", "description")
    }
    rows = []
    for scale in (RatingScaleName.PROBABILITY, RatingScaleName.DETECTABILITY):
        rated, observed = evidence.rated(scale), evidence.observed(scale)
        rows.append(
            {
                "scale": scale,
                "label": scale.label,
                "rated": rated,
                "rated_words": words.get((scale, rated), ""),
                "observed": observed,
                "observed_words": words.get((scale, observed), ""),
                "contradicted": evidence.contradicts(scale),
                "worse": observed is not None and observed > rated,
            }
        )
    return {
        "evidence": evidence,
        "evidence_rows": rows,
        "evidence_window": window_words(evidence.window_days),
    }


def with_evidence(team_id: int, rows) -> list:
    """Worksheet rows, each with `evidence` (or None): one query for them all."""
    rows = list(rows)
    evidence = failure_mode_evidence(team_id, failure_mode_ids=[row.pk for row in rows])
    for row in rows:
        row.evidence = evidence.get(row.pk)
    return rows


class IncidentListView(TeamView):
    section = "incidents"

    def get(self, request: HttpRequest) -> HttpResponse:
        rows = (
            Incident.objects.for_team(self.team.pk)
            .annotate(failure_mode_count=Count("failure_modes", distinct=True))
            .prefetch_related(Prefetch("components", Component.objects.only("id", "name")))
            .order_by("-started_at", "-id")
        )
        filterset = IncidentListFilterSet(request.GET or None, queryset=rows, team_id=self.team.pk)
        page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
        selection = request.GET.copy()
        selection.pop("page", None)
        return self.render(
            "registry/incidents/list.html",
            {"filterset": filterset, "page": page, "filtered": bool(selection)},
        )


class IncidentDetailView(TeamView):
    section = "incidents"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = self.get_visible(Incident.objects.all(), pk=pk)
        linked = incident.failure_modes.select_related("step__application").order_by(
            "step__application__name", "mode"
        )
        history = incident.history.select_related("history_user").order_by(
            "-history_date", "-history_id"
        )[:20]
        return self.render(
            "registry/incidents/detail.html",
            {
                "incident": incident,
                "components": incident.components.order_by("name"),
                "failure_modes": linked,
                "history": history,
                "link_choices": FailureMode.objects.for_team(self.team.pk)
                .exclude(pk__in=linked.values("pk"))
                .select_related("step__application")
                .order_by("step__application__name", "mode")
                if self.tc.can_edit
                else [],
            },
        )


class IncidentCreateView(ModelFormPage):
    section = "incidents"
    form_class = IncidentForm

    def get_instance(self) -> Incident:
        return Incident(team=self.team)

    def page_context(self, instance: Incident) -> dict:
        return {
            "title": "Record an incident",
            "intro": "What went wrong, when it started, when it was detected and when it was "
            "resolved. Link the failure modes it was an occurrence of: their probability "
            "and detectability ratings are held against it.",
            "cancel_url": reverse("registry:incidents"),
        }

    def success_url(self, saved: Incident) -> str:
        return incident_url(saved.pk)


class IncidentEditView(IncidentCreateView):
    def get_instance(self) -> Incident:
        return self.get_editable(Incident.objects.all(), pk=self.kwargs["pk"])

    def page_context(self, instance: Incident) -> dict:
        return {"title": f"Edit {instance}", "cancel_url": incident_url(instance.pk)}


class IncidentLinkView(WriteView):
    """Link (or, with `unlink`, unlink) an incident and a failure mode of the team."""

    def post(self, request: HttpRequest) -> HttpResponse:
        form = LinkIncidentForm(request.POST, team_id=self.team.pk)
        if not form.is_valid() or not form.cleaned_data.get("incident"):
            messages.error(request, "Choose an incident and a failure mode of your team.")
            return back_to(request, reverse("registry:incidents"))
        incident = form.cleaned_data["incident"]
        failure_mode = form.cleaned_data.get("failure_mode")
        if failure_mode is None:
            messages.error(request, "Choose a failure mode of your team.")
        elif request.POST.get("unlink"):
            incident.failure_modes.remove(failure_mode)
            messages.success(request, f"“{incident}” is no longer linked to “{failure_mode}”.")
        else:
            incident.failure_modes.add(failure_mode)
            messages.success(request, f"“{incident}” linked to “{failure_mode}”.")
        return back_to(request, incident_url(incident.pk))


class AdoptEvidenceView(WriteView):
    """Adopt the probability or detectability a failure mode's incidents suggest."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        failure_mode = self.get_editable(FailureMode.objects.all(), pk=pk)
        scale = request.POST.get("scale", "")
        try:
            adopt_observed_rating(failure_mode, scale=scale, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            rating = getattr(
                failure_mode,
                f"revised_{scale}" if failure_mode.revised_severity is not None else scale,
            )
            messages.success(
                request, f"{scale.capitalize()} set to {rating}, as the incidents suggest."
            )
        return redirect(reverse("registry:failure_mode", args=[pk]) + "#evidence")


class ReceiversView(TeamView):
    """The team's receivers. Owners issue tokens (shown once), set the PagerDuty signing
    secret and the Alertmanager component label, and map PagerDuty services."""

    section = "incidents"

    def get(self, request: HttpRequest, issued: dict | None = None) -> HttpResponse:
        receivers = {
            receiver.source: receiver
            for receiver in IncidentReceiver.objects.for_team(self.team.pk)
        }
        issued = issued or {}
        return self.render(
            "registry/incidents/receivers.html",
            {
                "sources": [
                    {
                        "source": source.value,
                        "label": source.label,
                        "receiver": receivers.get(source),
                        "issued": issued.get(source),
                        "endpoint": request.build_absolute_uri(f"/api/v1/receivers/{source}/"),
                    }
                    for source in RECEIVER_SOURCES
                ],
                "is_owner": self.tc.role == Role.OWNER or request.user.is_superuser,
                "services": PagerDutyService.objects.for_team(self.team.pk).select_related(
                    "component"
                ),
                "components": Component.objects.for_team(self.team.pk).order_by("name"),
            },
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        if not (self.tc.role == Role.OWNER or request.user.is_superuser):
            messages.error(request, "Only the team's owners manage its receivers.")
            return redirect("registry:receivers")
        source = request.POST.get("source", "")
        what = request.POST.get("what", "")
        if source not in RECEIVER_SOURCES:
            messages.error(request, "Choose Alertmanager or PagerDuty.")
            return redirect("registry:receivers")
        if what == "rotate":
            _, token = rotate_receiver_token(
                team_id=self.team.pk, source=source, user=request.user
            )
            # Shown on this answer only: the register keeps a hash.
            return self.get(request, issued={source: token})
        receiver = IncidentReceiver.objects.for_team(self.team.pk).filter(source=source).first()
        if receiver is None:
            messages.error(request, "Issue the receiver's token first.")
            return redirect("registry:receivers")
        if what == "settings":
            receiver.component_label = request.POST.get("component_label", "").strip()
            if request.POST.get("signing_secret", "").strip():
                receiver.signing_secret = request.POST["signing_secret"].strip()
            self.save_checked(receiver, "Receiver settings saved.")
        elif what == "map":
            mapping = PagerDutyService(
                team=self.team,
                service_id=request.POST.get("service_id", "").strip(),
                component=Component.objects.for_team(self.team.pk)
                .filter(pk=request.POST.get("component") or None)
                .first(),
            )
            self.save_checked(mapping, f"PagerDuty service {mapping.service_id} mapped.")
        elif what == "unmap":
            PagerDutyService.objects.for_team(self.team.pk).filter(
                pk=request.POST.get("mapping") or None
            ).delete()
            messages.success(request, "Mapping removed.")
        return redirect("registry:receivers")

    def save_checked(self, instance, done: str) -> None:
        """Save a row the model's rules accept, saying so; else say why not."""
        try:
            instance.full_clean()
        except ValidationError as error:
            messages.error(self.request, " ".join(error.messages))
        else:
            instance.save()
            messages.success(self.request, done)
