from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from designs.api.health import healthz
from designs.api.schema_views import RedocDocs, SchemaApi, SwaggerDocs
from designs.forms import SignInForm
from designs.views import invitations

urlpatterns = [
    # The API reference: the OpenAPI document and two readers of it (designs/api/schema_views.py).
    path("api/schema", SchemaApi.as_view(), name="api-schema"),
    path("api/docs", SwaggerDocs.as_view(), name="api-docs"),
    path("api/redoc", RedocDocs.as_view(), name="api-redoc"),
    path("api/", include("designs.urls")),
    path("healthz", healthz),
    path("admin/", admin.site.urls),
    # The dashboard: Django's sign-in, and the page an invitation link opens (the invitee joins
    # there: signed in, or by choosing a first password; designs.services.invitations).
    path(
        "accounts/login",
        auth_views.LoginView.as_view(authentication_form=SignInForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/invitations/<str:token>", invitations.invitation, name="invitation"),
    path("accounts/invitations/<str:token>/join", invitations.invitation_join, name="invitation_join"),
    path("accounts/invitations/<str:token>/password", invitations.invitation_password, name="invitation_password"),
    path("", include("designs.views.urls")),
]

# JSON `{"detail"}` under /api and /ws, a dashboard page for people everywhere else (designs/views/errors.py).
handler400 = "designs.views.errors.bad_request"
handler403 = "designs.views.errors.permission_denied"
handler404 = "designs.views.errors.page_not_found"
handler500 = "designs.views.errors.server_error"
