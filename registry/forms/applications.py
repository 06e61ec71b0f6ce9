"""An application: its tier, DR strategy, regions and data residency."""

from __future__ import annotations

from django import forms

from registry.forms.base import IdsField, ScopedModelForm, region_choices
from registry.jurisdictions import BLOCS, JURISDICTIONS
from registry.models import Application, BusinessFunction


class ApplicationForm(ScopedModelForm):
    fixed_fields = ("team",)

    class Meta:
        model = Application
        fields = [
            "name",
            "business_function",
            "description",
            "tier",
            "dr_strategy",
            "regions",
            "data_residency",
            "owner",
            *Application.RECOVERY_FIELDS,
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "regions": forms.CheckboxSelectMultiple,
        }
        field_classes = {"regions": IdsField}
        help_texts = {
            "tier": "The tier sets the recovery objectives (RTO, RPO, availability).",
            "dr_strategy": "How the application recovers from a disaster, cheapest first.",
            "regions": "Where it runs; 99.999 % needs two or more regions serving at once "
            "(active/active).",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["business_function"].queryset = BusinessFunction.objects.for_team(
            self.instance.team_id
        )
        self.fields["business_function"].empty_label = "— none —"
        region_choices(self.fields["regions"])
        self.fields["data_residency"] = forms.ChoiceField(
            choices=[
                ("", "No constraint"),
                ("EU", "EU (the European Union)"),
                ("EEA", "EEA (the EU, Iceland, Liechtenstein, Norway)"),
                *((code, code) for code in JURISDICTIONS if code not in BLOCS),
            ],
            required=False,
            label="Data residency",
            help_text=Application._meta.get_field("data_residency").help_text,
        )
