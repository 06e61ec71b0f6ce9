"""Browser pages of the register (the API lives under /api/v1/)."""

from django.urls import path

from registry.views import (
    actions,
    applications,
    baselines,
    business_functions,
    components,
    dashboard,
    dependencies,
    failure_modes,
    findings,
    imports,
    incident_imports,
    incidents,
    invitations,
    library,
    preview,
    recovery_tests,
    reports,
    rows,
    webhooks,
    worksheet,
)

app_name = "registry"

urlpatterns = [
    path("", dashboard.DashboardView.as_view(), name="dashboard"),
    path("team/", dashboard.SwitchTeamView.as_view(), name="switch_team"),
    path("invitations/", invitations.InvitationListView.as_view(), name="invitations"),
    path("invitations/<str:token>/", invitations.InvitationView.as_view(), name="invitation"),
    path("webhooks/", webhooks.WebhookListView.as_view(), name="webhooks"),
    path(
        "webhooks/<int:pk>/deliveries/",
        webhooks.WebhookDeliveriesView.as_view(),
        name="webhook_deliveries",
    ),
    # applications and their steps
    path("applications/", applications.ApplicationListView.as_view(), name="applications"),
    path(
        "applications/new/",
        applications.ApplicationCreateView.as_view(),
        name="application_new",
    ),
    path(
        "applications/<int:pk>/",
        applications.ApplicationDetailView.as_view(),
        name="application",
    ),
    path(
        "applications/<int:pk>/edit/",
        applications.ApplicationEditView.as_view(),
        name="application_edit",
    ),
    path(
        "applications/<int:pk>/steps/new/",
        applications.StepCreateView.as_view(),
        name="step_new",
    ),
    # recovery tests of an application
    path(
        "applications/<int:pk>/recovery-tests/new/",
        recovery_tests.RecoveryTestCreateView.as_view(),
        name="recovery_test_new",
    ),
    path(
        "recovery-tests/<int:pk>/edit/",
        recovery_tests.RecoveryTestEditView.as_view(),
        name="recovery_test_edit",
    ),
    # baselines of an application
    path(
        "applications/<int:pk>/baselines/",
        baselines.BaselineListView.as_view(),
        name="baselines",
    ),
    path(
        "baselines/<int:pk>/approve/",
        baselines.BaselineApproveView.as_view(),
        name="baseline_approve",
    ),
    path("baselines/<int:pk>/diff/", baselines.BaselineDiffView.as_view(), name="baseline_diff"),
    path(
        "baselines/<int:pk>/report.<str:format>",
        baselines.BaselineReportView.as_view(),
        name="baseline_report",
    ),
    path("steps/<int:pk>/edit/", applications.StepEditView.as_view(), name="step_edit"),
    path("steps/<int:pk>/review/", dependencies.StepReviewView.as_view(), name="step_review"),
    path(
        "steps/<int:pk>/dependencies/new/",
        dependencies.DependencyCreateView.as_view(),
        {"kind": "step"},
        name="step_dependency_new",
    ),
    path(
        "components/<int:pk>/dependencies/new/",
        dependencies.DependencyCreateView.as_view(),
        {"kind": "component"},
        name="component_dependency_new",
    ),
    path(
        "dependencies/<int:pk>/delete/",
        dependencies.DependencyDeleteView.as_view(),
        name="dependency_delete",
    ),
    # the worksheet
    path("steps/attention/", worksheet.AttentionView.as_view(), name="attention"),
    path("steps/<int:pk>/", worksheet.WorksheetView.as_view(), name="worksheet"),
    path("steps/<int:pk>/rows/new/", rows.RowCreateView.as_view(), name="row_new"),
    path(
        "steps/<int:pk>/rows/preview/",
        preview.PreviewView.as_view(),
        {"new": True},
        name="new_row_preview",
    ),
    path("steps/<int:pk>/library/", library.LibraryView.as_view(), name="library"),
    path("failure-modes/<int:pk>/row/", rows.RowView.as_view(), name="row"),
    path("failure-modes/<int:pk>/row/edit/", rows.RowEditView.as_view(), name="row_edit"),
    path(
        "failure-modes/<int:pk>/row/preview/",
        preview.PreviewView.as_view(),
        name="row_preview",
    ),
    # failure modes and actions
    path("failure-modes/", failure_modes.FailureModeListView.as_view(), name="failure_modes"),
    path(
        "failure-modes/export.csv",
        failure_modes.FailureModeExportView.as_view(),
        name="failure_mode_export",
    ),
    path(
        "failure-modes/<int:pk>/",
        failure_modes.FailureModeDetailView.as_view(),
        name="failure_mode",
    ),
    path(
        "failure-modes/<int:pk>/edit/",
        failure_modes.FailureModeEditView.as_view(),
        name="failure_mode_edit",
    ),
    path(
        "failure-modes/<int:pk>/delete/",
        failure_modes.FailureModeDeleteView.as_view(),
        name="failure_mode_delete",
    ),
    path(
        "failure-modes/<int:pk>/sign-off/",
        failure_modes.SignOffView.as_view(),
        name="failure_mode_sign_off",
    ),
    path(
        "failure-modes/<int:pk>/actions/new/",
        actions.ActionCreateView.as_view(),
        name="action_new",
    ),
    path("actions/<int:pk>/edit/", actions.ActionEditView.as_view(), name="action_edit"),
    path(
        "actions/<int:pk>/complete/",
        actions.ActionCompleteView.as_view(),
        name="action_complete",
    ),
    # components and business functions
    path("components/", components.ComponentListView.as_view(), name="components"),
    path("components/new/", components.ComponentCreateView.as_view(), name="component_new"),
    path("components/<int:pk>/", components.ComponentDetailView.as_view(), name="component"),
    path(
        "components/<int:pk>/adopt-measured-availability/",
        components.AdoptMeasuredAvailabilityView.as_view(),
        name="component_adopt_measured_availability",
    ),
    path(
        "components/<int:pk>/edit/",
        components.ComponentEditView.as_view(),
        name="component_edit",
    ),
    path(
        "business-functions/",
        business_functions.BusinessFunctionListView.as_view(),
        name="business_functions",
    ),
    path(
        "business-functions/new/",
        business_functions.BusinessFunctionCreateView.as_view(),
        name="business_function_new",
    ),
    path(
        "business-functions/<int:pk>/edit/",
        business_functions.BusinessFunctionEditView.as_view(),
        name="business_function_edit",
    ),
    # reports, report schedules and worksheet imports
    path("incidents/", incidents.IncidentListView.as_view(), name="incidents"),
    path("incidents/new/", incidents.IncidentCreateView.as_view(), name="incident_new"),
    path(
        "incidents/import/",
        incident_imports.IncidentImportView.as_view(),
        name="incident_import",
    ),
    path("incidents/link/", incidents.IncidentLinkView.as_view(), name="incident_link"),
    path("incidents/receivers/", incidents.ReceiversView.as_view(), name="receivers"),
    path("incidents/<int:pk>/", incidents.IncidentDetailView.as_view(), name="incident"),
    path("incidents/<int:pk>/edit/", incidents.IncidentEditView.as_view(), name="incident_edit"),
    path(
        "failure-modes/<int:pk>/adopt-evidence/",
        incidents.AdoptEvidenceView.as_view(),
        name="adopt_evidence",
    ),
    path("findings/", findings.FindingsView.as_view(), name="findings"),
    path("findings/<int:pk>/suppress/", findings.SuppressView.as_view(), name="finding_suppress"),
    path(
        "findings/<int:pk>/unsuppress/",
        findings.UnsuppressView.as_view(),
        name="finding_unsuppress",
    ),
    path("reports/", reports.ReportsView.as_view(), name="reports"),
    path("reports/<int:pk>/row/", reports.RunRowView.as_view(), name="report_run_row"),
    path("reports/<int:pk>/download/", reports.DownloadView.as_view(), name="report_download"),
    path(
        "reports/schedules/new/",
        reports.ScheduleFormView.as_view(),
        name="report_schedule_new",
    ),
    path(
        "reports/schedules/<int:pk>/edit/",
        reports.ScheduleFormView.as_view(),
        name="report_schedule_edit",
    ),
    path(
        "reports/schedules/<int:pk>/delete/",
        reports.ScheduleDeleteView.as_view(),
        name="report_schedule_delete",
    ),
    path("imports/", imports.ImportView.as_view(), name="imports"),
    path("imports/sample.csv", imports.SampleWorksheetView.as_view(), name="import_sample"),
    path("imports/<int:pk>/", imports.ImportDetailView.as_view(), name="import"),
]
