"""A customer's data export (GDPR art. 15): an administrator downloads everything held on one
customer as one ZIP of CSV and JSON files; the download is recorded in the account's access log
and in staff activity; every other role is refused and nothing is recorded."""

import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AccountAccess
from accounts.services import account_anonymise
from activity.services import activity_record
from staff.models import Kind, StaffEvent
from tests.factories import (
    AccountAccessFactory,
    AccountFactory,
    CreditEntryFactory,
    CreditWalletFactory,
    LegacyEntryFactory,
    PaymentMethodFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db

FILES = {
    "account.json",
    "subscriptions.csv",
    "payment_methods.csv",
    "access_log.csv",
    "timeline_events.csv",
    "timeline_events.jsonl",
    "ledger_entries.csv",
    "legacy_history.csv",
    "manifest.json",
}


@pytest.fixture
def karin(db):
    account = AccountFactory(
        customer_number="880001",
        name="Karin Lövgren",
        email="karin.lovgren@example.se",
        city="Malmö",
    )
    SubscriptionFactory(account=account, order_id="ORD-880001")
    PaymentMethodFactory(account=account, masked_details="•••• 4242", is_default=True)
    activity_record(account=account, type="comment_added", data={"comment": "Called about Lund"})
    CreditEntryFactory(wallet=CreditWalletFactory(account=account), amount=Decimal("50"))
    LegacyEntryFactory(account=account, message="Old voucher applied.")
    AccountAccessFactory(account=account, actor_name="Sara Lind", filters={"type": "email_sent"})
    AccountFactory(customer_number="880002", name="Olle Berg")  # someone else
    return account


def _download(client, account):
    response = client.get(reverse("accounts:data-export", args=[account.customer_number]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f"customer-data-{account.customer_number}-" in response["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_archive_holds_everything_on_the_customer(admin_client, karin):
    archive = _download(admin_client, karin)

    assert set(archive.namelist()) == FILES
    account = json.loads(archive.read("account.json"))
    assert (account["name"], account["city"], account["country"]) == (
        "Karin Lövgren",
        "Malmö",
        karin.country.code,
    )
    assert "ORD-880001" in archive.read("subscriptions.csv").decode()
    assert "•••• 4242" in archive.read("payment_methods.csv").decode()
    assert "Called about Lund" in archive.read("timeline_events.csv").decode()
    events = [json.loads(line) for line in archive.read("timeline_events.jsonl").splitlines()]
    assert {"type": "comment_added", "data": {"comment": "Called about Lund"}}.items() <= next(
        e for e in events if e["type"] == "comment_added"
    ).items()
    assert "50.00" in archive.read("ledger_entries.csv").decode()
    assert "Old voucher applied." in archive.read("legacy_history.csv").decode()
    assert "Sara Lind" in archive.read("access_log.csv").decode()
    everything = b"".join(archive.read(name) for name in archive.namelist()).decode()
    assert "Olle Berg" not in everything
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["customer_number"] == "880001"
    assert manifest["files"]["timeline_events.csv"] == len(events)
    assert manifest["files"]["ledger_entries.csv"] == 1


def test_the_download_is_recorded_in_the_access_log_and_staff_activity(
    admin_client, admin_user_role, karin
):
    _download(admin_client, karin)

    record = AccountAccess.objects.filter(account=karin).latest("created_at")
    assert record.page == AccountAccess.Page.DATA_EXPORT
    assert record.actor == admin_user_role
    assert record.filters["files"] == len(FILES) - 1  # the manifest is not counted
    [event] = StaffEvent.objects.filter(kind=Kind.CUSTOMER_DATA_EXPORTED)
    assert event.actor == admin_user_role
    assert event.details["customer"] == "880001"
    assert "Downloaded everything held on customer 880001" in event.description


def test_an_erased_customer_exports_what_is_left(admin_client, admin_user_role, karin):
    account_anonymise(account=karin, actor=admin_user_role, reason="GDPR-9")

    archive = _download(admin_client, karin)

    everything = b"".join(archive.read(name) for name in archive.namelist()).decode()
    assert "Karin" not in everything
    assert "Called about Lund" not in everything


def test_other_roles_are_refused_and_nothing_is_recorded(service_client, client, karin, make_user):
    from config import roles

    before = AccountAccess.objects.count()
    url = reverse("accounts:data-export", args=[karin.customer_number])
    assert service_client.get(url).status_code == 403
    client.force_login(make_user(roles.FINANCE))
    assert client.get(url).status_code == 403
    assert AccountAccess.objects.count() == before
    assert not StaffEvent.objects.filter(kind=Kind.CUSTOMER_DATA_EXPORTED).exists()


def test_an_unknown_customer_is_404_and_nothing_is_recorded(admin_client):
    response = admin_client.get(reverse("accounts:data-export", args=["999999"]))
    assert response.status_code == 404
    assert not AccountAccess.objects.exists()
    assert not StaffEvent.objects.filter(kind=Kind.CUSTOMER_DATA_EXPORTED).exists()


def test_a_post_is_refused_and_changes_nothing(admin_client, karin):
    before = AccountAccess.objects.count()
    response = admin_client.post(reverse("accounts:data-export", args=[karin.customer_number]))
    assert response.status_code == 405
    assert AccountAccess.objects.count() == before
