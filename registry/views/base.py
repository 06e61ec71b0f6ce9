"""What every browser page shares: login, the current team, roles and rendering.

The current team is kept in the session. Every page reads only that team's rows
(`visible_to(user)` and then `for_team(team)`), so another team's object is a 404;
writes need the editor or owner role (`editable_by(user)`), and a viewer who posts
anyway gets a 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views import View

from registry.choices import Role
from registry.models import Membership, Team
from registry.querysets import WRITE_ROLES

SESSION_KEY = "registry_team_id"


@dataclass(frozen=True)
class TeamContext:
    """The signed-in user's teams, the current one, and the role in it."""

    team: Team | None
    role: str | None
    teams: tuple[Team, ...]

    @property
    def can_edit(self) -> bool:
        return self.role in WRITE_ROLES

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role else ""


def team_context(request: HttpRequest) -> TeamContext:
    """The user's teams (one query) and the current one: the session's, else the first."""
    user = request.user
    if user.is_superuser:
        # Superusers look after every team's data, as in the admin.
        teams = tuple(Team.objects.order_by("name"))
        roles = dict.fromkeys((team.pk for team in teams), Role.OWNER)
    else:
        memberships = Membership.objects.filter(user=user).select_related("team")
        memberships = tuple(memberships.order_by("team__name"))
        teams = tuple(membership.team for membership in memberships)
        roles = {membership.team_id: membership.role for membership in memberships}
    wanted = request.session.get(SESSION_KEY)
    team = next((team for team in teams if team.pk == wanted), teams[0] if teams else None)
    return TeamContext(team=team, role=roles.get(team.pk) if team else None, teams=teams)


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


class TeamView(View):
    """A page of the register for the current team. `write = True`: editors only."""

    write = False
    section = ""  # which main navigation entry is current

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            if is_htmx(request):
                # A fragment must not swap the login page into a table row: send the
                # whole page to the login, then back to where the user was.
                page = urlsplit(request.headers.get("HX-Current-URL", "/"))
                login = redirect_to_login(page.path + (f"?{page.query}" if page.query else ""))
                response = HttpResponse(status=401)
                response["HX-Redirect"] = login["Location"]
                return response
            return redirect_to_login(request.get_full_path())
        self.tc = team_context(request)
        if self.tc.team is None:
            return render(request, "registry/no_team.html", {"tc": self.tc})
        if self.write and not self.tc.can_edit:
            raise PermissionDenied("Your role in this team is read-only.")
        return super().dispatch(request, *args, **kwargs)

    @property
    def team(self) -> Team:
        return self.tc.team

    def visible(self, queryset: QuerySet) -> QuerySet:
        """`queryset` narrowed to the current team's rows the user may read."""
        return queryset.visible_to(self.request.user).for_team(self.team.pk)

    def editable(self, queryset: QuerySet) -> QuerySet:
        """`queryset` narrowed to the current team's rows the user may change."""
        return queryset.editable_by(self.request.user).for_team(self.team.pk)

    def get_visible(self, queryset: QuerySet, **lookup) -> Model:
        return get_object_or_404(self.visible(queryset), **lookup)

    def get_editable(self, queryset: QuerySet, **lookup) -> Model:
        return get_object_or_404(self.editable(queryset), **lookup)

    def render(self, template: str, context: dict | None = None, status: int = 200):
        context = {"tc": self.tc, "section": self.section, **(context or {})}
        return render(self.request, template, context, status=status)


class WriteView(TeamView):
    write = True
