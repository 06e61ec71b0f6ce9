"""Browser pages for reports, report schedules and worksheet imports.

Included from fmea/urls.py: `path("", include("registry.urls_reports"))`.
"""

from django.urls import path

from registry.views import imports, reports

app_name = "reports"

urlpatterns = [
    path("reports/", reports.ReportsView.as_view(), name="reports"),
    path("reports/<int:pk>/row/", reports.RunRowView.as_view(), name="run_row"),
    path("reports/<int:pk>/download/", reports.DownloadView.as_view(), name="download"),
    path("reports/schedules/new/", reports.ScheduleFormView.as_view(), name="schedule_new"),
    path(
        "reports/schedules/<int:pk>/edit/",
        reports.ScheduleFormView.as_view(),
        name="schedule_edit",
    ),
    path(
        "reports/schedules/<int:pk>/delete/",
        reports.ScheduleDeleteView.as_view(),
        name="schedule_delete",
    ),
    path("imports/", imports.ImportView.as_view(), name="imports"),
    path("imports/<int:pk>/", imports.ImportDetailView.as_view(), name="import"),
]
