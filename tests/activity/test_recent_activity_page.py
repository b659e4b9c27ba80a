"""The Recent Activity page: what it shows, in order and grouped by day, its comments, and
working with the timeline (IDs, links, one order, chips, jumps)."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from activity.models import ActivityEvent
from activity.registry import MAX_TEXT_LENGTH
from activity.selectors import PAGE_SIZE
from config import roles
from tests.activity.conftest import local
from tests.activity.page_helpers import follow, pager_link, shown, url
from tests.conftest import messages_of
from tests.factories import AccountFactory, ActivityEventFactory

pytestmark = pytest.mark.django_db


# --- What the page shows ----------------------------------------------------------------------


def test_events_are_shown_newest_first(service_client, account, add_event):
    middle = add_event(at=local(2026, 6, 2))
    newest = add_event(at=local(2026, 6, 3))
    oldest = add_event(at=local(2026, 6, 1))
    assert shown(service_client.get(url(account))) == [newest.pk, middle.pk, oldest.pk]


def test_only_the_accounts_own_events_are_shown(service_client, account, add_event):
    own = add_event()
    add_event(on=AccountFactory())
    assert shown(service_client.get(url(account))) == [own.pk]


def test_events_are_grouped_by_local_day(service_client, account, add_event):
    # 23:30 UTC on 1 June is 01:30 on 2 June in Stockholm (summer time, UTC+2).
    late = add_event(at=dt.datetime(2026, 6, 1, 23, 30, tzinfo=dt.UTC))
    evening = add_event(at=dt.datetime(2026, 6, 1, 21, 0, tzinfo=dt.UTC))
    response = service_client.get(url(account))
    days = [(day, [e.pk for e in events]) for day, events in response.context["page"].days]
    assert days == [(dt.date(2026, 6, 2), [late.pk]), (dt.date(2026, 6, 1), [evening.pk])]
    # Day headings sit under the page's h1, so they are h2 (h3 in the account page's panel).
    headings = re.findall(r'<h2 class="day-head">([^<]+)</h2>', response.content.decode())
    assert headings == ["Tuesday 2 June 2026", "Monday 1 June 2026"]


def test_item_shows_title_category_actor_local_time_and_labelled_attributes(
    service_client, account, add_event
):
    add_event("email_sent", at=local(2026, 6, 1, 14, 5))
    content = service_client.get(url(account)).content.decode()
    item = re.search(r'<li class="event" data-type="email_sent"[^>]*>.*?</li>', content, re.S)[0]
    assert '<span class="event-title">Email sent</span>' in item
    assert '<span class="badge cat-communication">Communication</span>' in item
    assert '>14:05</time> · <span class="actor">System</span>' in item
    assert "<dt>Subject</dt>" in item and "<dd>Your receipt</dd>" in item
    assert "<dt>To</dt>" in item and "<dd>customer@example.com</dd>" in item


def test_agent_event_shows_the_agents_name_and_username(service_client, account, agent):
    from activity.services import comment_add

    comment_add(actor=agent, account=account, text="Called the customer.")
    content = service_client.get(url(account)).content.decode()
    assert f'<span class="actor">Sara Lind <span class="username">({agent.username})' in content


def test_page_links_to_legacy_mode(service_client, account):
    content = service_client.get(url(account)).content.decode()
    assert ">View in Legacy mode</a>" in content


def test_unknown_account_is_not_found(service_client):
    response = service_client.get(reverse("activity:recent", args=["no-such-customer"]))
    assert response.status_code == 404


def test_account_page_shows_the_ten_newest_events(service_client, account, add_event):
    for i in range(12):
        add_event(at=local(2026, 6, 1, 8, i))
    response = service_client.get(reverse("accounts:detail", args=[account.customer_number]))
    content = response.content.decode()
    assert content.count('<li class="event"') == 10
    assert ">08:11</time>" in content
    assert ">08:01</time>" not in content
    assert "Filter and see all activity" in content


# --- Comments ------------------------------------------------------------------------------------


def comment_url(account) -> str:
    return reverse("activity:comment", args=[account.customer_number])


def test_comment_is_added_by_the_signed_in_agent(service_client, service_user, account):
    response = service_client.post(comment_url(account), {"comment": "Called about the invoice."})
    assert response.status_code == 302
    event = ActivityEvent.objects.get(account=account)
    assert (event.type, event.data, event.actor) == (
        "comment_added",
        {"comment": "Called about the invoice."},
        service_user,
    )


def test_comment_returns_to_the_page_it_was_written_on(service_client, account):
    back = url(account, type="comment_added")
    response = service_client.post(comment_url(account), {"comment": "A note.", "next": back})
    assert response.url == back


def test_comment_never_returns_to_another_site(service_client, account):
    response = service_client.post(
        comment_url(account), {"comment": "A note.", "next": "https://evil.example/"}
    )
    assert response.url == account.get_absolute_url()


def test_comment_success_is_announced(service_client, account):
    response = service_client.post(comment_url(account), {"comment": "A note."}, follow=True)
    assert messages_of(response) == ["Comment added."]


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_comment_is_refused_with_a_message(service_client, account, text):
    response = service_client.post(comment_url(account), {"comment": text}, follow=True)
    assert messages_of(response) == ["Comment not saved: This field is required."]
    assert not ActivityEvent.objects.exists()


def test_overlong_comment_is_refused_with_a_message(service_client, account):
    response = service_client.post(
        comment_url(account), {"comment": "x" * (MAX_TEXT_LENGTH + 1)}, follow=True
    )
    assert response.status_code == 200
    assert messages_of(response) == [
        f"Comment not saved: Ensure this value has at most {MAX_TEXT_LENGTH} characters "
        f"(it has {MAX_TEXT_LENGTH + 1})."
    ]
    assert not ActivityEvent.objects.exists()


def test_comment_form_is_offered_to_those_who_may_comment(service_client, account):
    content = service_client.get(url(account)).content.decode()
    assert f'action="{comment_url(account)}"' in content


def test_comment_form_is_not_offered_to_finance(client, make_user, account):
    client.force_login(make_user(roles.FINANCE))
    content = client.get(url(account)).content.decode()
    assert f'action="{comment_url(account)}"' not in content


# --- Working with the timeline: IDs, links, order, chips, jumps, the CSV -----------------------


def test_each_event_shows_its_unique_id_with_a_copy_button(service_client, account, add_event):
    event = add_event("email_sent")
    content = service_client.get(url(account)).content.decode()
    assert f'<code id="id-{event.pk}">{event.pk}</code>' in content
    assert f'data-copy="id-{event.pk}"' in content


def test_order_ids_link_to_the_subscription_and_transactions_to_their_page(
    client, make_user, account
):
    from credits.services import credit_grant, manual_charge
    from tests.factories import SubscriptionFactory

    SubscriptionFactory(account=account, order_id="ORD-1")
    finance = make_user("Finance")
    credit_grant(actor=None, account=account, amount="5", credit_type="currency", currency="SEK")
    charge = manual_charge(
        actor=finance, account=account, amount="20", currency="SEK", note="Lost card"
    )
    ActivityEventFactory(
        account=account,
        type="subscription_billing_success",
        data={"product": "Digital Plus", "order_id": "ORD-1"},
    )
    client.force_login(finance)
    content = client.get(url(account)).content.decode()
    assert f'<a href="{account.get_absolute_url()}#subscription-ORD-1">ORD-1</a>' in content
    transaction = charge.event.data["transaction_id"]
    assert f'<a href="/credits/transactions/{transaction}/">{transaction}</a>' in content


def test_events_of_the_same_time_keep_one_order_across_pages_and_loads(
    service_client, account, add_event
):
    same = local(2026, 6, 1)
    events = [add_event("email_sent", at=same) for _ in range(PAGE_SIZE + 7)]
    first = service_client.get(url(account))
    second = follow(service_client, account, pager_link(first, "next"))
    ordered = shown(first) + shown(second)
    assert sorted(ordered) == sorted(e.pk for e in events)  # each once
    assert shown(service_client.get(url(account))) == shown(first)  # the same order again
    assert ordered == sorted(ordered, reverse=True)


def test_active_filters_show_as_chips_that_remove_themselves(service_client, account, add_event):
    add_event("email_sent")
    response = service_client.get(
        url(account, type=["email_sent", "comment_added"], date_from="2026-01-01")
    )
    chips = response.context["chips"]
    assert [c["label"] for c in chips] == ["From 2026-01-01", "Email sent", "Comment Added"]
    assert chips[1]["remove"] == "type=comment_added&date_from=2026-01-01"
    assert "1 event matches these filters; 1 on this page." in response.content.decode()


def test_jump_to_a_date_shows_the_page_that_starts_there(service_client, account, add_event):
    for day in range(1, 11):
        add_event("email_sent", at=local(2026, 6, day))
    response = service_client.get(url(account, jump="2026-06-04"), follow=True)
    days = [day for day, _events in response.context["page"].days]
    assert days[0] == dt.date(2026, 6, 4)
    assert response.redirect_chain[0][0].startswith(url(account) + "?cursor=")


@pytest.mark.parametrize(
    ("jump", "first_day"),
    [("1900-01-01", dt.date(2026, 6, 1)), ("0001-01-01", dt.date(2026, 6, 1))],
)
def test_a_jump_before_every_event_shows_the_oldest_page_with_a_way_back(
    service_client, account, add_event, jump, first_day
):
    for day in range(1, 31):
        add_event("email_sent", at=local(2026, 6, day))
    response = service_client.get(url(account, jump=jump), follow=True)
    days = [day for day, _events in response.context["page"].days]
    assert days[-1] == first_day
    html = response.content.decode()
    assert "← Newer" in html and "⇤ Newest" in html
    assert not messages_of(response)


@pytest.mark.parametrize("jump", ["9999-12-31", "2999-01-01"])
def test_a_jump_past_today_shows_the_newest_page(service_client, account, add_event, jump):
    for day in range(1, 31):
        add_event("email_sent", at=local(2026, 6, day))
    response = service_client.get(url(account, jump=jump), follow=True)
    days = [day for day, _events in response.context["page"].days]
    assert days[0] == dt.date(2026, 6, 30)
    assert not messages_of(response)
    assert "⇤ Newest" not in response.content.decode()  # it is the newest page


def test_a_bad_jump_date_says_so(service_client, account):
    response = service_client.get(url(account, jump="soon"), follow=True)
    assert messages_of(response) == ["“soon” is not a date: give the day to jump to as YYYY-MM-DD."]


def test_oldest_shows_the_first_events_and_no_older_link(service_client, account, add_event):
    events = [
        add_event("email_sent", at=local(2026, 6, 1, hour=1) + dt.timedelta(minutes=i))
        for i in range(PAGE_SIZE + 3)
    ]
    from activity.selectors import OLDEST_CURSOR

    response = service_client.get(url(account, cursor=OLDEST_CURSOR))
    assert shown(response)[-1] == events[0].pk
    assert len(shown(response)) == PAGE_SIZE
    assert response.context["page"].older_cursor is None
    assert response.context["page"].newer_cursor is not None


def test_a_comment_keeps_its_lines(service_client, account):
    service_client.post(
        comment_url(account),
        {"comment": "Called the customer.\r\nShe asks for a call back <Monday>."},
    )

    html = service_client.get(reverse("activity:recent", args=[account.customer_number]))
    assert (
        "Called the customer.<br>She asks for a call back &lt;Monday&gt;." in html.content.decode()
    )


def test_an_invalid_filter_is_not_shown_as_an_empty_timeline(service_client, account):
    from tests.factories import ActivityEventFactory

    ActivityEventFactory(account=account)
    response = service_client.get(
        reverse("activity:recent", args=[account.customer_number]), {"date_from": "2026-13-01"}
    )
    html = response.content.decode()

    assert "Nothing is shown until the filters above are corrected." in html
    assert "No activity matches." not in html
    assert "Download CSV" not in html
    assert response.context["total"] is None
    assert "pager-total" not in html and "match-count" not in html
