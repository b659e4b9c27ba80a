from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter
from django.views.generic import RedirectView

from config.converters import KeyConverter

# Registered before the includes below, whose patterns use it.
register_converter(KeyConverter, "key")

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="accounts:search"), name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("config.api_urls")),
    path("accounts/", include("accounts.urls")),
    path("accounts/<key:customer_number>/activity/", include("activity.urls")),
    path("credits/", include("credits.urls")),
    path(
        "accounts/<key:customer_number>/activity/legacy/",
        include("legacy_history.urls"),
    ),
]
