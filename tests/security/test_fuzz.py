"""Bad input never yields a server error: random query strings — page numbers and sizes,
cursors, sort orders, NUL characters, huge numbers, long and odd text — sent to every page of
the permission walk that answers GET and to every list of the admin, as each role. Bounded: a
fixed number of derandomised examples per page."""

from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.roles import CUSTOMER_SERVICE, ROLES
from credits.services import credit_grant, credit_request
from tests.factories import (
    AccountFactory,
    ActivityEventFactory,
    LegacyEntryFactory,
    PaymentMethodFactory,
    SubscriptionFactory,
    UserFactory,
)
from tests.signin import VerifiedClient
from tests.test_permissions import CUSTOMER, MATRIX, ORDER, TRANSACTION, _own_export, _url

EXAMPLES = 12

# The parameters the pages and the admin read, and a few they do not.
KEYS = [
    "page", "per_page", "cursor", "o", "sort", "q", "date_from", "date_to", "type", "category",
    "actor", "account_name", "account_id", "account_email", "subscription_id",
    "subscription_name", "created_from", "created_to", "activity", "status", "country", "p",
    "all", "e", "_changelist_filters", "created_at__year", "created_at__month",
    "occurred_at__year", "occurred_at__day", "type__exact", "origin__exact", "migrated",
]  # fmt: skip
ODD = [
    "\x00", "-1", "0", "9" * 40, "1e9", "1.5", "NaN", "2026-13-40", "9999-12-31", "0001-01-01",
    "-", "..", "'", '"', "<script>", "%", "null", "[]", "{}", "ﾟ", "\u202e", "\ud7ff", " " * 3,
]  # fmt: skip

values = st.one_of(
    st.sampled_from(ODD),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=3000),
)
queries = st.lists(
    st.tuples(st.one_of(st.sampled_from(KEYS), st.text(max_size=12)), values), max_size=5
)

GET_PAGES = [(name, kwargs) for name, kwargs, _perm, method in MATRIX if method == "get"]


@pytest.fixture
def world(db, export_storage):
    account = AccountFactory(customer_number=CUSTOMER)
    SubscriptionFactory(account=account, order_id=ORDER)
    PaymentMethodFactory(account=account)
    credit_grant(
        actor=None,
        account=account,
        amount="10",
        credit_type="currency",
        currency="SEK",
        transaction_id=TRANSACTION,
    )
    ActivityEventFactory.create_batch(3, account=account)
    LegacyEntryFactory.create_batch(3, account=account)
    # A grant over Customer Service's limit, waiting for approval (its page is walked too).
    waiting = credit_request(
        actor=UserFactory(roles=[CUSTOMER_SERVICE]),
        operation="grant",
        account=account,
        amount="5000",
        credit_type="currency",
        currency="SEK",
        note="Goodwill after a long outage",
    )
    # A finished background download of a Finance user's (another user's answers 404).
    return {"approval": waiting.approval.pk, "own_export": _own_export(None)}


@pytest.fixture
def clients(world, make_user):
    """A client per role, each signed in once (administrators are staff, so they open the admin
    too)."""
    made = {}
    for role in ROLES:
        made[role] = VerifiedClient()
        made[role].force_login(make_user(role, is_staff=role == "System Administrator"))
    return made


def admin_lists() -> list[str]:
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]


def assert_no_server_error(client, url: str, query: list[tuple[str, str]]) -> None:
    response = client.get(f"{url}?{urlencode(query)}")
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)  # an error while streaming is a server error too
    assert response.status_code < 500, (url, query, response.status_code)


@pytest.mark.parametrize(("name", "kwargs"), GET_PAGES, ids=[name for name, _ in GET_PAGES])
def test_no_query_string_makes_a_page_fail(clients, world, name, kwargs):
    url = _url(world, name, kwargs)

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(query=queries)
    def check(query):
        for client in clients.values():
            assert_no_server_error(client, url, query)

    check()


@pytest.mark.parametrize("url", admin_lists())
def test_no_query_string_makes_an_admin_list_fail(clients, url):
    client = clients["System Administrator"]

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(query=queries)
    def check(query):
        assert_no_server_error(client, url, query)

    check()
