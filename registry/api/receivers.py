"""The inbound receivers of Alertmanager and PagerDuty webhooks, and the team owners'
management of their tokens and settings.

A receiver is found by its token (`Authorization: Bearer <token>`; only a hash is
stored). PagerDuty deliveries must also carry a valid `X-PagerDuty-Signature`. Anything
refused is refused before a row is written: 401 for a missing or wrong token or
signature, 400 for a body that is not the vendor's payload.
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from registry.api.base import as_api_error
from registry.api.fields import MemberTeamField
from registry.choices import RECEIVER_SOURCE_CHOICES, IncidentSource
from registry.models import IncidentReceiver
from registry.models.incidents import hash_token
from registry.models.teams import is_team_owner
from registry.services.incidents import rotate_receiver_token
from registry.services.receivers import (
    receive_alertmanager,
    receive_pagerduty,
    signature_valid,
)


class DeliverySerializer(serializers.Serializer):
    incident = serializers.IntegerField(
        allow_null=True, help_text="Id of the incident the delivery created or updated."
    )
    changed = serializers.BooleanField(help_text="false for a replay: nothing was written.")
    ignored = serializers.CharField(
        allow_null=True, help_text="Why the event was not recorded (an event type not used)."
    )
    unmatched = serializers.ListField(
        child=serializers.CharField(),
        help_text="Component names or PagerDuty services that match no component.",
    )


class ReceiverView(APIView):
    # Authenticated by the receiver's own token, not by a user: no session (so no
    # CSRF), no user throttle (alert storms must not be dropped).
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes: list = []
    source: str

    def receiver(self, request: Request) -> IncidentReceiver:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise exceptions.NotAuthenticated("Send the receiver's token: Authorization: Bearer …")
        try:
            return IncidentReceiver.objects.get(
                source=self.source, token_hash=hash_token(token.strip())
            )
        except IncidentReceiver.DoesNotExist:
            raise exceptions.AuthenticationFailed("Unknown or rotated receiver token.") from None

    def payload(self, request: Request):
        try:
            return json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError("The body is not JSON.") from exc

    def answer(self, deliver) -> Response:
        try:
            delivery = deliver()
        except DjangoValidationError as exc:
            raise as_api_error(exc) from exc
        # DeliverySerializer documents the answer; the dict already has its shape.
        return Response(delivery.as_dict(), status=status.HTTP_200_OK)

    def get_authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="receiver"'


RECEIVER_RESPONSES = {
    200: DeliverySerializer,
    400: OpenApiResponse(description="Not the vendor's payload: {field: [messages]}."),
    401: OpenApiResponse(description="Missing or wrong token (or PagerDuty signature)."),
}


class AlertmanagerReceiverView(ReceiverView):
    """Prometheus Alertmanager webhook (payload version 4)."""

    source = IncidentSource.ALERTMANAGER

    @extend_schema(request=OpenApiTypes.OBJECT, responses=RECEIVER_RESPONSES, auth=[])
    def post(self, request: Request) -> Response:
        receiver = self.receiver(request)
        payload = self.payload(request)
        return self.answer(lambda: receive_alertmanager(receiver, payload, timezone.now()))


class PagerDutyReceiverView(ReceiverView):
    """PagerDuty webhook v3 events, signed (X-PagerDuty-Signature)."""

    source = IncidentSource.PAGERDUTY

    @extend_schema(request=OpenApiTypes.OBJECT, responses=RECEIVER_RESPONSES, auth=[])
    def post(self, request: Request) -> Response:
        receiver = self.receiver(request)
        body = request.body
        if not signature_valid(
            receiver.signing_secret, body, request.headers.get("X-PagerDuty-Signature", "")
        ):
            raise exceptions.AuthenticationFailed(
                "X-PagerDuty-Signature does not match the signing secret."
            )
        payload = self.payload(request)
        return self.answer(lambda: receive_pagerduty(receiver, payload))


class IncidentReceiverSerializer(serializers.ModelSerializer):
    """A team's receiver for one source; its token is shown once, when issued."""

    team = MemberTeamField(help_text="Id of the team; one of your teams.")
    signing_secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text="PagerDuty only: the webhook subscription's signing secret (write-only).",
    )
    signing_secret_set = serializers.SerializerMethodField(
        help_text="Whether a PagerDuty signing secret is set."
    )

    class Meta:
        model = IncidentReceiver
        fields = [
            "id",
            "team",
            "source",
            "token_hint",
            "component_label",
            "signing_secret",
            "signing_secret_set",
            "rotated_at",
        ]
        read_only_fields = ["team", "source", "token_hint", "rotated_at"]
        extra_kwargs = {
            "id": {"help_text": "Unique id of the row."},
            "source": {"help_text": "alertmanager or pagerduty."},
            "rotated_at": {"help_text": "When the token was last issued."},
        }

    def get_signing_secret_set(self, receiver: IncidentReceiver) -> bool:
        return bool(receiver.signing_secret)


class RotateSerializer(serializers.Serializer):
    team = MemberTeamField(help_text="Id of the team; you must own it.")
    source = serializers.ChoiceField(choices=RECEIVER_SOURCE_CHOICES, help_text="Which receiver.")


class IssuedTokenSerializer(IncidentReceiverSerializer):
    token = serializers.CharField(read_only=True, help_text="The new token, shown only now.")

    class Meta(IncidentReceiverSerializer.Meta):
        fields = [*IncidentReceiverSerializer.Meta.fields, "token"]


class IncidentReceiverViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The receivers of the caller's teams. Owners issue (rotate) tokens and edit the
    settings."""

    queryset = IncidentReceiver.objects.order_by("team_id", "source")
    serializer_class = IncidentReceiverSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return self.queryset.visible_to(self.request.user)

    def perform_update(self, serializer) -> None:
        if not is_team_owner(self.request.user, serializer.instance.team_id):
            raise exceptions.PermissionDenied("Only the team's owners change its receivers.")
        serializer.save()

    @extend_schema(request=RotateSerializer, responses={201: IssuedTokenSerializer})
    @action(detail=False, methods=["post"])
    def rotate(self, request: Request) -> Response:
        """Issue a new token for the team's receiver of a source; the old one stops
        working at once."""
        choice = RotateSerializer(data=request.data, context={"request": request})
        choice.is_valid(raise_exception=True)
        team = choice.validated_data["team"]
        if not is_team_owner(request.user, team.pk):
            raise exceptions.PermissionDenied("Only the team's owners issue receiver tokens.")
        receiver, token = rotate_receiver_token(
            team_id=team.pk, source=choice.validated_data["source"], user=request.user
        )
        receiver.token = token
        return Response(IssuedTokenSerializer(receiver).data, status=status.HTTP_201_CREATED)
