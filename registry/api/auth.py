"""API tokens: exchange a username and password for the key sent as
`Authorization: Token <key>`. Tokens can also be made with `manage.py drf_create_token`."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken

from fmea.security import login_locked_out
from registry.api.parsers import JSONParser
from registry.api.throttling import ScopedThrottle


class TokenCredentialsSerializer(AuthTokenSerializer):
    """A username and password."""

    username = serializers.CharField(write_only=True, help_text="Your username.")
    password = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Your password.",
    )
    token = None  # in the response only: TokenResponseSerializer


class TokenResponseSerializer(serializers.Serializer):
    """The caller's API token."""

    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")


class TokenView(ObtainAuthToken):
    """Trade a username and password for the caller's API token (the same token on
    every call). Answers 400 without saying whether the user exists; limited per client
    address (scope "auth") so guessing passwords gets 429 with Retry-After, and locked
    out with the browser's sign-in after LOGIN_FAILURE_LIMIT failures of one user name
    from one client."""

    # No session or token is needed, nor used: the limit is per client address, and a
    # browser session does not impose CSRF checks on a call that only checks a password.
    authentication_classes = ()
    permission_classes = ()
    parser_classes = (JSONParser,)
    throttle_classes = (ScopedThrottle,)
    throttle_scope = "auth"
    serializer_class = TokenCredentialsSerializer

    @extend_schema(
        operation_id="auth_token_create",
        request=TokenCredentialsSerializer,
        responses={
            200: TokenResponseSerializer,
            400: OpenApiResponse(
                description="Missing fields, or the username and password do not match."
            ),
            429: OpenApiResponse(
                description="Too many attempts from your address, or too many failed "
                "sign-ins of this user name from it; see the Retry-After header."
            ),
        },
        auth=[],
        tags=["auth"],
    )
    def post(self, request, *args, **kwargs):
        username = request.data.get("username") if isinstance(request.data, dict) else None
        wait = login_locked_out(request, username)
        if wait:
            raise exceptions.Throttled(
                wait=wait, detail="Too many failed sign-ins. Wait a few minutes and try again."
            )
        return super().post(request, *args, **kwargs)
