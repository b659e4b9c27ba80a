"""The Recent Activity CSV: the events the timeline's filters match, every page, one row each,
formula-safe and recorded."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from activity.models import ActivityExport
from tests.activity.conftest import local
from tests.conftest import messages_of

pytestmark = pytest.mark.django_db


def export_url(account, query=""):
    base = reverse("activity:export", args=[account.customer_number])
    return f"{base}?{query}" if query else base


def read(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_the_file_has_one_row_per_event_with_time_id_type_category_actor_attributes(
    service_client, account, add_event
):
    event = add_event("email_sent", at=local(2026, 6, 1, hour=14, minute=5))
    response = service_client.get(export_url(account))
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="recent-activity-{account.customer_number}-'
    )
    header, *rows = read(response)
    assert header == [
        "Time (Europe/Stockholm)",
        "Unique ID",
        "Type",
        "Category",
        "Actor",
        "Attributes",
        "Message",
    ]
    assert rows == [
        [
            "2026-06-01T14:05:00+02:00",
            str(event.pk),
            "Email sent",
            "Communication",
            "System",
            "Subject: Your receipt; To: customer@example.com",
            "",
        ]
    ]


def test_the_file_keeps_the_filters_and_takes_every_page(service_client, account, add_event):
    for i in range(60):
        add_event(
            "email_sent" if i % 2 else "comment_added",
            at=local(2026, 6, 1) + dt.timedelta(minutes=i),
        )
    _header, *rows = read(service_client.get(export_url(account, "type=comment_added")))
    assert len(rows) == 30
    assert {row[2] for row in rows} == {"Comment Added"}
    times = [row[0] for row in rows]
    assert times == sorted(times, reverse=True)  # newest first, like the page


def test_a_cell_that_starts_like_a_formula_is_defused(service_client, account, add_event):
    add_event("comment_added", data={"comment": '=HYPERLINK("x")'})
    _header, row = read(service_client.get(export_url(account)))
    assert row[5] == 'Comment: =HYPERLINK("x")'  # starts with the label, so harmless
    add_event("email_sent", data={"subject": "@SUM(1)", "to": "a@example.com"}, actor_name="=cmd")
    _header, newest, _older = read(service_client.get(export_url(account)))
    assert newest[4] == "'=cmd"


def test_each_download_is_recorded_with_its_filters_and_rows(
    service_client, service_user, account, add_event
):
    add_event("email_sent")
    read(service_client.get(export_url(account, "type=email_sent&actor=system")))
    record = ActivityExport.objects.get()
    assert (record.actor, record.row_count) == (service_user, 1)
    assert record.filters == {
        "account": account.customer_number,
        "type": ["email_sent"],
        "actor": "system",
    }


def test_bad_filters_start_no_download_and_say_why(service_client, account):
    response = service_client.get(export_url(account, "date_from=soon"), follow=True)
    assert response.resolver_match.url_name == "recent"
    assert messages_of(response) == ["Download not started: From: Enter a valid date."]
    assert not ActivityExport.objects.exists()


def test_the_download_link_carries_the_page_filters(service_client, account):
    page = service_client.get(
        reverse("activity:recent", args=[account.customer_number]),
        {"type": "email_sent", "cursor": "x"},
    )
    assert f'href="{export_url(account, "type=email_sent")}"' in page.content.decode()
