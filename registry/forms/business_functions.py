"""A team's business functions."""

from __future__ import annotations

from django import forms

from registry.forms.base import ScopedModelForm
from registry.models import BusinessFunction


class BusinessFunctionForm(ScopedModelForm):
    fixed_fields = ("team",)

    class Meta:
        model = BusinessFunction
        fields = ["name", "description", "priority"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
