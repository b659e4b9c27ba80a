"""Every table's page size and number as people send them: at most 100 rows a page whatever
`per_page` says, a page past the end shown with a notice, never a 500. The tables' rows are
made once for the module (tests.shared_rows)."""

import pytest

from core.paging import MAX_PER_PAGE, PER_PAGE
from tests.credits.conftest import grant
from tests.factories import AccountFactory, LegacyEntryFactory
from tests.shared_rows import rows_for_the_module

pytestmark = pytest.mark.django_db


def make_tables() -> dict[str, str]:
    """An account with 120 credit entries under one transaction and 120 legacy entries."""
    account = AccountFactory(customer_number="810001")
    for _ in range(120):
        grant(account, "1", transaction_id="TX-PAGING")
    LegacyEntryFactory.create_batch(120, account=account)
    return {
        "search": "/accounts/",
        "credit activity": "/credits/activity/",
        "transaction": "/credits/transactions/TX-PAGING/",
        "legacy": "/accounts/810001/activity/legacy/",
    }


@pytest.fixture(scope="module")
def tables(django_db_setup, django_db_blocker):
    with rows_for_the_module(django_db_blocker, make_tables) as made:
        yield made


def rows(response) -> int:
    return len(response.context["table"].page.object_list)


@pytest.mark.parametrize("per_page", ["10000", "200000", "-1", "0", "abc", "9" * 30])
@pytest.mark.parametrize("page", ["search", "credit activity", "transaction"])
def test_no_table_shows_more_than_the_cap_whatever_per_page_says(
    client, make_user, tables, page, per_page
):
    client.force_login(make_user("System Administrator"))
    response = client.get(f"{tables[page]}?per_page={per_page}")

    assert response.status_code == 200
    assert rows(response) <= MAX_PER_PAGE


@pytest.mark.parametrize("page", ["credit activity", "transaction"])
def test_a_per_page_within_the_cap_is_honoured(client, make_user, tables, page):
    client.force_login(make_user("System Administrator"))

    assert rows(client.get(f"{tables[page]}?per_page=100")) == 100
    assert rows(client.get(f"{tables[page]}?per_page=7")) == 7


def test_legacy_mode_takes_its_page_only(client, make_user, tables):
    client.force_login(make_user("Customer Service"))

    assert rows(client.get(f"{tables['legacy']}?per_page=100")) == PER_PAGE


@pytest.mark.parametrize("page", ["search", "credit activity", "transaction", "legacy"])
def test_a_page_past_the_end_says_so_and_shows_a_page(client, make_user, tables, page):
    client.force_login(make_user("System Administrator"))
    response = client.get(f"{tables[page]}?page=999999")

    assert response.status_code == 200
    notices = [str(m) for m in response.context["messages"]]
    assert any(n.startswith("There is no page 999999; showing page") for n in notices)
