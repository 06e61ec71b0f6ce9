"""Business functions: what the business does, most important first."""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from registry.forms.business_functions import BusinessFunctionForm
from registry.models import BusinessFunction
from registry.views.base import TeamView
from registry.views.editing import ModelFormPage


class BusinessFunctionListView(TeamView):
    section = "business_functions"

    def get(self, request: HttpRequest) -> HttpResponse:
        functions = (
            BusinessFunction.objects.for_team(self.team.pk)
            .annotate(application_count=Count("applications"))
            .order_by("priority", "name", "id")
        )
        return self.render("registry/business_functions/list.html", {"functions": functions})


class BusinessFunctionCreateView(ModelFormPage):
    section = "business_functions"
    form_class = BusinessFunctionForm

    def get_instance(self) -> BusinessFunction:
        return BusinessFunction(team=self.team)

    def page_context(self, instance: BusinessFunction) -> dict:
        return {
            "title": "New business function",
            "intro": "What the business does, e.g. “Process purchase transactions”. "
            "Start with the most important ones.",
            "cancel_url": reverse("registry:business_functions"),
        }

    def success_url(self, saved: BusinessFunction) -> str:
        return reverse("registry:business_functions")


class BusinessFunctionEditView(BusinessFunctionCreateView):
    def get_instance(self) -> BusinessFunction:
        return self.get_editable(BusinessFunction.objects.all(), pk=self.kwargs["pk"])

    def page_context(self, instance: BusinessFunction) -> dict:
        return {"title": f"Edit {instance}", "cancel_url": reverse("registry:business_functions")}
