"""The integration API's addresses, under /api/.

DRF's views are exempt from the back-office's sign-in redirect (DRF marks them so): DRF
authenticates each request by an integration's token and answers 401 without one. The
browsable docs are for people, so they opt back into the sign-in redirect.

The docs pages run under the site's Content-Security-Policy: no inline script (their templates,
templates/drf_spectacular/, load the start-up script as a static file) and no other origin.
Swagger UI needs data: images (its icons). Redoc needs, on its page only: a nonce for the
<style> elements it inserts (static/js/redoc-init.js hands it over), the hashes of the two
<style> elements its bundle inserts as it loads (drf-spectacular-sidecar's Redoc 2; the
browser tests' CSP check fails when an update changes them), its search index's worker (a
blob: of its own), and data: images (its logo, which static/js/redoc-init.js draws from here
instead of Redoc's CDN).
"""

from csp.constants import NONCE
from csp.decorators import csp_update
from django.contrib.auth.decorators import login_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from accounts.api import AnonymiseView
from activity.api import AccountEventListView, EventIngestView, EventTypeListView
from credits.api import AccountCreditEntryListView, ApplyCreditsView, CreditOperationView

app_name = "api"

REDOC_STYLE_HASHES = [
    # perfect-scrollbar's stylesheet.
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
    # An empty <style> (styled-components' first sheet, before it has the nonce).
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
]
swagger_policy = csp_update({"img-src": ["data:"]})
redoc_policy = csp_update(
    {
        "style-src": [NONCE, *REDOC_STYLE_HASHES],
        "worker-src": ["blob:"],
        "img-src": ["data:"],
    }
)

urlpatterns = [
    path("v1/event-types/", EventTypeListView.as_view(), name="event-types"),
    path("v1/events/", EventIngestView.as_view(), name="events"),
    path(
        "v1/accounts/<key:customer_number>/events/",
        AccountEventListView.as_view(),
        name="account-events",
    ),
    path(
        "v1/accounts/<key:customer_number>/anonymise/",
        AnonymiseView.as_view(),
        name="account-anonymise",
    ),
    path("v1/credits/", CreditOperationView.as_view(), name="credits"),
    path("v1/charges/apply-credits/", ApplyCreditsView.as_view(), name="apply-credits"),
    path(
        "v1/accounts/<key:customer_number>/credit-entries/",
        AccountCreditEntryListView.as_view(),
        name="account-credit-entries",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        swagger_policy(login_required(SpectacularSwaggerView.as_view(url_name="api:schema"))),
        name="docs",
    ),
    path(
        "docs/redoc/",
        redoc_policy(login_required(SpectacularRedocView.as_view(url_name="api:schema"))),
        name="redoc",
    ),
]
