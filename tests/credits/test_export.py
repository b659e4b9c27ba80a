"""The CSV download: exactly the filtered rows, formatted for a spreadsheet, recorded."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.signals import request_finished
from django.db import close_old_connections, connection
from django.http import StreamingHttpResponse
from django.test import RequestFactory
from django.urls import reverse

from core.actors import Actor
from core.csvfiles import BOM
from credits import export, services
from credits.models import CreditEntry, CreditExport, CreditType
from credits.views import CreditActivityExportView
from tests.credits.conftest import SEK
from tests.factories import AccountFactory, ProductFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

SUMMER = dt.datetime(2026, 6, 10, 8, 30, 15, tzinfo=dt.UTC)  # 10:30:15 in Stockholm (CEST)
WINTER = dt.datetime(2026, 1, 10, 8, 30, 15, tzinfo=dt.UTC)  # 09:30:15 in Stockholm (CET)
URL = reverse("credits:export")


def download(client, query="") -> tuple[StreamingHttpResponse, list[list[str]]]:
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith(BOM)
    return response, list(csv.reader(io.StringIO(body[1:])))


@pytest.fixture
def ledger(account, subscription, finance):
    services.credit_grant(
        actor=finance, account=account, amount="100", note="Goodwill", created_at=WINTER, **SEK
    )
    services.apply_credits(
        account=account,
        subscription=subscription,
        amount="30.5",
        transaction_id="BILL-1",
        created_at=SUMMER,
        **SEK,
    )
    services.credit_grant(
        actor=None,
        account=account,
        subscription=subscription,
        amount=12,
        credit_type=CreditType.TOKEN,
        created_at=SUMMER,
    )
    services.gift_card_status_inquiry(
        actor=None,
        account=account,
        gift_card="GC •••• 4242",
        status="redemption_pending",
        currency="SEK",
        created_at=SUMMER,
    )


def test_the_csv_has_a_header_naming_the_time_zone_and_one_row_per_entry(finance_client, ledger):
    response, rows = download(finance_client)
    assert rows[0] == export.header()
    assert rows[0][0] == "Date (Europe/Stockholm)"
    assert len(rows) == 1 + CreditEntry.objects.count() == 5
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert isinstance(response, StreamingHttpResponse)


def test_rows_carry_iso_dates_plain_amounts_and_currency_codes(finance_client, ledger):
    _, rows = download(finance_client, "sort=created_at")
    by_activity = {(r[5], r[4]): r for r in rows[1:]}
    grant = by_activity[("Grant", "Currency")]
    assert grant == [
        "2026-01-10T09:30:15+01:00",
        "700001",
        "Karin Nilsson",
        grant[3],
        "Currency",
        "Grant",
        "",
        "",
        "100.00",
        "SEK",
        "100.00",
        "",
        "",
        "",
        "Goodwill",
        "Maja Ek",
        "",
    ]
    consumption = by_activity[("Consumption", "Currency")]
    assert consumption[0] == "2026-06-10T10:30:15+02:00"
    assert consumption[8:15] == ["-30.50", "SEK", "69.50", "BILL-1", "ORD-700001", "Premium", ""]
    tokens = by_activity[("Grant", "Token")]
    assert tokens[8:11] == ["12", "", "12"]
    inquiry = by_activity[("Gift Card Status Inquiry", "Currency")]
    assert inquiry[6:9] == ["GC •••• 4242", "Redemption Pending", "0.00"]


def test_the_csv_holds_exactly_the_filtered_rows_of_every_page(finance_client, account):
    other = AccountFactory(email="someone@example.com")
    for _ in range(60):
        services.credit_grant(actor=None, account=account, amount="1", **SEK)
    services.credit_grant(actor=None, account=other, amount="1", **SEK)
    _, rows = download(finance_client, f"account_email={account.email.upper()}")
    assert len(rows) == 61
    assert {r[1] for r in rows[1:]} == {account.customer_number}


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_text_cell_that_starts_like_a_formula_is_neutralised(finance_client, start):
    # Names come from other systems as they are; notes are stripped of leading blanks.
    text = f'{start}HYPERLINK("http://evil.example","click")'
    account = AccountFactory(name=text)
    services.credit_grant(actor=None, account=account, amount="1", note=text.strip(), **SEK)
    _, rows = download(finance_client)
    assert rows[1][2] == "'" + text
    assert rows[1][14] == ("'" + text if start.strip() else text.strip())


def test_formula_names_and_references_are_neutralised_too(finance_client):
    account = AccountFactory(name="=cmd|' /C calc'!A0", email="@evil@example.com")
    product = ProductFactory(code="evil", name="+SUM(A1:A9)")
    subscription = SubscriptionFactory(account=account, product=product, order_id="-ORD-1")
    services.apply_credits(
        account=account, subscription=subscription, amount="1", transaction_id="T1", **SEK
    )
    services.credit_grant(
        actor=Actor.integration("=x"),
        account=account,
        subscription=subscription,
        amount="1",
        **SEK,
    )
    _, rows = download(finance_client)
    row = rows[1]
    assert row[2] == "'=cmd|' /C calc'!A0"
    assert row[3] == "'@evil@example.com"
    assert (row[12], row[13], row[15]) == ("'-ORD-1", "'+SUM(A1:A9)", "'=x")
    assert row[8] == "1.00"  # numbers stay numbers; only text cells are guarded


def test_commas_quotes_and_line_breaks_survive_a_round_trip(finance_client, account):
    note = 'Said "thanks, really"\nand hung up'
    services.credit_grant(actor=None, account=account, amount="1", note=note, **SEK)
    _, rows = download(finance_client)
    assert rows[1][14] == note


def test_copy_and_the_python_path_write_the_same_file(account, subscription, ledger):
    services.credit_grant(
        actor=None, account=account, amount="1", note='=1+1, "x"\nline two', **SEK
    )
    entries = CreditEntry.objects.newest_first()
    via_copy = b"".join(export.csv_rows(entries, use_copy=True))
    via_python = b"".join(export.csv_rows(entries, use_copy=False))
    assert via_copy == via_python


def test_currencies_keep_their_own_minor_units(finance_client, account):
    yen = SubscriptionFactory(
        account=account, product=ProductFactory(code="jp", currency="JPY", price=Decimal(990))
    )
    services.credit_grant(
        actor=None,
        account=account,
        subscription=yen,
        amount="1500",
        credit_type="currency",
        currency="JPY",
    )
    services.credit_grant(
        actor=None, account=account, amount="1.250", credit_type="currency", currency="KWD"
    )
    _, rows = download(finance_client, "sort=created_at")
    assert [(r[8], r[9]) for r in rows[1:]] == [("1500", "JPY"), ("1.250", "KWD")]


def test_each_download_is_recorded_with_its_filters_and_row_count(finance_client, finance, ledger):
    download(finance_client, "type=currency&account_name=karin&page=3&sort=-created_at")
    record = CreditExport.objects.get()
    assert (record.actor, record.actor_name, record.row_count) == (finance, "Maja Ek", 3)
    assert record.filters == {"type": "currency", "account_name": "karin"}
    assert record.finished_at is not None


def test_the_file_name_carries_the_date(finance_client, ledger):
    response, _ = download(finance_client)
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="credit-activity-20')
    assert disposition.endswith('.csv"')


def test_oldest_first_when_the_page_is_sorted_so(finance_client, ledger):
    _, rows = download(finance_client, "sort=created_at")
    dates = [r[0] for r in rows[1:]]
    assert dates[0].startswith("2026-01-10")
    _, rows = download(finance_client)
    assert [r[0] for r in rows[1:]][-1].startswith("2026-01-10")


@pytest.mark.parametrize(
    "query",
    ["created_from=2026-13-01", "created_from=2026-06-02&created_to=2026-06-01", "type=points"],
)
def test_bad_filters_start_no_download_and_say_why(finance_client, ledger, query):
    response = finance_client.get(f"{URL}?{query}", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[0][0] == f"{reverse('credits:activity')}?{query}"
    assert "Download not started" in response.content.decode()
    assert not CreditExport.objects.exists()


def test_the_session_time_zone_is_left_as_it_was(finance_client, ledger):
    download(finance_client)
    with connection.cursor() as cursor:
        cursor.execute("SHOW TimeZone")
        assert cursor.fetchone()[0] == connection.timezone_name


def test_a_download_cut_off_midway_leaves_no_row_count_and_a_usable_connection(
    finance, account, monkeypatch
):
    monkeypatch.setattr(export, "CHUNK_BYTES", 1)  # a chunk per row: stop inside the COPY
    for _ in range(3):
        services.credit_grant(actor=None, account=account, amount="1", **SEK)
    request = RequestFactory().get(URL)
    request.user = finance
    response = CreditActivityExportView.as_view()(request)
    stream = response.streaming_content
    next(stream), next(stream)  # the header and one row; then the client goes away
    # The server closes the response. (The end of a request would also close the test's
    # database connection, which holds the test's transaction: not here.)
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    record = CreditExport.objects.get()
    assert (record.row_count, record.finished_at) == (None, None)
    assert CreditEntry.objects.count() == 3


def test_dates_follow_a_site_time_zone_with_a_half_hour_offset(finance_client, ledger, settings):
    settings.TIME_ZONE = "Asia/Kolkata"
    _, rows = download(finance_client, "sort=created_at")
    assert rows[0][0] == "Date (Asia/Kolkata)"
    assert rows[1][0] == "2026-01-10T14:00:15+05:30"
