"""Every date filter takes the same days (core.dates.FIRST_DAY..LAST_DAY), and a day outside
them is a clear field error everywhere — page, CSV, API — never a 500 or an empty file."""

import pytest
from django.urls import reverse

from activity.models import ActivityExport
from core.dates import DAY_OUT_OF_RANGE
from credits.models import CreditExport
from staff.models import StaffActivityExport
from tests.factories import AccountFactory, ActivityEventFactory

pytestmark = pytest.mark.django_db

OUTSIDE = ["0001-01-01", "1899-12-31", "3000-01-01", "9999-12-31"]
CUSTOMER = "660001"


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("System Administrator", is_staff=True))
    return client


@pytest.fixture
def account():
    account = AccountFactory(customer_number=CUSTOMER)
    ActivityEventFactory(account=account)
    return account


PAGES = [
    ("activity:recent", {"customer_number": CUSTOMER}, "date_from"),
    ("activity:recent", {"customer_number": CUSTOMER}, "date_to"),
    ("credits:activity", {}, "created_from"),
    ("credits:activity", {}, "created_to"),
    ("staff:activity", {}, "date_from"),
    ("credits:balances", {}, "date_from"),
]


@pytest.mark.parametrize("day", OUTSIDE)
@pytest.mark.parametrize(("name", "kwargs", "field"), PAGES)
def test_a_page_explains_a_day_outside_the_range(admin_client, account, name, kwargs, field, day):
    query = {field: day}
    if name == "credits:balances":
        query["date_to"] = "2026-01-31"
    response = admin_client.get(reverse(name, kwargs=kwargs), query)

    assert response.status_code == 200
    assert DAY_OUT_OF_RANGE in response.content.decode()


@pytest.mark.parametrize(
    ("name", "kwargs", "field", "record"),
    [
        ("activity:export", {"customer_number": CUSTOMER}, "date_from", ActivityExport),
        ("credits:export", {}, "created_from", CreditExport),
        ("staff:export", {}, "date_from", StaffActivityExport),
    ],
)
def test_a_csv_with_a_day_outside_the_range_starts_no_download(
    admin_client, account, name, kwargs, field, record
):
    response = admin_client.get(reverse(name, kwargs=kwargs), {field: "0001-01-01"}, follow=True)

    assert response["Content-Type"].startswith("text/html")
    assert DAY_OUT_OF_RANGE in response.content.decode()
    assert not record.objects.exists()


@pytest.mark.parametrize(
    ("address", "field"),
    [
        (f"/api/v1/accounts/{CUSTOMER}/events/", "date_from"),
        (f"/api/v1/accounts/{CUSTOMER}/credit-entries/", "created_from"),
    ],
)
def test_the_api_answers_a_field_error(api, account, address, field):
    response = api.get(address, {field: "0001-01-01"})

    assert response.status_code == 400
    assert response.json() == {field: [DAY_OUT_OF_RANGE]}


@pytest.mark.parametrize("day", ["1900-01-01", "2999-12-31"])
def test_the_ends_of_the_range_are_days_like_any_other(admin_client, account, day):
    for field in ("date_from", "date_to"):
        response = admin_client.get(
            reverse("activity:recent", kwargs={"customer_number": CUSTOMER}), {field: day}
        )
        assert response.status_code == 200
        assert DAY_OUT_OF_RANGE not in response.content.decode()
