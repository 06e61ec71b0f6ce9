"""Invitations to join a team, from the invited user's side: the list of those
addressed to them (announced when they sign in), the page an invitation's link opens,
and accepting or declining. Owners invite through the API (invitations/)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View

from registry.models import Invitation
from registry.services.teams import expired_message, invitation_accept, invitation_decline
from registry.views.base import SESSION_KEY, team_context


def addressed_to(user):
    return Invitation.objects.addressed_to(user).select_related("team", "invited_by")


def pending_for(user):
    """The user's invitations whose link still works."""
    return addressed_to(user).live()


@receiver(user_logged_in, dispatch_uid="registry.announce_invitations")
def announce_invitations(sender, request: HttpRequest, user, **kwargs) -> None:
    """On signing in, the user hears of invitations waiting for them."""
    count = Invitation.objects.addressed_to(user).live().count()
    if count and request is not None and hasattr(request, "_messages"):
        noun = "an invitation" if count == 1 else f"{count} invitations"
        messages.info(request, f"You have {noun} to join a team.", extra_tags="invitations")


class DecisionMixin:
    """POST decision=accept|decline on an invitation addressed to the user."""

    def decide(self, request: HttpRequest, invitation: Invitation) -> HttpResponse:
        decision = request.POST.get("decision")
        if decision == "accept":
            try:
                membership = invitation_accept(invitation=invitation, user=request.user)
            except ValidationError as exc:
                return self.expired_page(request, invitation, exc.messages[0])
            request.session[SESSION_KEY] = membership.team_id
            messages.success(
                request,
                f"You joined {membership.team.name} as {membership.get_role_display().lower()}.",
            )
            return HttpResponseRedirect(reverse("registry:dashboard"))
        if decision == "decline":
            invitation_decline(invitation=invitation)
            messages.info(request, f"You declined the invitation to {invitation.team.name}.")
            return HttpResponseRedirect(reverse("registry:invitations"))
        return HttpResponse("Say accept or decline.", status=400, content_type="text/plain")

    def expired_page(
        self, request: HttpRequest, invitation: Invitation, message: str
    ) -> HttpResponse:
        """The invitation's page, saying the link no longer works (410 Gone)."""
        context = {"invitation": invitation, "expired": message, "tc": team_context(request)}
        return render(request, "registry/invitations/detail.html", context, status=410)


class InvitationListView(LoginRequiredMixin, DecisionMixin, View):
    """The invitations addressed to the signed-in user."""

    def get(self, request: HttpRequest) -> HttpResponse:
        context = {"invitations": list(pending_for(request.user)), "tc": team_context(request)}
        return render(request, "registry/invitations/list.html", context)

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            pk = forms.IntegerField(min_value=1, max_value=2**63 - 1).clean(
                request.POST.get("invitation")
            )
        except ValidationError as exc:
            raise Http404("No such invitation.") from exc
        return self.decide(request, get_object_or_404(addressed_to(request.user), pk=pk))


class InvitationView(LoginRequiredMixin, DecisionMixin, View):
    """The page an invitation's link opens: only its addressee sees it (others: 404)."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        invitation = get_object_or_404(addressed_to(request.user), token=token)
        if invitation.expired:
            return self.expired_page(request, invitation, expired_message(invitation))
        context = {"invitation": invitation, "tc": team_context(request)}
        return render(request, "registry/invitations/detail.html", context)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        return self.decide(request, get_object_or_404(addressed_to(request.user), token=token))
