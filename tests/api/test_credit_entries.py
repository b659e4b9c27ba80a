"""GET /api/v1/accounts/<customer_number>/credit-entries/: an account's ledger entries, newest
first, by the one keyset cursor of the API, with Credit Activity's filters."""

import base64

import pytest
from django.utils import timezone

from core.errors import INVALID_CURSOR
from tests.api.credits_helpers import APPLY, CREDITS, apply, entries_url, grant
from tests.factories import AccountFactory

# --- Reading the entries ------------------------------------------------------------------


def _seed(api, account, count):
    for n in range(count):
        api.post(CREDITS, grant(account, key=f"seed-{n}", amount=f"{n + 1}"))


def test_an_accounts_entries_newest_first(api, account, django_assert_max_num_queries):
    _seed(api, account, 3)
    api.post(CREDITS, grant(AccountFactory(), key="other"))

    with django_assert_max_num_queries(3):  # token, account, page
        data = api.get(entries_url(account)).json()

    assert [e["amount"] for e in data["results"]] == ["3.00", "2.00", "1.00"]


def test_the_entries_cursor_walks_all_pages(api, account):
    _seed(api, account, 5)

    seen, url = [], entries_url(account) + "?limit=2"
    while url:
        page = api.get(url).json()
        seen += [e["amount"] for e in page["results"]]
        url = page["next"]

    assert seen == ["5.00", "4.00", "3.00", "2.00", "1.00"]


def test_the_entries_take_the_credit_activity_filters(api, account, subscription):
    api.post(CREDITS, grant(account, key="a", amount="10"))
    api.post(CREDITS, grant(account, key="b", amount="20", subscription=subscription.order_id))
    api.post(CREDITS, grant(account, key="c", amount="3", credit_type="token", currency=""))
    api.post(APPLY, apply(account, amount="5"))

    def amounts(**query):
        return [e["amount"] for e in api.get(entries_url(account), query).json()["results"]]

    assert amounts(subscription_id=subscription.order_id) == ["20.00"]
    assert amounts(type="token") == ["3"]
    assert amounts(activity="consumption") == ["-5.00"]
    assert amounts(subscription_name=subscription.product.name) == ["20.00"]
    today = timezone.localdate().isoformat()
    assert len(amounts(created_from=today, created_to=today)) == 4
    assert amounts(created_to="2000-01-01") == []


@pytest.mark.parametrize(
    "query",
    [
        {"created_from": "yesterday"},
        {"created_from": "2026-06-02", "created_to": "2026-06-01"},
        {"activity": "theft"},
        {"type": "gold"},
        {"limit": "0"},
    ],
)
def test_bad_entry_filters_are_400s(api, account, query):
    assert api.get(entries_url(account), query).status_code == 400


def test_an_entries_cursor_with_an_offset_beyond_postgresqls_range_is_answered(api, account):
    api.post(CREDITS, grant(account))
    # Older than a time with a UTC offset that Python parses but PostgreSQL refuses.
    cursor = base64.urlsafe_b64encode(b"o|2026-06-01T12:00:00-23:00|1").decode()

    response = api.get(entries_url(account), {"cursor": cursor})

    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "cD1ub3QtYS10aW1l",
        "bz0xJnA9MjAyNg",
        # The timeline's cursor shape with a key that is not an entry's.
        base64.urlsafe_b64encode(b"o|2026-06-01T12:00:00+00:00|not-a-number").decode(),
        base64.urlsafe_b64encode(b"x|2026-06-01T12:00:00+00:00|1").decode(),
        base64.urlsafe_b64encode(b"o|2026-06-01T12:00:00|1").decode(),
    ],
)
def test_a_malformed_entries_cursor_is_a_400(api, account, cursor):
    response = api.get(entries_url(account), {"cursor": cursor})

    assert response.status_code == 400
    assert response.json() == {"cursor": [INVALID_CURSOR]}


def test_entries_of_an_unknown_account_are_a_404(api, db):
    assert api.get("/api/v1/accounts/000000/credit-entries/").status_code == 404


def test_entries_of_a_customer_number_with_a_nul_character_are_a_404(api, db):
    assert api.get("/api/v1/accounts/1%00/credit-entries/").status_code == 404


@pytest.mark.parametrize("query", [{"created_to": "9999-12-31"}, {"created_from": "0001-01-01"}])
def test_the_calendars_ends_are_not_a_server_error(api, account, query):
    api.post(CREDITS, grant(account))

    response = api.get(entries_url(account), query)

    assert response.status_code in (200, 400)
