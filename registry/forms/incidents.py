"""An incident, entered or corrected by hand, and a link to a failure mode."""

from __future__ import annotations

from django import forms

from registry.forms.base import IdsField, ScopedModelForm
from registry.models import Component, FailureMode, Incident
from registry.models.incidents import check_links


def link_field(label: str, help_text: str = "") -> forms.URLField:
    return forms.URLField(
        label=label, required=False, max_length=500, assume_scheme="https", help_text=help_text
    )


class IncidentForm(ScopedModelForm):
    fixed_fields = ("team",)
    url = link_field("URL", "Where it is tracked.")
    postmortem_url = link_field("Postmortem URL")

    class Meta:
        model = Incident
        fields = [
            "title",
            "severity",
            "started_at",
            "detected_at",
            "resolved_at",
            "data_lost_seconds",
            "url",
            "postmortem_url",
            "components",
            "failure_modes",
        ]
        widgets = {
            "started_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "detected_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "resolved_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "components": forms.CheckboxSelectMultiple,
        }
        field_classes = {"components": IdsField, "failure_modes": IdsField}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        team_id = self.instance.team_id
        self.fields["components"].queryset = Component.objects.for_team(team_id).order_by("name")
        self.fields["failure_modes"].queryset = (
            FailureMode.objects.for_team(team_id)
            .select_related("step__application")
            .order_by("step__application__name", "step__order", "mode")
        )
        self.fields["failure_modes"].label_from_instance = lambda fm: (
            f"{fm.step.application.name} / {fm.step.name}: {fm.mode}"
        )
        for name in ("started_at", "detected_at", "resolved_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"]

    def clean(self):
        cleaned = super().clean()
        # The querysets above already hold the team's rows only; the rule is the model's.
        check_links(
            self.instance.team_id,
            cleaned.get("components") or [],
            cleaned.get("failure_modes") or [],
        )
        return cleaned


class LinkIncidentForm(forms.Form):
    """Link an incident and a failure mode (from either page)."""

    incident = forms.ModelChoiceField(queryset=Incident.objects.none(), required=False)
    failure_mode = forms.ModelChoiceField(queryset=FailureMode.objects.none(), required=False)

    def __init__(self, *args, team_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["incident"].queryset = Incident.objects.for_team(team_id)
        self.fields["failure_mode"].queryset = FailureMode.objects.for_team(team_id)
