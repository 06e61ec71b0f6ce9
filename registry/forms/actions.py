"""Actions against a failure mode: the edit form and the one-button completion."""

from __future__ import annotations

from django import forms

from registry.choices import ActionKind, ActionStatus
from registry.forms.base import VersionedForm
from registry.models import Action


class ActionForm(VersionedForm):
    fixed_fields = ("failure_mode",)

    class Meta:
        model = Action
        fields = [
            "description",
            "kind",
            "owner",
            "due_date",
            "status",
            "notes",
            "verification_evidence",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
            "verification_evidence": forms.Textarea(attrs={"rows": 2}),
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Left out of a post (an older page), the kind keeps its default.
        self.fields["kind"].required = False

    def clean_kind(self) -> str:
        return self.cleaned_data["kind"] or self.instance.kind or ActionKind.PREVENTION

    def save_by(self, user) -> Action:
        self.instance.stamp(user)
        return self.save()


def complete_action(action: Action, *, version: int, user) -> Action:
    """Mark an action done, refusing a stale copy (StaleEditError)."""
    action.status = ActionStatus.DONE
    action.version = version
    action.updated_by = user
    action.full_clean()
    action.save()
    return action
