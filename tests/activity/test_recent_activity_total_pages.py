"""Recent Activity's total on the page: on every page, the deep ones included, following the
filters and the events recorded from now on."""

import datetime as dt

import pytest

from activity.models import ActivityEvent
from activity.selectors import TimelineTotal
from tests.activity.conftest import local
from tests.activity.page_helpers import follow, pager_link, url

pytestmark = pytest.mark.django_db


def test_every_page_shows_the_total_the_deep_ones_too(service_client, account, add_event):
    for i in range(60):
        add_event(at=local(2026, 6, 1) + dt.timedelta(minutes=i))
    first = service_client.get(url(account))
    third = follow(
        service_client,
        account,
        pager_link(follow(service_client, account, pager_link(first, "next")), "next"),
    )
    for response in (first, third):
        html = response.content.decode()
        assert html.count('<span class="pager-total">60 events</span>') == 2  # top and bottom
        assert '<p class="match-count" role="status">60 events;' in html
    assert len(third.context["page"].events) == 10


def test_the_total_follows_the_filters(service_client, account, add_event):
    for day in range(1, 11):
        add_event("email_sent", at=local(2026, 6, day))
        add_event("comment_added", at=local(2026, 6, day), agent=True)
    response = service_client.get(url(account, type="comment_added", date_from="2026-06-04"))
    assert response.context["total"] == TimelineTotal(7)
    assert "7 events match these filters; 7 on this page." in response.content.decode()


def test_events_recorded_from_now_on_are_in_the_total(service_client, account):
    from activity.services import activity_record

    activity_record(account=account, type="credit_control_cycle_exited")
    assert service_client.get(url(account)).context["total"] == TimelineTotal(1)
    assert ActivityEvent.objects.count() == 1
