"""Webhooks in the browser: a team's owners subscribe URLs, and read each
subscription's delivery log (status, response code, attempts) with a redeliver button."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse

from registry.choices import DeliveryStatus, Role
from registry.filtersets.webhooks import WebhookDeliveryFilterSet
from registry.forms.webhooks import WebhookSubscriptionForm
from registry.models import WebhookDelivery, WebhookSubscription
from registry.views.base import TeamView
from registry.webhooks.events import redeliver

PAGE_SIZE = 50


class OwnerView(TeamView):
    """Pages for the current team's owners only: webhooks hold signing secrets."""

    section = "webhooks"

    def owned(self, queryset):
        if self.tc.role != Role.OWNER:
            raise PermissionDenied("Only the team's owners manage its webhooks.")
        return queryset.owned_by(self.request.user).for_team(self.team.pk)

    def subscription(self, pk) -> WebhookSubscription:
        """One of the team's subscriptions; anything else (another team's, junk) 404."""
        pk = str(pk)
        number = int(pk) if pk.isdigit() and len(pk) < 19 else 0
        return get_object_or_404(self.owned(WebhookSubscription.objects), pk=number)


class WebhookListView(OwnerView):
    """The team's subscriptions with their deliveries counted by status, and a form to
    add one."""

    def subscriptions(self):
        return self.owned(WebhookSubscription.objects).annotate(
            **{
                f"{status}_count": Count("deliveries", filter=Q(deliveries__status=status))
                for status in DeliveryStatus.values
            }
        )

    def get(self, request: HttpRequest, form=None) -> HttpResponse:
        subscriptions = self.subscriptions()
        return self.render(
            "registry/webhooks/list.html",
            {"subscriptions": subscriptions, "form": form or WebhookSubscriptionForm()},
            status=400 if form is not None else 200,
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        self.owned(WebhookSubscription.objects)  # owners only
        if "delete" in request.POST:
            subscription = self.subscription(request.POST["delete"])
            subscription.delete()
            messages.success(request, f"Stopped sending events to {subscription.url}.")
            return HttpResponseRedirect(reverse("registry:webhooks"))
        form = WebhookSubscriptionForm(
            request.POST, instance=WebhookSubscription(team=self.team, created_by=request.user)
        )
        if not form.is_valid():
            return self.get(request, form=form)
        subscription = form.save()
        messages.success(
            request,
            f"Subscribed {subscription.url}. Its signing secret, shown this once: "
            f"{subscription.secret}",
        )
        return HttpResponseRedirect(reverse("registry:webhooks"))


class WebhookDeliveriesView(OwnerView):
    """One subscription's delivery log, newest first, filtered by status or event."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        subscription = self.subscription(pk)
        filterset = WebhookDeliveryFilterSet(
            request.GET, queryset=WebhookDelivery.objects.filter(subscription=subscription)
        )
        page = Paginator(filterset.qs.order_by("-created_at", "-id"), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        return self.render(
            "registry/webhooks/deliveries.html",
            {"subscription": subscription, "page": page, "filter": filterset},
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        subscription = self.subscription(pk)
        delivery_id = request.POST.get("redeliver", "")
        delivery = get_object_or_404(
            WebhookDelivery.objects.filter(subscription=subscription),
            pk=int(delivery_id) if delivery_id.isdigit() and len(delivery_id) < 19 else 0,
        )
        redeliver(delivery)
        messages.success(request, f"Event {delivery.event_id} queued to be sent again.")
        return HttpResponseRedirect(reverse("registry:webhook_deliveries", args=[subscription.pk]))
