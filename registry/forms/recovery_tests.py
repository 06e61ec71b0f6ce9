"""A recovery test (drill) of an application, recorded from its page."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from registry.forms.base import ScopedModelForm
from registry.models import RecoveryTest


class RecoveryTestForm(ScopedModelForm):
    fixed_fields = ("team", "application")

    class Meta:
        model = RecoveryTest
        fields = [
            "disruption",
            "step",
            "performed_on",
            "scenario",
            "measured_rto_seconds",
            "measured_rpo_seconds",
            "outcome",
            "runbook_url",
            "notes",
        ]
        widgets = {
            "performed_on": forms.DateInput(attrs={"type": "date"}),
            "scenario": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["step"].queryset = self.instance.application.steps.order_by("order")
        self.fields["step"].empty_label = "— the whole application —"
        self.fields["runbook_url"].assume_scheme = "https"
        self.fields["runbook_url"].help_text = "The runbook the drill followed, if any."
        if self.instance.pk is None:
            self.fields["performed_on"].initial = timezone.localdate()
