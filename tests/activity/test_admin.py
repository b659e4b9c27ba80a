"""The timeline in the admin: 24-hour times like the pages, types filtered by their titles."""

import pytest

from tests.activity.conftest import local

pytestmark = pytest.mark.django_db


def test_the_event_list_shows_24_hour_times_and_filters_types_by_title(
    admin_client, account, add_event
):
    add_event("email_sent", at=local(2026, 6, 1, hour=16, minute=30))
    add_event("comment_added", at=local(2026, 6, 1, hour=9))
    html = admin_client.get("/admin/activity/activityevent/").content.decode()
    assert "2026-06-01 16:30" in html and "p.m." not in html
    assert ">Subscription Cancellation Withdrawn</a>" in html  # a title in the filter
    filtered = admin_client.get("/admin/activity/activityevent/?type=email_sent")
    assert filtered.context["cl"].result_count == 1
