"""The Legacy mode page: what it lists, in which order, its pages, and its query budget."""

import datetime as dt

import pytest
from django.urls import reverse

from config import roles
from legacy_history.services import legacy_history_migrate
from tests.conftest import messages_of
from tests.factories import AccountFactory, LegacyEntryFactory

pytestmark = pytest.mark.django_db

# Session, user, the second factor (the user's authenticator app), the layout's role names, the
# user's and the groups' permissions, the account, the count of entries and one page of them:
# the same whatever the number of entries.
PAGE_QUERY_BUDGET = 7


def url(account, **query) -> str:
    base = reverse("legacy_history:legacy", args=[account.customer_number])
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def listed(response) -> list[str]:
    return [row.record.source_id for row in response.context["table"].page.object_list]


@pytest.fixture
def agent_client(client, make_user):
    client.force_login(make_user(roles.CUSTOMER_SERVICE))
    return client


def at(day: int) -> dt.datetime:
    return dt.datetime(2019, 5, day, 12, tzinfo=dt.UTC)


def test_the_accounts_unmigrated_entries_are_listed_newest_first(agent_client, karin, olle):
    LegacyEntryFactory(account=karin, source_id="OLD", created_at=at(1))
    LegacyEntryFactory(account=karin, source_id="NEW", created_at=at(3))
    LegacyEntryFactory(account=karin, source_id="MID", created_at=at(2))
    LegacyEntryFactory(account=olle, source_id="OTHER", created_at=at(2))
    LegacyEntryFactory(account=karin, source_id="MIGRATED", event_name="Account created")
    legacy_history_migrate()

    response = agent_client.get(url(karin))
    assert response.status_code == 200
    assert listed(response) == ["NEW", "MID", "OLD"]


def test_an_entry_shows_what_the_old_product_said(agent_client, karin):
    LegacyEntryFactory(
        account=karin,
        event_name="Voucher redeemed",
        type="voucher",
        message="Gift voucher for three months applied.",
        producer="jonas.ek@payway.example",
        created_at=dt.datetime(2019, 5, 1, 22, 59, tzinfo=dt.UTC),
    )
    page = agent_client.get(url(karin)).content.decode()
    assert "Voucher redeemed" in page
    assert "voucher" in page
    assert "Gift voucher for three months applied." in page
    assert "jonas.ek@payway.example" in page
    assert "2019-05-02 00:59" in page  # shown in the site's zone (Stockholm, summer time)
    assert reverse("activity:recent", args=[karin.customer_number]) in page


@pytest.mark.parametrize(
    ("producer", "shown"),
    [("System", "System"), ("CProfit", "System (CProfit)"), ("a@b.se", "a@b.se")],
)
def test_the_producer_is_a_persons_email_or_system(agent_client, karin, producer, shown):
    LegacyEntryFactory(account=karin, producer=producer)
    response = agent_client.get(url(karin))
    assert f'<td class="producer">{shown}</td>' in response.content.decode()


def test_an_account_without_legacy_history_says_so(agent_client, karin):
    page = agent_client.get(url(karin)).content.decode()
    assert "This account has no legacy history outside Recent Activity." in page


def test_an_unknown_account_is_not_found(agent_client):
    assert agent_client.get(url(AccountFactory.build(customer_number="999999"))).status_code == 404


def test_pages_of_25(agent_client, karin):
    LegacyEntryFactory.create_batch(30, account=karin)
    first = agent_client.get(url(karin))
    second = agent_client.get(url(karin, page=2))
    assert len(listed(first)) == 25
    assert len(listed(second)) == 5
    assert not set(listed(first)) & set(listed(second))
    assert "page 1 of 2" in first.content.decode()
    assert "?page=2" in first.content.decode()


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "9" * 5000])
def test_a_page_that_is_not_a_number_shows_the_first(agent_client, karin, page):
    LegacyEntryFactory.create_batch(30, account=karin)
    response = agent_client.get(url(karin, page=page))
    assert response.status_code == 200
    assert response.context["table"].page.number == 1
    (message,) = messages_of(response)
    assert message.endswith("is not a page number; showing page 1.")
    assert len(message) < 80  # a huge page number is not repeated in full


@pytest.mark.parametrize("page", ["3", "999999999"])
def test_a_page_past_the_end_shows_the_last(agent_client, karin, page):
    LegacyEntryFactory.create_batch(30, account=karin)
    response = agent_client.get(url(karin, page=page))
    assert response.status_code == 200
    assert response.context["table"].page.number == 2
    assert messages_of(response) == [f"There is no page {page}; showing page 2."]


def test_filters_and_sorting_are_not_offered(agent_client, karin):
    LegacyEntryFactory.create_batch(2, account=karin)
    page = agent_client.get(url(karin, sort="producer", type="voucher")).content.decode()
    assert "sort=" not in page
    assert '<form method="get"' not in page


@pytest.mark.parametrize("entries", [1, 60])
def test_the_page_has_a_fixed_query_budget(
    agent_client, karin, entries, django_assert_max_num_queries
):
    LegacyEntryFactory.create_batch(entries, account=karin)
    with django_assert_max_num_queries(PAGE_QUERY_BUDGET):
        assert agent_client.get(url(karin, page=2 if entries > 25 else 1)).status_code == 200
