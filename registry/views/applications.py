"""Applications: the team's list, an application's page, create and edit."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from registry import selectors
from registry.analysis import figures
from registry.analysis.graph import dependency_graph
from registry.analysis.recovery import recovery_tables
from registry.forms.applications import ApplicationForm
from registry.forms.steps import StepForm
from registry.models import Application, Component, RecoveryTest, Step
from registry.views.base import TeamView
from registry.views.editing import ModelFormPage
from registry.views.filtersets import ApplicationListFilterSet

#: Recovery tests listed on an application's page, newest first (all are in the API).
RECENT_TESTS = 20


def application_url(pk: int) -> str:
    return reverse("registry:application", args=[pk])


class ApplicationListView(TeamView):
    section = "applications"

    def get(self, request: HttpRequest) -> HttpResponse:
        filterset = ApplicationListFilterSet(
            request.GET or None,
            queryset=selectors.applications_for_list(self.team.pk),
            team_id=self.team.pk,
        )
        return self.render(
            "registry/applications/list.html",
            {"filterset": filterset, "applications": filterset.qs, "filtered": bool(request.GET)},
        )


class ApplicationDetailView(TeamView):
    section = "applications"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        application = self.get_visible(
            Application.objects.select_related("tier", "dr_strategy", "business_function"),
            pk=pk,
        )
        regions = list(application.regions.all())
        graph = dependency_graph(self.team.pk)
        steps = list(selectors.steps_for_application(application))
        recovery = recovery_tables(self.team.pk, application.pk)
        for step in steps:
            step.tree = graph.tree_of_step(step.pk)
            step.recovery = recovery.get(step.pk, [])
        tier = application.tier
        strategy = application.dr_strategy
        return self.render(
            "registry/applications/detail.html",
            {
                "application": application,
                "tier": tier,
                "strategy": strategy,
                "strategy_meets_tier": strategy.meets(tier.rto_seconds, tier.rpo_seconds),
                "default_detection": settings.FMEA_DEFAULT_DETECTION_SECONDS,
                "regions": regions,
                "steps": steps,
                # Choices of the "add a dependency" forms, read once for all steps.
                "components": list(Component.objects.for_team(self.team.pk).order_by("name", "id"))
                if self.tc.can_edit
                else [],
                "findings": figures.findings(self.team.pk, application_id=application.pk),
                "recovery_tests": RecoveryTest.objects.filter(application=application)
                .select_related("step", "recorded_by")
                .order_by("-performed_on", "-id")[:RECENT_TESTS],
            },
        )


class ApplicationCreateView(ModelFormPage):
    section = "applications"
    form_class = ApplicationForm

    def get_instance(self) -> Application:
        return Application(team=self.team)

    def page_context(self, instance: Application) -> dict:
        return {
            "title": "New application",
            "intro": "An application delivers a business function. Its tier sets the "
            "recovery objectives its steps must meet.",
            "cancel_url": reverse("registry:applications"),
        }

    def success_url(self, saved: Application) -> str:
        return application_url(saved.pk)


class ApplicationEditView(ApplicationCreateView):
    def get_instance(self) -> Application:
        return self.get_editable(Application.objects.all(), pk=self.kwargs["pk"])

    def page_context(self, instance: Application) -> dict:
        return {"title": f"Edit {instance}", "cancel_url": application_url(instance.pk)}


class StepCreateView(ModelFormPage):
    section = "applications"
    form_class = StepForm

    def get_instance(self) -> Step:
        application = self.get_editable(
            Application.objects.select_related("tier"), pk=self.kwargs["pk"]
        )
        last = application.steps.order_by("-order").values_list("order", flat=True).first()
        return Step(application=application, order=(last or 0) + 1)

    def page_context(self, instance: Step) -> dict:
        tier = instance.application.tier
        return {
            "title": f"New step of {instance.application}",
            "intro": f"A step inherits the objectives of {tier}; set its own RTO, RPO or "
            "availability only where it needs more or less. A looser one needs a reason.",
            "cancel_url": application_url(instance.application_id),
        }

    def success_url(self, saved: Step) -> str:
        return reverse("registry:worksheet", args=[saved.pk])


class StepEditView(StepCreateView):
    def get_instance(self) -> Step:
        return self.get_editable(
            Step.objects.select_related("application__tier"), pk=self.kwargs["pk"]
        )

    def page_context(self, instance: Step) -> dict:
        return {
            **super().page_context(instance),
            "title": f"Edit step {instance.order}. {instance.name}",
            "cancel_url": reverse("registry:worksheet", args=[instance.pk]),
        }
