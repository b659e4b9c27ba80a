"""System Administrators see the record of CSV downloads and the ledger in the admin, read-only."""

import pytest
from django.urls import reverse

from config import roles
from credits import services
from credits.models import CreditExport
from tests.factories import SubscriptionFactory
from tests.signin import VerifiedClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(make_user):
    client = VerifiedClient()  # its own session, beside finance_client's
    client.force_login(make_user(roles.SYSTEM_ADMINISTRATOR, is_staff=True))
    return client


def test_an_administrator_sees_who_downloaded_what(admin_client, finance_client, account):
    services.credit_grant(
        actor=None, account=account, amount="5", credit_type="currency", currency="SEK"
    )
    response = finance_client.get(reverse("credits:export") + "?account_name=karin")
    b"".join(response.streaming_content)
    html = admin_client.get(reverse("admin:credits_creditexport_changelist")).content.decode()
    assert "Maja Ek" in html
    assert "karin" in html


def test_the_download_record_cannot_be_added_changed_or_deleted(admin_client, finance):
    export = CreditExport.objects.create(actor=finance, actor_name="Maja Ek", filters={})
    assert admin_client.get(reverse("admin:credits_creditexport_add")).status_code == 403
    change = admin_client.get(reverse("admin:credits_creditexport_change", args=[export.pk]))
    assert change.status_code == 200
    assert 'type="submit"' not in change.content.decode().split('id="content-main"', 1)[1]
    delete = admin_client.get(reverse("admin:credits_creditexport_delete", args=[export.pk]))
    assert delete.status_code == 403


def test_ledger_entries_are_shown_and_never_deletable(admin_client, account):
    entry = services.credit_grant(
        actor=None, account=account, amount="5", credit_type="currency", currency="SEK"
    )
    assert admin_client.get(reverse("admin:credits_creditentry_changelist")).status_code == 200
    delete = admin_client.get(reverse("admin:credits_creditentry_delete", args=[entry.pk]))
    assert delete.status_code == 403


@pytest.mark.parametrize("size", [1, 10])
def test_the_wallet_list_costs_the_same_queries_for_few_or_many_subscriptions(
    admin_client, account, size, django_assert_max_num_queries
):
    for _ in range(size):
        subscription = SubscriptionFactory(account=account, product__currency="SEK")
        services.credit_grant(
            actor=None,
            account=account,
            subscription=subscription,
            amount="5",
            credit_type="currency",
            currency="SEK",
        )
    # 9, and the savepoint around the list's queries (core.admin.SafeChangeListMixin).
    with django_assert_max_num_queries(9):
        response = admin_client.get(reverse("admin:credits_creditwallet_changelist"))
    assert response.status_code == 200


def test_finance_has_no_admin(client, finance):
    client.force_login(finance)
    response = client.get(reverse("admin:credits_creditexport_changelist"))
    assert response.status_code == 302
