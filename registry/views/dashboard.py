"""The team's dashboard: tier cards (the stored rollups), heat map, Pareto chart,
findings, overdue actions."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from registry.analysis import figures
from registry.models import FailureMode
from registry.views.base import SESSION_KEY, TeamView


class DashboardView(TeamView):
    section = "dashboard"

    def get(self, request: HttpRequest) -> HttpResponse:
        team_id = self.team.pk
        failure_modes = FailureMode.objects.for_team(team_id)
        heat = request.GET.get("heat", "")
        heat = heat if heat in figures.HEAT_MAP_AXES else "sp"
        rows, columns = figures.HEAT_MAP_AXES[heat]
        return self.render(
            "registry/dashboard.html",
            {
                "rollup": figures.dashboard_tier_figures(team_id),
                "heat": heat,
                "heat_rows": rows,
                "heat_columns": columns,
                "heat_counts": figures.heat_map_counts(failure_modes, rows, columns),
                "pareto": figures.pareto(failure_modes),
                "overdue": list(figures.overdue_actions(team_id)),
                "findings": figures.findings(team_id),
            },
        )


class SwitchTeamView(TeamView):
    """POST: make another of the user's teams the current one."""

    def post(self, request: HttpRequest) -> HttpResponse:
        wanted = request.POST.get("team", "")
        team = next((team for team in self.tc.teams if str(team.pk) == wanted), None)
        if team is not None:
            request.session[SESSION_KEY] = team.pk
        return HttpResponseRedirect(self.next_url(request.POST.get("next", "")))

    def next_url(self, candidate: str) -> str:
        """Back to the same list; an object page would belong to the other team."""
        dashboard = reverse("registry:dashboard")
        if not url_has_allowed_host_and_scheme(candidate, allowed_hosts={self.request.get_host()}):
            return dashboard
        try:
            match = resolve(candidate.split("?")[0])
        except Resolver404:
            return dashboard
        return candidate.split("?")[0] if not match.kwargs else dashboard
