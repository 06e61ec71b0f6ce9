"""Freezing a baseline: its title and notes (the snapshot is the register's)."""

from django import forms

from registry.models import Baseline


class BaselineForm(forms.ModelForm):
    class Meta:
        model = Baseline
        fields = ["title", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
