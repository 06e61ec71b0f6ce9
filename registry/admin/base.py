"""What the register's admin pages share."""

from django.contrib import admin

RECORD_FIELDS = ("version", "created_at", "updated_at")


class StampUserMixin:
    """Records the admin user in `updated_by` and, on creation, `created_by`, on the
    object and on its inline rows, for the models that have those fields."""

    @staticmethod
    def stamp(request, obj) -> None:
        if hasattr(obj, "updated_by_id"):
            obj.updated_by = request.user
        if obj._state.adding and hasattr(obj, "created_by_id"):
            obj.created_by = request.user

    def save_model(self, request, obj, form, change):
        self.stamp(request, obj)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            if inline_form.has_changed():
                self.stamp(request, inline_form.instance)
        super().save_formset(request, form, formset, change)


class ComputedAdmin(admin.ModelAdmin):
    list_select_related = ("team",)
    list_filter = ("team",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
