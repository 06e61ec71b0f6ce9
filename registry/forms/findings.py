"""Setting a finding aside: the suppression form of the findings page."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from registry.models import Finding, FindingSuppression
from registry.services.findings import suppress_finding


class SuppressionForm(forms.ModelForm):
    """Accepted or not applicable, why, and until when (at most a year)."""

    class Meta:
        model = FindingSuppression
        fields = ["status", "reason", "expires_on"]
        labels = {"status": "Decision", "expires_on": "Until"}
        widgets = {
            "reason": forms.Textarea(attrs={"rows": 2}),
            "expires_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, finding: Finding, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.finding = finding
        # The service says what is missing, in the model's words, with the other rules.
        self.fields["reason"].required = False

    def _post_clean(self) -> None:
        # The service validates (and saves) the suppression; its rules are the model's.
        return

    def save_by(self, user) -> FindingSuppression | None:
        """The suppression, or None with the errors on the form."""
        try:
            return suppress_finding(self.finding, user=user, **self.cleaned_data)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
            return None
