"""Webhook subscriptions (secrets are write-only here too) and their delivery log."""

from django import forms
from django.contrib import admin

from registry.admin.base import ComputedAdmin
from registry.models import WebhookDelivery, WebhookSubscription
from registry.webhooks.events import redeliver


class WebhookSubscriptionAdminForm(forms.ModelForm):
    url = forms.URLField(assume_scheme="https", max_length=500)
    secret = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="Leave empty to keep the current secret.",
    )

    class Meta:
        model = WebhookSubscription
        fields = ["team", "url", "events", "secret", "active", "description"]

    def clean_secret(self) -> str:
        return self.cleaned_data.get("secret") or self.instance.secret


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionAdminForm
    list_display = ("url", "team", "active", "created_at")
    list_select_related = ("team",)
    list_filter = ("active", "team")
    search_fields = ("url", "description")
    raw_id_fields = ("team",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ComputedAdmin):
    list_display = (
        "event_type",
        "event_id",
        "subscription",
        "status",
        "response_code",
        "attempts",
        "created_at",
    )
    list_select_related = ("subscription",)
    list_filter = ("status", "event_type", "subscription__team")
    search_fields = ("event_id", "subscription__url")
    raw_id_fields = ("subscription",)
    actions = ["send_again"]

    @admin.action(description="Redeliver the selected events (same id and body)")
    def send_again(self, request, queryset) -> None:
        for delivery in queryset:
            redeliver(delivery)
        self.message_user(request, f"{queryset.count()} deliveries queued again.")
