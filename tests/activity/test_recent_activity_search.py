"""Search inside one account's timeline: the words of comments and of the events' details,
whatever their case and accents, with the other filters; the matches counted (up to a cap) and
marked; every page the same as the ordered list of matches; bad searches refused clearly."""

import datetime as dt

import pytest

from activity import selectors
from activity.filters import SEARCH_MAX_LENGTH
from activity.selectors import events_for_account, search_events, search_page
from activity.templatetags.activity_tags import marked
from tests.factories import AccountFactory

from .test_recent_activity_paging import PAGE_QUERY_BUDGET

pytestmark = pytest.mark.django_db


def url(account, **query):
    from urllib.parse import urlencode

    return f"/accounts/{account.customer_number}/activity/?{urlencode(query, doseq=True)}"


def at(day, hour=12) -> dt.datetime:
    return dt.datetime(2026, 5, day, hour, tzinfo=dt.UTC)


@pytest.fixture
def history(account, add_event):
    events = {
        "malmo": add_event("comment_added", at(2), data={"comment": "Flyttar till Malmö i juni"}),
        "receipt": add_event("email_sent", at(3)),  # subject "Your receipt"
        "plus": add_event("subscription_billing_success", at(4)),  # product "Digital Plus"
        "other": add_event("comment_added", at(5), data={"comment": "Asked about invoices"}),
    }
    AccountFactory(customer_number="700002")  # another account's events never match
    return events


def found(account, term, **filters):
    events = search_events(events_for_account(account).filter(**filters), term)
    return {e.pk for e in events}


def test_a_word_of_a_comment_is_found_whatever_its_case_and_accents(account, history):
    assert found(account, "malmö") == {history["malmo"].pk}
    assert found(account, "MALMO") == {history["malmo"].pk}
    assert found(account, "till malm") == {history["malmo"].pk}


def test_attribute_values_are_found_but_not_their_names(account, history):
    assert found(account, "receipt") == {history["receipt"].pk}
    assert found(account, "digital plus") == {history["plus"].pk}
    assert found(account, "subject") == set()


def test_search_characters_are_text_not_patterns(account, history, add_event):
    add_event("comment_added", at(6), data={"comment": "Refund of 100% approved"})
    assert len(found(account, "100%")) == 1
    assert found(account, "%") != found(account, "")
    assert found(account, "_") == set()


def test_the_page_counts_and_marks_the_matches(service_client, account, history):
    response = service_client.get(url(account, q="malmo"))
    assert response.status_code == 200
    assert str(response.context["total"]) == "1 event"
    body = response.content.decode()
    assert "<mark>Malmö</mark>" in body
    assert "Asked about invoices" not in body


def test_search_goes_with_the_type_and_date_filters(service_client, account, history):
    response = service_client.get(url(account, q="a", type=["comment_added"], date_to="2026-05-02"))
    assert [e.pk for e in response.context["page"].events] == [history["malmo"].pk]


def test_every_page_of_many_matches_is_the_ordered_list_in_both_ways(
    account, add_event, monkeypatch
):
    made = [
        add_event("comment_added", at(1 + n % 28, n % 24), data={"comment": f"Call {n}"})
        for n in range(60)
    ]
    expected = sorted(made, key=lambda e: (e.occurred_at, e.pk), reverse=True)
    events = search_events(events_for_account(account), "call")
    for cap in (1000, 10):  # the matches in memory, then too many: the index newest first
        monkeypatch.setattr(selectors, "SEARCH_CAP", cap)
        seen, cursor = [], None
        while True:
            page, total = search_page(events, cursor)
            seen += page.events
            if not page.older_cursor:
                break
            cursor = page.older_cursor
        assert seen == expected
        assert (total.count, total.more) == ((60, False) if cap == 1000 else (10, True))
        back, _ = search_page(events, page.newer_cursor)
        assert back.events == expected[25:50]


def test_the_probe_sends_the_keys_up_to_the_cap_and_past_it_only_how_many(
    account, add_event, monkeypatch
):
    made = [add_event("comment_added", at(1 + n), data={"comment": f"Probe {n}"}) for n in range(4)]
    events = search_events(events_for_account(account), "probe")
    monkeypatch.setattr(selectors, "SEARCH_CAP", 4)
    count, keys = selectors._search_probe(events)
    assert count == 4
    assert sorted(keys) == sorted((e.occurred_at, e.pk) for e in made)
    monkeypatch.setattr(selectors, "SEARCH_CAP", 3)
    assert selectors._search_probe(events) == (4, [])  # the cap and one: only the count
    assert selectors._search_probe(search_events(events_for_account(account), "zqxv")) == (0, [])
    assert selectors._search_probe(events.filter(type__in=[])) == (0, [])


def test_a_capped_total_says_so(service_client, account, add_event, monkeypatch):
    monkeypatch.setattr(selectors, "SEARCH_CAP", 2)
    for day in (1, 2, 3):
        add_event("comment_added", at(day), data={"comment": "Same words"})
    response = service_client.get(url(account, q="same"))
    assert "2+ events match these filters; 3 on this page." in response.content.decode()


def test_a_search_keeps_the_page_query_budget(
    service_client, account, history, django_assert_max_num_queries
):
    with django_assert_max_num_queries(PAGE_QUERY_BUDGET):
        assert service_client.get(url(account, q="receipt")).status_code == 200


def test_a_search_too_long_is_refused_clearly(service_client, account, history):
    response = service_client.get(url(account, q="x" * (SEARCH_MAX_LENGTH + 1)))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Search events: Ensure this value has at most 200 characters" in body
    assert "Nothing is shown until the filters above are corrected." in body


def test_marking_escapes_and_keeps_line_breaks():
    assert marked("<b>Malmö</b>\nnext", "malmo") == "&lt;b&gt;<mark>Malmö</mark>&lt;/b&gt;<br>next"
    assert marked("nothing here", "zz") == "nothing here"
    assert marked("a & b", "") == "a &amp; b"
