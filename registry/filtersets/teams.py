"""Memberships: which team, which user, which roles."""

import django_filters

from registry.choices import Role
from registry.filtersets.filters import IntegerFilter, MultipleChoiceFilter
from registry.models import Membership


class MembershipFilterSet(django_filters.FilterSet):
    """Members of the caller's teams by team, username and role."""

    team = IntegerFilter(field_name="team_id", help_text="Team id.")
    user = django_filters.CharFilter(field_name="user__username", help_text="Username.")
    role = MultipleChoiceFilter(choices=Role.choices, help_text="One or more roles.")

    class Meta:
        model = Membership
        fields = ["team", "user", "role"]
