"""What every browser form of the register shares.

Model forms run the model's full_clean(), so a page validates exactly like the API:
each rule, and each rule's message, is the model's (its clean() and its constraints'
`violation_error_message`, on the field `constraint_fields` names). The fields a view
fixes (a form's team, step or application) are set on the instance, not posted, yet
still take part in the model's unique and constraint checks.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

#: The largest version a form takes: one more (the save's new version) still fits the
#: column on every database, so a made-up version is refused as out of date, not by the
#: database.
MAX_VERSION = 2**31 - 2
#: The largest id a row can have (a 64-bit primary key).
MAX_ID = 2**63 - 1


def component_choices(field: forms.ModelChoiceField, components, empty_label: str) -> None:
    """Offer `components` as "Name (Kind)" in a select."""
    field.queryset = components
    field.label_from_instance = lambda component: (
        f"{component.name} ({component.get_kind_display()})"
    )
    field.empty_label = empty_label


class IdsField(forms.ModelMultipleChoiceField):
    """Several rows by id. An id no row can have (past 64 bits) is refused like any
    unknown one, before the query: SQLite cannot even compare it (OverflowError)."""

    def clean(self, value):
        for item in value if isinstance(value, list | tuple) else []:
            try:
                number = int(item)
            except (TypeError, ValueError):
                continue  # not a number: refused by the usual check
            if abs(number) > MAX_ID:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": item},
                )
        return super().clean(value)


def region_choices(field: forms.ModelMultipleChoiceField) -> None:
    field.label_from_instance = lambda region: (
        f"{region.code} — {region.name} ({region.country or 'country not recorded'})"
    )


class ScopedModelForm(forms.ModelForm):
    """A model form whose `fixed_fields` are set by the view before validation.

    Django leaves fields that are not on the form out of the unique and constraint
    checks; these are known, so (team, name) uniqueness is answered on the form
    instead of failing in the database.
    """

    fixed_fields: tuple[str, ...] = ()

    def _get_validation_exclusions(self) -> set[str]:
        return super()._get_validation_exclusions() - set(self.fixed_fields)

    def _update_errors(self, errors: ValidationError) -> None:
        # A rule about a fixed field (a dependency's step, say) has no input to sit
        # beside: it is shown above the form.
        if hasattr(errors, "error_dict"):
            moved: dict[str, list] = {}
            for field, messages in errors.error_dict.items():
                target = field if field in self.fields else NON_FIELD_ERRORS
                moved.setdefault(target, []).extend(messages)
            errors = ValidationError(moved)
        super()._update_errors(errors)


class VersionedForm(ScopedModelForm):
    """Carries the version the user read; a save from an older one raises StaleEditError
    (the model's UPDATE ... WHERE version = <read>) instead of overwriting."""

    version = forms.IntegerField(
        widget=forms.HiddenInput,
        required=False,
        min_value=1,
        max_value=MAX_VERSION,
        error_messages={"max_value": "This form is out of date: reload the page."},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["version"].required = True
            self.fields["version"].initial = self.instance.version
            self.fields["version"].error_messages["required"] = (
                "This form is out of date: reload the page."
            )

    def save(self, commit: bool = True):
        if self.instance.pk is not None:
            self.instance.version = self.cleaned_data["version"]
        return super().save(commit=commit)


class VersionForm(forms.Form):
    """Just the version the user read, for one-button state changes."""

    version = forms.IntegerField(min_value=1, max_value=MAX_VERSION)
