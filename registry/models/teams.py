"""Teams are the security boundary: every register object belongs to one."""

import datetime
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from registry.choices import Role
from registry.models.base import ConstraintFieldsMixin
from registry.querysets import InvitationQuerySet


class Team(models.Model):
    """A group of people who keep the FMEA of their applications."""

    # Not unique: a team renamed to another team's name must not learn that the other
    # team exists. The slug stays unique; administrators alone set it.
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, unique=True, help_text="Short name used in URLs.")
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


ALREADY_MEMBER = "This user is already a member of the team."


class Membership(ConstraintFieldsMixin, models.Model):
    """A user's role in a team: viewers read, editors write, owners manage members.

    A team keeps at least one owner: the writes that could take its last one away
    (a new role, a removal) go through `registry.services.teams`.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)

    constraint_fields = {"unique_team_user": ("user",), "role_valid": ("role",)}

    class Meta:
        ordering = ["team", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "user"],
                name="%(app_label)s_%(class)s_unique_team_user",
                violation_error_message=ALREADY_MEMBER,
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="%(app_label)s_%(class)s_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.get_role_display()})"

    def clean(self) -> None:
        # Moving a membership would be a removal from one team that skips the last-owner
        # rule: a membership keeps its team and user; add a new one instead.
        if self.pk is None:
            return
        stored = Membership.objects.filter(pk=self.pk).values("team_id", "user_id").first()
        if stored is None:
            return
        errors = {
            name: f"A membership's {name} cannot change; add a new one instead."
            for name in ("team", "user")
            if stored[f"{name}_id"] != getattr(self, f"{name}_id")
        }
        if errors:
            raise ValidationError(errors)


def invitation_token() -> str:
    return secrets.token_urlsafe(32)


def invitation_expiry() -> datetime.datetime:
    """When a link made now stops working."""
    return timezone.now() + datetime.timedelta(days=settings.FMEA_INVITATION_DAYS)


class Invitation(ConstraintFieldsMixin, models.Model):
    """An owner's offer of a role in the team to a user name; the user joins on accepting
    it (`registry.services.teams`).

    Addressed to a name rather than a user, so that inviting answers the same whether
    or not the name belongs to anyone: the team learns nothing about other users.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    username = models.CharField(max_length=150, help_text="The invited user's username.")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The secret of the link that opens the invitation; only its addressee can accept.
    token = models.CharField(max_length=64, unique=True, default=invitation_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(
        default=invitation_expiry,
        help_text="When the link stops working (FMEA_INVITATION_DAYS after it was made); "
        "inviting the name again renews it.",
    )

    objects = InvitationQuerySet.as_manager()

    constraint_fields = {"unique_team_username": ("username",), "role_valid": ("role",)}

    class Meta:
        ordering = ["team", "username"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "username"],
                name="%(app_label)s_%(class)s_unique_team_username",
                violation_error_message="This user name is already invited to the team.",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="%(app_label)s_%(class)s_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="%(app_label)s_%(class)s_expires_after_made",
                violation_error_message="An invitation expires after it is made.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.username} invited to {self.team} ({self.get_role_display()})"

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()


def is_team_owner(user, team_id: int | None) -> bool:
    """Whether `user` owns the team: owners accept risks and sign off reviews."""
    if user is None or team_id is None:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(team_id=team_id, user=user, role=Role.OWNER).exists()
