"""Regression tests that replay the security audit's requests to pages and downloads: the
admin's list filters (finding 2), the CSV formula guard (finding 9) and HEAD on a CSV
download (finding 10)."""

import csv
import io

import pytest

from core.csvfiles import safe_cell
from core.middleware import NUL_IN_ADDRESS
from credits.export import csv_rows
from credits.models import CreditExport
from credits.selectors import credit_activity
from credits.services import credit_grant

pytestmark = pytest.mark.django_db


# --- Finding 2: the admin's list filters -------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/admin/activity/activityevent/", "type__exact=%00"),
        ("/admin/credits/creditentry/", "created_at__year=99999999999999999999999"),
        ("/admin/activity/activityevent/", "occurred_at__year=99999999999999999999999"),
        ("/admin/credits/creditexport/", "created_at__year=2026&created_at__month=13"),
        ("/admin/legacy_history/legacyentry/", "created_at__year=-5"),
    ],
)
def test_an_impossible_admin_filter_is_not_a_server_error(admin_client, url, query):
    response = admin_client.get(f"{url}?{query}")

    assert response.status_code in (200, 302, 400)
    if response.status_code == 302:
        assert response.url.endswith("?e=1")  # the admin's "invalid filter" notice


def test_a_nul_character_in_a_query_string_is_a_400_on_every_page(admin_client):
    for url in ("/accounts/", "/credits/activity/", "/admin/accounts/account/"):
        assert admin_client.get(f"{url}?q=%00").status_code == 400
    response = admin_client.get("/api/v1/event-types/?x=%00")
    assert response.status_code == 400
    assert response.json() == {"detail": NUL_IN_ADDRESS}


# --- Finding 9: formula guard past whitespace, zero-width and fullwidth characters ----------


@pytest.mark.parametrize(
    "text",
    [
        ' =HYPERLINK("http://evil.example","x")',
        '\u200b=HYPERLINK("http://evil.example","x")',
        "\u00a0\u2060+SUM(A1:A9)",
        "＝cmd|' /C calc'!A0",
        "＋1",
        "－1",
        "＠SUM(A1)",
    ],
)
@pytest.mark.parametrize("use_copy", [True, False])
def test_every_csv_cell_that_starts_like_a_formula_is_guarded(account, text, use_copy):
    account.name = text
    account.save()
    credit_grant(
        actor=None,
        account=account,
        amount="1",
        credit_type="currency",
        currency="SEK",
        note=text,
    )

    body = b"".join(csv_rows(credit_activity(), use_copy=use_copy)).decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(body)))[1]

    assert row[2] == "'" + text  # account name, kept as it was
    assert row[14] == "'" + text.strip()  # the note, stripped by the service


@pytest.mark.parametrize(
    "text", ["a =1", "Order -1 was refunded", "x@y.example", "100", "", "   plain"]
)
def test_text_that_does_not_start_like_a_formula_is_left_alone(text):
    assert safe_cell(text) == text


# --- Finding 10: HEAD on a CSV download ----------------------------------------------------


def test_head_on_the_csv_download_answers_headers_only_and_records_nothing(client, make_user):
    client.force_login(make_user("Finance"))

    response = client.head("/credits/activity/export.csv?type=currency")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="credit-activity-')
    assert b"".join(response.streaming_content) == b""
    assert not CreditExport.objects.exists()


def test_head_with_bad_filters_is_refused_like_get(client, make_user):
    client.force_login(make_user("Finance"))

    assert client.head("/credits/activity/export.csv?type=points").status_code == 302
    assert not CreditExport.objects.exists()
