from django.contrib import admin
from django.urls import include, path

from designs.api.health import healthz

urlpatterns = [
    path("api/", include("designs.urls")),
    path("healthz", healthz),
    path("admin/", admin.site.urls),
]

handler400 = "designs.errors.json_bad_request"
handler404 = "designs.errors.json_not_found"
handler500 = "designs.errors.json_server_error"
