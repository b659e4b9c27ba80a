"""The access log: every opening by staff of an account's pages and every download of its data
is recorded (who, when, which page, which filters), append-only; administrators read and filter
it on the account; erasure redacts what names the customer in it and retention empties its
filters."""

import datetime as dt

import pgtrigger
import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.utils import DatabaseError
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountAccess
from accounts.services import account_anonymise
from tests.conftest import messages_of
from tests.factories import AccountAccessFactory, AccountFactory, LegacyEntryFactory

pytestmark = pytest.mark.django_db

REFUSED = "Cannot update or delete rows from accounts_accountaccess"


@pytest.fixture
def karin(db):
    return AccountFactory(
        customer_number="870001", name="Karin Lövgren", email="karin.lovgren@example.se"
    )


def _log(account):
    return list(AccountAccess.objects.filter(account=account).order_by("pk"))


def test_opening_the_account_page_records_who_and_which_page(service_client, service_user, karin):
    service_client.get(karin.get_absolute_url())

    [record] = _log(karin)
    assert record.page == AccountAccess.Page.ACCOUNT
    assert record.actor == service_user
    assert record.actor_name == service_user.get_full_name()
    assert record.filters == {}
    assert timezone.now() - record.created_at < dt.timedelta(minutes=1)


def test_recent_activity_records_its_filters_as_typed(service_client, karin):
    url = reverse("activity:recent", args=[karin.customer_number])
    service_client.get(f"{url}?date_from=2026-01-01&type=email_sent&type=comment_added&actor=")

    [record] = _log(karin)
    assert record.page == AccountAccess.Page.RECENT_ACTIVITY
    assert record.filters == {
        "date_from": "2026-01-01",
        "type": ["email_sent", "comment_added"],
    }


def test_legacy_mode_and_both_downloads_are_recorded(service_client, karin):
    LegacyEntryFactory(account=karin)
    legacy = reverse("legacy_history:legacy", args=[karin.customer_number])
    service_client.get(f"{legacy}?page=2")
    response = service_client.get(reverse("legacy_history:export", args=[karin.customer_number]))
    b"".join(response.streaming_content)
    activity_csv = reverse("activity:export", args=[karin.customer_number])
    response = service_client.get(f"{activity_csv}?type=email_sent")
    b"".join(response.streaming_content)

    assert [(r.page, r.filters) for r in _log(karin)] == [
        (AccountAccess.Page.LEGACY_MODE, {"page": "2"}),
        (AccountAccess.Page.LEGACY_CSV, {}),
        (AccountAccess.Page.ACTIVITY_CSV, {"type": "email_sent"}),
    ]


def test_an_over_long_filter_value_is_kept_cut(service_client, karin):
    url = reverse("activity:recent", args=[karin.customer_number])
    service_client.get(f"{url}?date_from={'9' * 5000}")

    [record] = _log(karin)
    assert record.filters == {"date_from": "9" * 200}


def test_an_unknown_account_records_nothing(service_client):
    assert service_client.get("/accounts/999999/").status_code == 404
    assert not AccountAccess.objects.exists()


def test_a_record_is_never_changed_nor_deleted(karin):
    record = AccountAccessFactory(account=karin, filters={"type": "email_sent"})
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        AccountAccess.objects.filter(pk=record.pk).update(filters={})
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        AccountAccess.objects.filter(pk=record.pk).delete()
    record.refresh_from_db()
    assert record.filters == {"type": "email_sent"}


# --- The page -----------------------------------------------------------------------------


def test_an_administrator_reads_the_log_newest_first(admin_client, karin):
    AccountAccessFactory(account=karin, actor_name="Sara Lind", page="account")
    AccountAccessFactory(account=karin, actor_name="Olle Berg", filters={"type": "email_sent"})
    AccountAccessFactory(actor_name="Someone Else")  # another account's

    response = admin_client.get(reverse("accounts:access-log", args=[karin.customer_number]))

    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("Olle Berg") < body.index("Sara Lind")
    assert "type: email_sent" in body
    assert "Someone Else" not in body
    # Opening the log is itself recorded.
    assert _log(karin)[-1].page == AccountAccess.Page.ACCESS_LOG


def test_the_log_filters_by_who_and_page(admin_client, karin):
    AccountAccessFactory(account=karin, actor_name="Sara Lind", page="account")
    AccountAccessFactory(account=karin, actor_name="Olle Berg", page="legacy_mode")
    AccountAccessFactory(account=karin, actor_name="Sara Lind", page="legacy_mode")
    url = reverse("accounts:access-log", args=[karin.customer_number])

    table = admin_client.get(f"{url}?user=sara&kind=legacy_mode").context["table"]

    assert [(r.actor_name, r.page) for r in table.data] == [("Sara Lind", "legacy_mode")]


def test_the_log_filters_by_days(admin_client, karin):
    old = AccountAccessFactory(account=karin, actor_name="Sara Lind")
    with pgtrigger.ignore("accounts.AccountAccess:append_only"):
        AccountAccess.objects.filter(pk=old.pk).update(
            created_at=dt.datetime(2026, 1, 10, 12, tzinfo=dt.UTC)
        )
    AccountAccessFactory(account=karin, actor_name="Olle Berg")
    url = reverse("accounts:access-log", args=[karin.customer_number])

    table = admin_client.get(f"{url}?date_from=2026-01-10&date_to=2026-01-10").context["table"]

    assert [r.actor_name for r in table.data] == ["Sara Lind"]


@pytest.mark.parametrize(
    "query",
    [
        "date_from=2026-13-45",
        "date_from=2026-02-01&date_to=2026-01-01",
        "kind=no_such_page",
        f"user={'x' * 500}",
        "page=999999",
        "page=abc",
    ],
)
def test_bad_filters_say_why_and_never_fail(admin_client, karin, query):
    AccountAccessFactory(account=karin)
    url = reverse("accounts:access-log", args=[karin.customer_number])

    response = admin_client.get(f"{url}?{query}")

    assert response.status_code == 200
    body = response.content.decode()
    assert 'role="alert"' in body or messages_of(response)


def test_other_roles_are_refused_the_log(service_client, karin):
    url = reverse("accounts:access-log", args=[karin.customer_number])
    assert service_client.get(url).status_code == 403
    assert "Access log" not in service_client.get(karin.get_absolute_url()).content.decode()


# --- Erasure and retention ----------------------------------------------------------------


def test_erasure_keeps_the_log_and_redacts_what_names_the_customer(admin_user_role, karin):
    named = AccountAccessFactory(
        account=karin,
        filters={"user": "karin.lovgren@example.se", "type": ["email_sent", "Lövgren"]},
    )
    plain = AccountAccessFactory(account=karin, filters={"type": "email_sent"})

    erasure = account_anonymise(account=karin, actor=admin_user_role, reason="GDPR-7")

    assert erasure.redacted["access log records"] == 1
    named.refresh_from_db()
    plain.refresh_from_db()
    assert named.filters == {"user": "[redacted]", "type": ["email_sent", "[redacted]"]}
    assert (named.actor_name, named.page) == ("Sara Lind", "recent_activity")
    assert plain.filters == {"type": "email_sent"}


def test_purge_retention_empties_old_filters_and_keeps_the_record(karin):
    old = AccountAccessFactory(account=karin, filters={"type": "email_sent"})
    recent = AccountAccessFactory(account=karin, filters={"type": "email_sent"})
    with pgtrigger.ignore("accounts.AccountAccess:append_only"):
        AccountAccess.objects.filter(pk=old.pk).update(
            created_at=timezone.now() - dt.timedelta(days=401)
        )

    call_command("purge_retention")

    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.filters == {}
    assert (old.actor_name, old.page) == ("Sara Lind", "recent_activity")
    assert recent.filters == {"type": "email_sent"}


@pytest.mark.parametrize("size", [1, 60])
def test_the_log_page_has_a_fixed_query_budget(
    admin_client, karin, django_assert_max_num_queries, size
):
    AccountAccessFactory.create_batch(size, account=karin)
    url = reverse("accounts:access-log", args=[karin.customer_number])
    # The session, user, second factor and permissions of every page, the account, the log's
    # own insert, the count and one page of records: the same whatever the log's size.
    with django_assert_max_num_queries(8):
        assert admin_client.get(url).status_code == 200
