"""What a step, or a component, depends on. A dependency that would close a loop is
refused by the model (Dependency.clean()), with the loop's path, as in the API."""

from __future__ import annotations

from django import forms

from registry.forms.base import ScopedModelForm, component_choices
from registry.models import Component, Dependency


class DependencyForm(ScopedModelForm):
    """What a step (or a component) needs: a component, hard or soft."""

    fixed_fields = ("step", "dependant_component")

    hard = forms.TypedChoiceField(
        choices=[(True, "Hard: fails without it"), (False, "Soft: degraded without it")],
        coerce=lambda value: value in (True, "True"),
        widget=forms.RadioSelect,
        initial=True,
        label="Kind of dependency",
    )

    class Meta:
        model = Dependency
        fields = ["component", "hard"]

    def __init__(self, *args, team_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        components = Component.objects.for_team(team_id).order_by("name")
        if self.instance.dependant_component_id is not None:
            components = components.exclude(pk=self.instance.dependant_component_id)
        component_choices(self.fields["component"], components, "— choose a component —")
