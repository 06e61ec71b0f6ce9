"""Browser forms for reports and schedules: the same scope filters as the API, checked
by the same model validation (ReportScope.clean)."""

from __future__ import annotations

from django import forms

from registry.choices import ActionPriority, FailureModeStatus
from registry.forms.base import IdsField
from registry.models import Application, ReportFormat, ReportSchedule, Team, Tier


class ScopeFields(forms.Form):
    """Scope filters; `team` limits the applications offered."""

    format = forms.ChoiceField(
        choices=ReportFormat.choices, initial=ReportFormat.PDF, widget=forms.RadioSelect
    )
    tiers = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: all tiers.",
    )
    applications = IdsField(
        queryset=Application.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: all applications.",
    )
    statuses = forms.MultipleChoiceField(
        choices=FailureModeStatus.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every status.",
    )
    min_rpn = forms.IntegerField(
        label="Minimum RPN", min_value=1, max_value=1000, required=False, help_text="Blank: any."
    )
    action_priorities = forms.MultipleChoiceField(
        label="Action priority",
        choices=ActionPriority.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: H, M and L.",
    )

    def setup_scope(self, team: Team) -> None:
        self.fields["tiers"].choices = [(t.level, t.name) for t in Tier.objects.order_by("level")]
        self.fields["applications"].queryset = Application.objects.for_team(team.pk).order_by(
            "name"
        )

    def scope(self) -> dict:
        data = self.cleaned_data
        return {
            "tiers": sorted(data.get("tiers") or []),
            "applications": sorted(app.pk for app in data.get("applications") or []),
            "statuses": list(data.get("statuses") or []),
            "min_rpn": data.get("min_rpn"),
            "action_priorities": list(data.get("action_priorities") or []),
        }


class ReportRequestForm(ScopeFields):
    def __init__(self, *args, team: Team, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.setup_scope(team)


class ReportScheduleForm(ScopeFields, forms.ModelForm):
    class Meta:
        model = ReportSchedule
        fields = ["name", "format", "crontab", "recipients", "enabled"]
        widgets = {"recipients": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.setup_scope(self.instance.team)
        if self.instance.pk:
            for name in ("tiers", "statuses", "min_rpn", "action_priorities"):
                self.initial[name] = getattr(self.instance, name)
            self.initial["applications"] = list(self.instance.applications)

    def clean(self) -> dict:
        data = super().clean()
        # The model checks the scope (ReportScope.clean) in _post_clean, after this.
        for name, value in self.scope().items():
            setattr(self.instance, name, value)
        return data
