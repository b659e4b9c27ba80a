from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter
from django.views.generic import RedirectView

from config.layout import favicon
from core.converters import KeyConverter
from staff.middleware import second_factor_exempt

# Registered before the includes below, whose patterns use it.
register_converter(KeyConverter, "key")

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="accounts:search"), name="home"),
    # Browsers ask for /favicon.ico whatever the page links to.
    path("favicon.ico", favicon, name="favicon"),
    # Both open before the second factor (staff.middleware).
    path("login/", second_factor_exempt(auth_views.LoginView.as_view()), name="login"),
    path("logout/", second_factor_exempt(auth_views.LogoutView.as_view()), name="logout"),
    path("account/", include("staff.account_urls")),
    path("staff/", include("staff.urls")),
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

# The 403 page names the roles that grant the page; 400, 404 and 500 are the templates of the
# same names, in the site's layout. Under /api/ each is JSON (config.layout.API_ERRORS).
handler400 = "config.layout.bad_request"
handler403 = "config.layout.permission_denied"
handler404 = "config.layout.page_not_found"
handler500 = "config.layout.server_error"
