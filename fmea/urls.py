from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include("registry.api.urls")),
    path("", RedirectView.as_view(url="/admin/", permanent=False), name="home"),
]

handler404 = "registry.views.errors.not_found"
handler500 = "registry.views.errors.server_error"
