"""Teams and memberships. A team keeps at least one owner here too: every change that
could take the last one away (the membership page, the team page's members, a single
or bulk delete) is checked by `registry.services.teams` and refused with a message."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from registry.choices import Role
from registry.models import Invitation, Membership, Team
from registry.services.teams import (
    check_an_owner_remains,
    lock_teams,
    membership_change_role,
    membership_remove,
    memberships_remove,
)


class MembershipFormSet(BaseInlineFormSet):
    """The team page's members, checked as one change: the team keeps an owner."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        self.check_an_owner_remains()

    def check_an_owner_remains(self) -> None:
        if self.instance.pk is None:
            return  # a new team may be given its owner later
        leaving: list[int] = []
        joining = False
        for form in self.forms:
            role = getattr(form, "cleaned_data", {}).get("role")
            deleted = self.can_delete and self._should_delete_form(form)
            stored = form.instance if form.instance.pk is not None else None
            if stored is not None and (deleted or role != Role.OWNER):
                leaving.append(stored.pk)
            elif not deleted and role == Role.OWNER and form.has_changed():
                joining = True  # a new owner, or a member made owner
        try:
            check_an_owner_remains(team_id=self.instance.pk, leaving=leaving, joining=joining)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipFormSet
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at",)
    inlines = (MembershipInline,)

    def save_formset(self, request, form, formset, change) -> None:
        if isinstance(formset, MembershipFormSet) and change:
            # Checked again with the team locked: an owner change saved since the form
            # was validated counts too (then refused as an error, not saved).
            lock_teams([form.instance.pk])
            formset.check_an_owner_remains()
        super().save_formset(request, form, formset, change)


class MembershipAdminForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("team", "user", "role")

    def clean(self) -> dict:
        cleaned = super().clean()
        role = cleaned.get("role")
        if self.instance.pk is not None and role and role != Role.OWNER:
            # The stored row: the form's values are put on the instance after clean().
            check_an_owner_remains(
                team_id=self.instance.team_id, leaving=[self.instance.pk], field="role"
            )
        return cleaned


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipAdminForm
    list_display = ("user", "team", "role")
    list_filter = ("role", "team")
    search_fields = ("user__username", "user__email", "team__name")
    list_select_related = ("user", "team")
    autocomplete_fields = ("team", "user")
    actions = ["delete_selected"]

    def save_model(self, request, obj: Membership, form, change: bool) -> None:
        if change and "role" in form.changed_data:
            membership_change_role(membership=obj, role=obj.role)
        else:
            super().save_model(request, obj, form, change)

    def delete_model(self, request, obj: Membership) -> None:
        membership_remove(membership=obj)

    def delete_queryset(self, request, queryset) -> None:
        memberships_remove(memberships=queryset)

    def delete_view(self, request: HttpRequest, object_id, extra_context=None) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as exc:
            # The deletion (and its log entry) was rolled back with the view's transaction.
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            url = reverse("admin:registry_membership_change", args=[object_id])
            return HttpResponseRedirect(url)

    @admin.action(permissions=["delete"], description="Delete selected %(verbose_name_plural)s")
    def delete_selected(self, request: HttpRequest, queryset) -> HttpResponse | None:
        """Django's bulk delete, refused as a whole when a team would lose its last owner."""
        try:
            with transaction.atomic():
                return django_delete_selected(self, request, queryset)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return None


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Pending invitations; the invited user joins on accepting (not from here)."""

    list_display = ("username", "team", "role", "invited_by", "created_at", "expires_at")
    list_filter = ("role", "team", "expires_at")
    search_fields = ("username", "team__name")
    list_select_related = ("team", "invited_by")
    autocomplete_fields = ("team",)
    raw_id_fields = ("invited_by",)
    readonly_fields = ("created_at",)
