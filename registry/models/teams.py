"""Teams are the security boundary: every register object belongs to one."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from registry.choices import Role
from registry.models.base import ConstraintFieldsMixin


class Team(models.Model):
    """A group of people who keep the FMEA of their applications."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=50, unique=True, help_text="Short name used in URLs.")
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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
                violation_error_message="This user is already a member of the team.",
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


def is_team_owner(user, team_id: int | None) -> bool:
    """Whether `user` owns the team: owners accept risks and sign off reviews."""
    if user is None or team_id is None:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(team_id=team_id, user=user, role=Role.OWNER).exists()
