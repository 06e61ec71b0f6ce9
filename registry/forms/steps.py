"""A step of an application, with its optional own objectives (a looser one needs a
reason, which the model's validation asks for)."""

from __future__ import annotations

from django import forms

from registry.forms.base import ScopedModelForm
from registry.models import Step


class StepForm(ScopedModelForm):
    fixed_fields = ("application",)

    class Meta:
        model = Step
        fields = [
            "order",
            "name",
            "description",
            "rto_seconds",
            "rpo_seconds",
            "availability_target",
            "objective_reason",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "objective_reason": forms.Textarea(attrs={"rows": 2}),
        }
