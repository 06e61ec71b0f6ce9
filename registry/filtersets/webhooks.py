"""Webhook deliveries: which subscription, which event, how they went."""

import django_filters

from registry.choices import DeliveryStatus, WebhookEvent
from registry.filtersets.filters import IntegerFilter, MultipleChoiceFilter, StrictUUIDFilter
from registry.models import WebhookDelivery


class WebhookDeliveryFilterSet(django_filters.FilterSet):
    """The delivery log by subscription, event type, status and event id."""

    subscription = IntegerFilter(field_name="subscription_id", help_text="Subscription id.")
    event_type = MultipleChoiceFilter(choices=WebhookEvent.choices, help_text="Event types.")
    status = MultipleChoiceFilter(choices=DeliveryStatus.choices, help_text="Statuses.")
    event_id = StrictUUIDFilter(help_text="The event's id.")

    class Meta:
        model = WebhookDelivery
        fields = ["subscription", "event_type", "status", "event_id"]
