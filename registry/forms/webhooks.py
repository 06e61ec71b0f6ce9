"""A team owner's webhook subscription: URL, events, and optionally their own secret."""

from __future__ import annotations

from django import forms

from registry.choices import WebhookEvent
from registry.forms.base import ScopedModelForm
from registry.models import WebhookSubscription
from registry.models.webhooks import new_secret


class WebhookSubscriptionForm(ScopedModelForm):
    fixed_fields = ("team",)

    url = forms.URLField(
        label="URL",
        assume_scheme="https",
        max_length=500,
        help_text="Where the events are POSTed: a public http(s) address.",
    )
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Which events are POSTed to the URL.",
    )
    secret = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Signs every delivery (HMAC-SHA256), at least 16 characters. Leave "
        "empty to have one generated: it is shown once, after saving.",
    )

    class Meta:
        model = WebhookSubscription
        fields = ["url", "events", "secret", "description"]

    def clean_secret(self) -> str:
        return self.cleaned_data.get("secret") or new_secret()
