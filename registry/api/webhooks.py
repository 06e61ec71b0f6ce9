"""Webhook subscriptions (a team's owners only: they hold the signing secret) and their
delivery log, with redelivery."""

from __future__ import annotations

from django.db import models
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from registry.api.base import ValidatedModelSerializer
from registry.api.fields import MemberTeamField
from registry.choices import WebhookEvent
from registry.filtersets.webhooks import WebhookDeliveryFilterSet
from registry.models import WebhookDelivery, WebhookSubscription
from registry.models.teams import is_team_owner
from registry.webhooks.events import redeliver


class WebhookSubscriptionSerializer(ValidatedModelSerializer):
    """A URL told about a team's events, each delivery signed with the secret."""

    team = MemberTeamField(help_text="The team's id: one you own.")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices),
        allow_empty=False,
        help_text="The event types to send.",
    )
    secret = serializers.CharField(
        required=False,
        write_only=True,
        max_length=200,
        help_text="Signs every delivery (HMAC-SHA256). Leave out to have one generated: "
        "it is then in the creation's answer, and never shown again.",
    )

    class Meta:
        model = WebhookSubscription
        fields = ["id", "team", "url", "secret", "events", "active", "description", "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {
            "id": {"help_text": "Database id."},
            "url": {"help_text": "Where events are POSTed: a public http(s) address."},
            "active": {"help_text": "Paused subscriptions are sent nothing."},
            "description": {"help_text": "What the receiver is, for the team's owners."},
            "created_at": {"help_text": "When the subscription was made."},
        }
        validators = []

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if self.context.get("show_secret"):
            data["secret"] = instance.secret
        return data


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One event sent to one subscription: the body, and how the attempts went."""

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "response_code",
            "error",
            "created_at",
            "last_attempt_at",
            "next_attempt_at",
            "delivered_at",
            "payload",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "Database id."},
            "subscription": {"help_text": "The subscription's id."},
            "event_type": {"help_text": "What happened, e.g. finding.opened."},
            "status": {"help_text": "pending, retrying, delivered or failed (given up)."},
            "attempts": {"help_text": "Attempts made so far."},
            "created_at": {"help_text": "When the event happened."},
            "last_attempt_at": {"help_text": "When it was last sent."},
            "next_attempt_at": {"help_text": "When it is sent next, while retrying."},
            "delivered_at": {"help_text": "When the receiver answered 2xx."},
        }


class WebhookSubscriptionViewSet(viewsets.ModelViewSet):
    """The webhook subscriptions of the teams you own."""

    serializer_class = WebhookSubscriptionSerializer
    ordering_fields = ["created_at", "url", "id"]
    http_method_names = ["get", "post", "patch", "put", "delete", "head", "options"]

    def get_queryset(self) -> models.QuerySet:
        return WebhookSubscription.objects.owned_by(self.request.user).order_by(
            "-created_at", "-id"
        )

    def check_owner(self, serializer) -> None:
        team = serializer.validated_data.get("team") or serializer.instance.team
        if not is_team_owner(self.request.user, team.pk):
            raise exceptions.PermissionDenied("Only the team's owners manage its webhooks.")

    def perform_create(self, serializer) -> None:
        self.check_owner(serializer)
        serializer.save(created_by=self.request.user)
        serializer.context["show_secret"] = True

    def perform_update(self, serializer) -> None:
        self.check_owner(serializer)
        serializer.save()


class WebhookDeliveryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The delivery log of the subscriptions of the teams you own, newest first."""

    serializer_class = WebhookDeliverySerializer
    filterset_class = WebhookDeliveryFilterSet
    ordering_fields = ["created_at", "id", "status"]

    def get_queryset(self) -> models.QuerySet:
        return WebhookDelivery.objects.owned_by(self.request.user).order_by("-created_at", "-id")

    @extend_schema(
        request=None,
        responses={
            202: WebhookDeliverySerializer,
            404: OpenApiResponse(description="No such delivery."),
        },
        description="Send the event again, with the same id and body.",
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request: Request, pk=None) -> Response:
        delivery = self.get_object()
        redeliver(delivery)
        delivery.refresh_from_db()
        return Response(self.get_serializer(delivery).data, status=status.HTTP_202_ACCEPTED)
