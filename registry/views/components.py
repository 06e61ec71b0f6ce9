"""Components: the team's list, a component's page (what it needs, which steps need
it), create and edit."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from registry import selectors
from registry.analysis.downtime import measured_availability
from registry.analysis.graph import dependency_graph
from registry.forms.components import ComponentForm
from registry.models import Component, Step
from registry.services.incidents import adopt_measured_availability
from registry.views.base import TeamView, WriteView
from registry.views.editing import ModelFormPage


def component_url(pk: int) -> str:
    return reverse("registry:component", args=[pk])


class ComponentListView(TeamView):
    section = "components"

    def get(self, request: HttpRequest) -> HttpResponse:
        components = selectors.components_for_list(self.team.pk)
        return self.render("registry/components/list.html", {"components": components})


class ComponentDetailView(TeamView):
    section = "components"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        component = self.get_visible(Component.objects.select_related("application"), pk=pk)
        graph = dependency_graph(self.team.pk)
        usages = graph.steps_depending_on(component.pk)
        steps = Step.objects.filter(pk__in=usages).select_related("application__tier")
        used_by = sorted(
            ((step, usages[step.pk]) for step in steps),
            key=lambda pair: (
                pair[0].application.tier.level,
                pair[0].application.name,
                pair[0].order,
            ),
        )
        return self.render(
            "registry/components/detail.html",
            {
                "component": component,
                "measured": measured_availability(component.pk),
                "regions": list(component.regions.all()),
                "tree": graph.tree_of_component(component.pk),
                "used_by": used_by,
                "components": list(
                    Component.objects.for_team(self.team.pk).exclude(pk=pk).order_by("name")
                )
                if self.tc.can_edit
                else [],
                "failure_modes": component.failure_modes.select_related(
                    "step__application"
                ).order_by("-rpn", "id")[:50],
            },
        )


class ComponentCreateView(ModelFormPage):
    section = "components"
    form_class = ComponentForm

    def get_instance(self) -> Component:
        return Component(team=self.team)

    def page_context(self, instance: Component) -> dict:
        return {
            "title": "New component",
            "intro": "A component is something steps need: a service, database, queue, "
            "network, third-party API, or one of your applications.",
            "cancel_url": reverse("registry:components"),
        }

    def success_url(self, saved: Component) -> str:
        return component_url(saved.pk)


class ComponentEditView(ComponentCreateView):
    def get_instance(self) -> Component:
        return self.get_editable(Component.objects.all(), pk=self.kwargs["pk"])

    def page_context(self, instance: Component) -> dict:
        return {"title": f"Edit {instance}", "cancel_url": component_url(instance.pk)}


class AdoptMeasuredAvailabilityView(WriteView):
    """Make the availability the component's incidents measure its figure."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        component = self.get_editable(Component.objects.all(), pk=pk)
        try:
            measured = adopt_measured_availability(component, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, f"Availability set to {measured.availability} %, measured from incidents."
            )
        return redirect(component_url(pk) + "#measured-availability")
