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
# user's and the groups' permissions, the account, the access log's one insert, the count of
# entries and one page of them: the same whatever the number of entries (7 before the log).
PAGE_QUERY_BUDGET = 8


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


def test_sorting_is_not_offered(agent_client, karin):
    LegacyEntryFactory.create_batch(2, account=karin)
    page = agent_client.get(url(karin, sort="producer")).content.decode()
    assert "sort=" not in page


def test_the_days_and_types_filter_as_on_recent_activity(agent_client, karin):
    LegacyEntryFactory(account=karin, source_id="EARLY", type="voucher", created_at=at(1))
    LegacyEntryFactory(account=karin, source_id="VOUCHER", type="voucher", created_at=at(3))
    LegacyEntryFactory(account=karin, source_id="ORDER", type="order", created_at=at(3))
    LegacyEntryFactory(account=karin, source_id="LATE", type="voucher", created_at=at(9))

    response = agent_client.get(url(karin, date_from="2019-05-02", date_to="2019-05-05"))
    assert listed(response) == ["ORDER", "VOUCHER"] or listed(response) == ["VOUCHER", "ORDER"]
    typed = agent_client.get(url(karin, type="voucher", date_from="2019-05-02"))
    assert listed(typed) == ["LATE", "VOUCHER"]
    assert "Download CSV" in typed.content.decode()


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"date_from": "0001-01-01"}, "1900-01-01"),
        ({"date_from": "2019-05-09", "date_to": "2019-05-01"}, "The end date is before the start"),
        ({"type": "nonsense"}, "Select a valid choice"),
    ],
)
def test_a_bad_filter_is_explained_shows_nothing_and_offers_no_csv(
    agent_client, karin, query, error
):
    LegacyEntryFactory(account=karin, created_at=at(3))

    response = agent_client.get(url(karin, **query))

    assert response.status_code == 200
    html = response.content.decode()
    assert error in html
    assert "Nothing is shown until the filters above are corrected." in html
    assert "Download CSV" not in html


def test_the_csv_holds_every_filtered_entry_and_the_download_is_recorded(agent_client, karin, olle):
    from legacy_history.models import LegacyExport

    for day in range(1, 29):
        LegacyEntryFactory(
            account=karin,
            source_id=f"V{day:02d}",
            type="voucher",
            message=f"=HYPERLINK(day {day})" if day == 5 else "Voucher applied.",
            producer="System",
            created_at=at(day),
        )
    LegacyEntryFactory(account=karin, source_id="ORDER", type="order", created_at=at(4))
    LegacyEntryFactory(account=olle, source_id="OLLE", type="voucher", created_at=at(4))
    export = reverse("legacy_history:export", args=[karin.customer_number])

    response = agent_client.get(export + "?type=voucher&date_from=2019-05-02")

    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.strip().split("\n")
    assert lines[0].startswith("Created (")
    assert [line.split(",")[1] for line in lines[1:]] == [f"V{d:02d}" for d in range(28, 1, -1)]
    assert "'=HYPERLINK(day 5)" in text  # guarded against being read as a formula
    assert ",Voucher,Voucher applied.,System," in text
    record = LegacyExport.objects.get()
    assert record.row_count == 27
    assert record.filters == {
        "account": karin.customer_number,
        "type": "voucher",
        "date_from": "2019-05-02",
    }


def test_a_bad_filter_starts_no_download(agent_client, karin):
    from legacy_history.models import LegacyExport

    export = reverse("legacy_history:export", args=[karin.customer_number])
    response = agent_client.get(export + "?date_from=0001-01-01", follow=True)

    assert any(m.startswith("Download not started: From:") for m in messages_of(response))
    assert not LegacyExport.objects.exists()


@pytest.mark.parametrize("entries", [1, 60])
def test_the_page_has_a_fixed_query_budget(
    agent_client, karin, entries, django_assert_max_num_queries
):
    LegacyEntryFactory.create_batch(entries, account=karin)
    with django_assert_max_num_queries(PAGE_QUERY_BUDGET):
        assert agent_client.get(url(karin, page=2 if entries > 25 else 1)).status_code == 200


def test_the_search_finds_words_of_the_old_messages_and_marks_them(
    agent_client, karin, olle, django_assert_max_num_queries
):
    LegacyEntryFactory(account=karin, source_id="VOUCHER", message="Gift voucher for Malmö")
    LegacyEntryFactory(account=karin, source_id="ORDER", message="Order <b>shipped</b>")
    LegacyEntryFactory(account=olle, source_id="OTHER", message="Gift voucher too")

    with django_assert_max_num_queries(PAGE_QUERY_BUDGET):
        response = agent_client.get(url(karin, q="MALMO"))
    assert listed(response) == ["VOUCHER"]
    body = response.content.decode()
    assert "Gift voucher for <mark>Malmö</mark>" in body
    assert listed(agent_client.get(url(karin, q="gift"))) == ["VOUCHER"]
    shipped = agent_client.get(url(karin, q="shipped")).content.decode()
    assert "Order &lt;b&gt;<mark>shipped</mark>&lt;/b&gt;" in shipped


def test_a_search_too_long_is_explained_and_shows_nothing(agent_client, karin):
    LegacyEntryFactory(account=karin, message="Gift voucher")
    response = agent_client.get(url(karin, q="x" * 201))
    body = response.content.decode()
    assert "Search messages: Ensure this value has at most 200 characters" in body
    assert "Nothing is shown until the filters above are corrected." in body
