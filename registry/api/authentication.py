"""`Authorization: Token <key>`, checked in one query with the caller's teams.

A module of its own: DRF imports the authentication classes while it defines its
views, so this must not import a view (registry.api.auth does).
"""

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from registry.db.counts import MEMBERSHIPS, REVISIONS

User = get_user_model()


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's `Authorization: Token <key>`, with the caller's teams and their revisions
    read in the same query as the token and its user: the list pages' counts need them
    (`registry.db.counts.team_revisions`), and a query of their own cost a round trip
    and a tenth of a millisecond of the ORM's writing SQL on every page. The same
    answers as DRF's: 401 for an unknown key or an inactive user."""

    def authenticate_credentials(self, key: str) -> tuple:
        user_fields = [field.attname for field in User._meta.concrete_fields]
        quote = connection.ops.quote_name
        user_columns = ", ".join(
            f"u.{quote(field.column)}" for field in User._meta.concrete_fields
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT t.created, {user_columns}, m.team_id, r.revision "
                f"FROM {Token._meta.db_table} t "
                f"JOIN {User._meta.db_table} u ON u.id = t.user_id "
                f"LEFT JOIN {MEMBERSHIPS} m ON m.user_id = u.id "
                f"LEFT JOIN {REVISIONS} r ON r.team_id = m.team_id "
                "WHERE t.key = %s ORDER BY m.team_id",
                [key],
            )
            rows = cursor.fetchall()
        if not rows:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = User.from_db(connection.alias, user_fields, rows[0][1:-2])
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        # Memberships, as `team_revisions` reads them (none: one row of NULLs).
        user.known_team_revisions = tuple(
            (team_id, revision) for *_, team_id, revision in rows if team_id is not None
        )
        token = Token.from_db(
            connection.alias, ["key", "user_id", "created"], [key, user.pk, rows[0][0]]
        )
        token.user = user
        return user, token
