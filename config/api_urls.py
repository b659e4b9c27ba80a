"""The integration API's addresses, under /api/.

DRF's views are exempt from the back-office's sign-in redirect (DRF marks them so): DRF
authenticates each request by an integration's token and answers 401 without one. The
browsable docs are for people, so they opt back into the sign-in redirect.
"""

from django.contrib.auth.decorators import login_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from accounts.api import AnonymiseView
from activity.api import AccountEventListView, EventIngestView, EventTypeListView
from credits.api import AccountCreditEntryListView, ApplyCreditsView, CreditOperationView

app_name = "api"

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
        login_required(SpectacularSwaggerView.as_view(url_name="api:schema")),
        name="docs",
    ),
    path(
        "docs/redoc/",
        login_required(SpectacularRedocView.as_view(url_name="api:schema")),
        name="redoc",
    ),
]
