from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from registry.api import (
    applications,
    baselines,
    business_functions,
    components,
    dependencies,
    failure_modes,
    imports,
    incidents,
    invitations,
    receivers,
    recovery,
    reports,
    rollups,
    steps,
    webhooks,
)
from registry.api.auth import TokenView
from registry.api.reference import (
    DrStrategyViewSet,
    FailureModeTemplateViewSet,
    RatingScaleViewSet,
    RegionViewSet,
    TierViewSet,
)
from registry.api.teams import MembershipViewSet, TeamViewSet

router = DefaultRouter()
router.register("failure-modes", failure_modes.FailureModeViewSet, basename="failuremode")
router.register("actions", failure_modes.ActionViewSet, basename="action")
router.register(
    "business-functions", business_functions.BusinessFunctionViewSet, basename="businessfunction"
)
router.register("applications", applications.ApplicationViewSet, basename="application")
router.register("steps", steps.StepViewSet, basename="step")
router.register("components", components.ComponentViewSet, basename="component")
router.register("dependencies", dependencies.DependencyViewSet, basename="dependency")
router.register("incidents", incidents.IncidentViewSet, basename="incident")
router.register("receivers", receivers.IncidentReceiverViewSet, basename="incidentreceiver")
router.register("teams", TeamViewSet, basename="team")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("invitations", invitations.InvitationViewSet, basename="invitation")
router.register("tiers", TierViewSet, basename="tier")
router.register("regions", RegionViewSet, basename="region")
router.register("dr-strategies", DrStrategyViewSet, basename="drstrategy")
router.register("rating-scales", RatingScaleViewSet, basename="ratingscale")
router.register(
    "failure-mode-templates", FailureModeTemplateViewSet, basename="failuremodetemplate"
)

router.register("rollups/tiers", rollups.TierRollupViewSet, basename="tierrollup")
router.register(
    "rollups/applications", rollups.ApplicationRollupViewSet, basename="applicationrollup"
)
router.register("rollups/snapshots", rollups.RollupSnapshotViewSet, basename="rollupsnapshot")
router.register("findings", rollups.FindingViewSet, basename="finding")
router.register("reports", reports.ReportRunViewSet, basename="reportrun")
router.register("report-schedules", reports.ReportScheduleViewSet, basename="reportschedule")
router.register("baselines", baselines.BaselineViewSet, basename="baseline")
router.register("recovery-tests", recovery.RecoveryTestViewSet, basename="recoverytest")
router.register("imports", imports.WorksheetImportViewSet, basename="worksheetimport")
router.register("webhooks", webhooks.WebhookSubscriptionViewSet, basename="webhooksubscription")
router.register("webhook-deliveries", webhooks.WebhookDeliveryViewSet, basename="webhookdelivery")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path(
        "failure-modes/export.csv",
        failure_modes.FailureModeExportView.as_view(),
        name="failuremode-export",
    ),
    path(
        "receivers/alertmanager/",
        receivers.AlertmanagerReceiverView.as_view(),
        name="receiver-alertmanager",
    ),
    path(
        "receivers/pagerduty/",
        receivers.PagerDutyReceiverView.as_view(),
        name="receiver-pagerduty",
    ),
    path("", include(router.urls)),
]
