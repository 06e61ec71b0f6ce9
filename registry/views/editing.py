"""Create and edit pages: one flow for every model form of the register.

Invalid input answers 422 with the errors beside the fields and the values kept; a
save from a stale copy answers 409 with the other person's values; nothing is saved in
either case.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from registry.models import StaleEditError
from registry.views.base import WriteView


def shown(model_field, value) -> str:
    """A field's value as the conflict message shows it."""
    if model_field.choices and value not in (None, ""):
        value = dict(model_field.flatchoices).get(value, value)
    return "—" if value in (None, "") else str(value)


def field_values(instance: models.Model, names: list[str], form=None) -> list[tuple]:
    """(label, their value, your value if it differs) of the named fields of the stored
    `instance`, for a conflict message; yours come from the refused `form`."""
    rows = []
    yours = getattr(form, "cleaned_data", {}) if form is not None else {}
    for name in names:
        model_field = instance._meta.get_field(name)
        if model_field.many_to_many:
            theirs = ", ".join(str(item) for item in getattr(instance, name).all()) or "—"
            mine = ", ".join(str(item) for item in yours[name]) or "—" if name in yours else None
        else:
            theirs = shown(model_field, getattr(instance, name))
            mine = shown(model_field, yours[name]) if name in yours else None
        label = str(model_field.verbose_name).capitalize()
        rows.append((label, theirs, mine if mine is not None and mine != theirs else None))
    return rows


class ModelFormPage(WriteView):
    """GET shows the form, POST validates and saves, then redirects to the object."""

    form_class: type
    template_name = "registry/form.html"

    def get_instance(self) -> models.Model:
        raise NotImplementedError

    def form_kwargs(self, instance: models.Model) -> dict:
        return {}

    def page_context(self, instance: models.Model) -> dict:
        """title, cancel_url and anything else the template shows."""
        return {}

    def success_url(self, saved: models.Model) -> str:
        raise NotImplementedError

    def save(self, form) -> models.Model:
        return form.save()

    def get(self, request: HttpRequest, **kwargs) -> HttpResponse:
        instance = self.get_instance()
        form = self.form_class(instance=instance, **self.form_kwargs(instance))
        return self.page(form, instance)

    def post(self, request: HttpRequest, **kwargs) -> HttpResponse:
        instance = self.get_instance()
        form = self.form_class(request.POST, instance=instance, **self.form_kwargs(instance))
        if not form.is_valid():
            return self.page(form, instance, status=422)
        try:
            saved = self.save(form)
        except StaleEditError:
            current = type(instance)._default_manager.get(pk=instance.pk)
            conflict = field_values(current, list(form._meta.fields), form)
            return self.page(form, instance, status=409, conflict=conflict, current=current)
        messages.success(request, f"Saved “{saved}”.")
        return redirect(self.success_url(saved))

    def page(self, form, instance, status: int = 200, **extra) -> HttpResponse:
        context = {"form": form, "object": instance, **self.page_context(instance), **extra}
        return self.render(self.template_name, context, status=status)
