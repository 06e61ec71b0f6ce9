"""A component steps depend on."""

from __future__ import annotations

from django import forms

from registry.forms.base import IdsField, ScopedModelForm, region_choices
from registry.models import Application, Component


class ComponentForm(ScopedModelForm):
    fixed_fields = ("team",)

    class Meta:
        model = Component
        fields = [
            "name",
            "kind",
            "description",
            "availability_basis",
            "availability",
            "availability_measured_over_days",
            "regions",
            "application",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "regions": forms.CheckboxSelectMultiple,
        }
        field_classes = {"regions": IdsField}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["application"].queryset = Application.objects.for_team(
            self.instance.team_id
        ).order_by("name")
        self.fields["application"].empty_label = "— not one of our applications —"
        region_choices(self.fields["regions"])
