"""A component steps depend on."""

from __future__ import annotations

from django import forms

from registry.choices import Replication
from registry.forms.base import IdsField, ScopedModelForm, region_choices
from registry.models import Application, Component


class RecoveryInputsMixin:
    """Replication left out of a post (a client that predates it, a stateless kind)
    means none, as the model's default says."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "replication" in self.fields:
            self.fields["replication"].required = False

    def clean_replication(self) -> str:
        return self.cleaned_data.get("replication") or Replication.NONE


class ComponentAdminForm(RecoveryInputsMixin, forms.ModelForm):
    class Meta:
        model = Component
        fields = [
            "team",
            "name",
            "kind",
            "description",
            "availability",
            "availability_basis",
            "availability_measured_over_days",
            "regions",
            "application",
            *Component.RECOVERY_FIELDS,
        ]


class ComponentForm(RecoveryInputsMixin, ScopedModelForm):
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
            *Component.RECOVERY_FIELDS,
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "regions": forms.CheckboxSelectMultiple,
            "replica_regions": forms.CheckboxSelectMultiple,
            "backup_copy_regions": forms.CheckboxSelectMultiple,
        }
        field_classes = {
            "regions": IdsField,
            "replica_regions": IdsField,
            "backup_copy_regions": IdsField,
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["application"].queryset = Application.objects.for_team(
            self.instance.team_id
        ).order_by("name")
        self.fields["application"].empty_label = "— not one of our applications —"
        for name in ("regions", "replica_regions", "backup_copy_regions"):
            region_choices(self.fields[name])
