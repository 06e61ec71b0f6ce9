"""Actions against a failure mode: the edit form and the one-button completion."""

from __future__ import annotations

from django import forms

from registry.choices import ActionStatus
from registry.forms.base import VersionedForm
from registry.models import Action


class ActionForm(VersionedForm):
    fixed_fields = ("failure_mode",)

    class Meta:
        model = Action
        fields = ["description", "owner", "due_date", "status", "notes"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def save_by(self, user) -> Action:
        self.instance.updated_by = user
        return self.save()


def complete_action(action: Action, *, version: int, user) -> Action:
    """Mark an action done, refusing a stale copy (StaleEditError)."""
    action.status = ActionStatus.DONE
    action.version = version
    action.updated_by = user
    action.full_clean()
    action.save()
    return action
