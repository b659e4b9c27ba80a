"""Every answer under /api/ is JSON, errors included: an address that does not exist, a bad
request, a server error, a transaction the database cancelled (503, send it again). Pages
outside /api/ keep the site's HTML error pages."""

import pytest
from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError, OperationalError, connection, transaction
from django.test import Client
from django.urls import path

from config import layout
from config.urls import urlpatterns as site_urlpatterns
from core.api import TryAgain, exception_handler


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


def _database_error(sqlstate: str, constraint: str = "") -> Exception:
    """The error PostgreSQL raises with `sqlstate` (naming `constraint`), as Django hands it on."""
    named = f", CONSTRAINT = '{constraint}'" if constraint else ""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "DO $$ BEGIN RAISE EXCEPTION 'cancelled'"
                f" USING ERRCODE = '{sqlstate}'{named}; END $$"
            )
    except Exception as exc:  # the error itself is what the test needs
        return exc
    raise AssertionError("no error")


@pytest.mark.django_db
@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
def test_a_transaction_cancelled_as_a_deadlock_is_a_503_to_send_again(sqlstate):
    exc = _database_error(sqlstate)
    assert isinstance(exc, OperationalError)
    response = exception_handler(exc, {})
    assert response is not None and response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.data == {"detail": TryAgain.default_detail}


@pytest.mark.django_db
def test_another_database_error_stays_a_server_error():
    assert exception_handler(_database_error("53300"), {}) is None  # too many connections


@pytest.mark.django_db
def test_a_ledger_write_that_raced_a_shard_move_is_a_503_to_send_again():
    # On a Citus cluster a write that read its wallet's last seq as the shard switched nodes is
    # refused whole by the wallet's seq key (named with the shard's number).
    exc = _database_error("23505", "credit_entry_seq_per_wallet_102087")
    assert isinstance(exc, IntegrityError)
    response = exception_handler(exc, {})
    assert response is not None and response.status_code == 503
    assert response["Retry-After"] == "1"


@pytest.mark.django_db
def test_another_unique_key_refusing_a_write_stays_a_server_error():
    assert exception_handler(_database_error("23505", "credit_operation_key_unique"), {}) is None
