"""Recovery tests, recorded and edited from their application's page."""

from __future__ import annotations

from django.urls import reverse

from registry.forms.recovery_tests import RecoveryTestForm
from registry.models import Application, RecoveryTest
from registry.views.editing import ModelFormPage


class RecoveryTestCreateView(ModelFormPage):
    section = "applications"
    form_class = RecoveryTestForm

    def get_instance(self) -> RecoveryTest:
        application = self.get_editable(
            Application.objects.select_related("tier"), pk=self.kwargs["pk"]
        )
        return RecoveryTest(team=application.team, application=application)

    def save(self, form) -> RecoveryTest:
        if form.instance.pk is None:
            form.instance.recorded_by = self.request.user
        return form.save()

    def page_context(self, instance: RecoveryTest) -> dict:
        tier = instance.application.tier
        interval = (
            f"{tier} asks for a passed test of a region loss and of data corruption every "
            f"{tier.recovery_test_interval_days} days."
            if tier.recovery_test_interval_days
            else f"{tier} asks for no recovery tests; a passed one still counts as evidence."
        )
        return {
            "title": f"Record a recovery test of {instance.application}",
            "intro": "What a drill measured: how long until service was back (RTO) and how "
            "much data, in time, was lost (RPO). A passed test within the tier's interval "
            f"is the figure the recovery findings use. {interval}",
            "cancel_url": self.success_url(instance),
        }

    def success_url(self, saved: RecoveryTest) -> str:
        return reverse("registry:application", args=[saved.application_id]) + "#recovery-tests"


class RecoveryTestEditView(RecoveryTestCreateView):
    def get_instance(self) -> RecoveryTest:
        return self.get_editable(
            RecoveryTest.objects.select_related("application__tier"), pk=self.kwargs["pk"]
        )

    def page_context(self, instance: RecoveryTest) -> dict:
        return {
            **super().page_context(instance),
            "title": f"Edit the recovery test of {instance.application} on "
            f"{instance.performed_on:%Y-%m-%d}",
        }
