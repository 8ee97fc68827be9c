from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from designs.api.health import healthz
from designs.forms import SignInForm

urlpatterns = [
    path("api/", include("designs.urls")),
    path("healthz", healthz),
    path("admin/", admin.site.urls),
    # The dashboard: Django's sign-in, and set-password links for invited members (Django's
    # password-reset confirm view: the token is single-use and expires).
    path(
        "accounts/login",
        auth_views.LoginView.as_view(authentication_form=SignInForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/set-password/<uidb64>/<token>",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/set_password.html",
            post_reset_login=True,
            success_url="/",
        ),
        name="password_set",
    ),
    path("", include("designs.views.urls")),
]

handler400 = "designs.errors.json_bad_request"
handler404 = "designs.errors.json_not_found"
handler500 = "designs.errors.json_server_error"
