"""Actions against a failure mode: add, edit, complete."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from registry.forms.actions import ActionForm, complete_action
from registry.forms.base import VersionForm
from registry.models import Action, FailureMode, StaleEditError
from registry.views.base import WriteView
from registry.views.editing import ModelFormPage
from registry.views.failure_modes import detail_url


class ActionCreateView(ModelFormPage):
    section = "failure_modes"
    form_class = ActionForm
    template_name = "registry/actions/form.html"

    def get_instance(self) -> Action:
        failure_mode = self.get_editable(
            FailureMode.objects.select_related("step__application"), pk=self.kwargs["pk"]
        )
        return Action(failure_mode=failure_mode)

    def page_context(self, instance: Action) -> dict:
        return {"fm": instance.failure_mode, "title": "Add an action"}

    def save(self, form) -> Action:
        return form.save_by(self.request.user)

    def success_url(self, saved: Action) -> str:
        return detail_url(saved.failure_mode_id) + "#actions"


class ActionEditView(ActionCreateView):
    def get_instance(self) -> Action:
        return self.get_editable(
            Action.objects.select_related("failure_mode__step__application"),
            pk=self.kwargs["pk"],
        )

    def page_context(self, instance: Action) -> dict:
        return {"fm": instance.failure_mode, "title": "Edit action"}


class ActionCompleteView(WriteView):
    """One button: the action is done (stamped now), unless someone changed it since."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        action = self.get_editable(Action.objects.all(), pk=pk)
        form = VersionForm(request.POST)
        if not form.is_valid():
            messages.error(request, "The page was out of date; reload it and try again.")
        else:
            try:
                complete_action(action, version=form.cleaned_data["version"], user=request.user)
            except StaleEditError:
                messages.error(
                    request,
                    f"“{action}” was changed by someone else since you loaded the page; it "
                    "was not marked done. Check its current state below.",
                )
            else:
                messages.success(request, f"Marked “{action}” as done.")
        return redirect(detail_url(action.failure_mode_id) + "#actions")
