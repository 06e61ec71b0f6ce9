from django.contrib import admin
from django.urls import include, path

from registry.metrics import metrics_view
from registry.views import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("api/v1/", include("registry.api.urls")),
    path("", include("registry.urls")),
]

handler403 = "registry.views.errors.permission_denied"
handler404 = "registry.views.errors.not_found"
handler500 = "registry.views.errors.server_error"
