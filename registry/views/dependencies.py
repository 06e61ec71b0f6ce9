"""Dependencies: what a step or a component needs. Added from the application and
component pages, removed with one button; a step's review is recorded here too."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from registry.forms.dependencies import DependencyForm
from registry.models import Component, Dependency, Step
from registry.views.base import WriteView


def dependant_url(dependency: Dependency) -> str:
    if dependency.step_id is not None:
        return reverse("registry:application", args=[dependency.step.application_id])
    return reverse("registry:component", args=[dependency.dependant_component_id])


class DependencyCreateView(WriteView):
    """POST: the step (`kind="step"`) or component needs another component."""

    section = "applications"

    def get_instance(self, kind: str, pk: int) -> Dependency:
        if kind == "step":
            step = self.get_editable(Step.objects.select_related("application"), pk=pk)
            return Dependency(step=step)
        component = self.get_editable(Component.objects.all(), pk=pk)
        return Dependency(dependant_component=component)

    def get(self, request: HttpRequest, kind: str, pk: int) -> HttpResponse:
        instance = self.get_instance(kind, pk)
        return self.page(DependencyForm(instance=instance, team_id=self.team.pk), instance)

    def post(self, request: HttpRequest, kind: str, pk: int) -> HttpResponse:
        instance = self.get_instance(kind, pk)
        form = DependencyForm(request.POST, instance=instance, team_id=self.team.pk)
        if not form.is_valid():
            return self.page(form, instance, status=422)
        dependency = form.save()
        messages.success(request, f"Added dependency: {dependency}.")
        return redirect(dependant_url(dependency))

    def page(self, form, instance: Dependency, status: int = 200) -> HttpResponse:
        dependant = instance.step or instance.dependant_component
        return self.render(
            "registry/form.html",
            {
                "form": form,
                "title": f"Add a dependency of {dependant}",
                "intro": "Hard: the dependant fails without it. Soft: it is degraded.",
                "cancel_url": dependant_url(instance),
            },
            status=status,
        )


class DependencyDeleteView(WriteView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        dependency = self.get_editable(
            Dependency.objects.select_related("step", "dependant_component", "component"), pk=pk
        )
        url = dependant_url(dependency)
        dependency.delete()
        messages.success(request, f"Removed dependency: {dependency}.")
        return redirect(url)


class StepReviewView(WriteView):
    """Record that the step's worksheet was reviewed now, by this user."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        step = self.get_editable(Step.objects.all(), pk=pk)
        step.mark_reviewed(request.user)
        messages.success(request, f"Recorded your review of “{step.name}”.")
        return redirect(reverse("registry:worksheet", args=[pk]))
