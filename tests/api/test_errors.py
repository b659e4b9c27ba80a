"""Every answer under /api/ is JSON, errors included: an address that does not exist, a bad
request, a server error. Pages outside /api/ keep the site's HTML error pages."""

import pytest
from django.contrib.auth.decorators import login_not_required
from django.test import Client
from django.urls import path

from config import layout
from config.urls import urlpatterns as site_urlpatterns


def test_an_unknown_api_address_is_a_json_404(api):
    for address in ("/api/v1/nothing/", "/api/v2/events/", "/api/"):
        response = api.get(address)

        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": layout.API_ERRORS[404]}


def test_an_unknown_api_address_is_json_without_a_token_too(db):
    response = Client().post("/api/v1/unknown/", {}, content_type="application/json")

    assert response.status_code == 404
    assert response.json() == {"detail": layout.API_ERRORS[404]}


def test_an_unknown_page_keeps_the_sites_html_404(client, make_user):
    client.force_login(make_user("Customer Service"))
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@login_not_required
def _fails(request):
    raise RuntimeError("a bug")


urlpatterns = [
    path("api/v1/broken/", _fails),
    path("broken/", _fails),
    *site_urlpatterns,
]
handler500 = "config.layout.server_error"


@pytest.mark.urls(__name__)
def test_a_server_error_under_the_api_is_json(db):
    client = Client(raise_request_exception=False)

    response = client.get("/api/v1/broken/")

    assert response.status_code == 500
    assert response.json() == {"detail": layout.API_ERRORS[500]}
    assert client.get("/broken/")["Content-Type"].startswith("text/html")
