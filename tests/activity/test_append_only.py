"""Events are append-only: PostgreSQL refuses UPDATE and DELETE, except on the anonymisation path;
the admin shows them and changes none."""

import pgtrigger
import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse

from activity.models import APPEND_ONLY_TRIGGER, ActivityEvent
from tests.factories import ActivityEventFactory

# The trigger's RAISE EXCEPTION reaches Django as a DatabaseError subclass (ProgrammingError with
# psycopg 3); the message is the trigger's own.
REFUSED = "Cannot update or delete rows from activity_activityevent"

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return ActivityEventFactory(data={"subject": "Your receipt", "to": "a@example.com"})


def test_saving_a_changed_event_is_refused_by_the_database(event):
    event.actor_name = "Someone else"
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        event.save(update_fields=["actor_name"])
    event.refresh_from_db()
    assert event.actor_name == "System"


def test_queryset_update_is_refused_by_the_database(event):
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        ActivityEvent.objects.filter(pk=event.pk).update(data={})
    event.refresh_from_db()
    assert event.data == {"subject": "Your receipt", "to": "a@example.com"}


def test_sql_delete_of_an_event_is_refused_by_the_database(event):
    with (
        pytest.raises(DatabaseError, match=REFUSED),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM activity_activityevent WHERE id = %s", [event.pk])
    assert ActivityEvent.objects.filter(pk=event.pk).exists()


# Deleting through the ORM first asks the models that point at events (their on_delete), so the
# error may come from there; what matters is that the event stays.
def test_deleting_an_event_through_the_orm_fails_and_keeps_it(event):
    with pytest.raises(DatabaseError), transaction.atomic():
        event.delete()
    assert ActivityEvent.objects.filter(pk=event.pk).exists()


def test_queryset_delete_fails_and_keeps_every_event(event):
    with pytest.raises(DatabaseError), transaction.atomic():
        ActivityEvent.objects.all().delete()
    assert ActivityEvent.objects.count() == 1


def test_anonymisation_path_may_redact_an_event_in_place(event):
    with pgtrigger.ignore(APPEND_ONLY_TRIGGER):
        ActivityEvent.objects.filter(pk=event.pk).update(data={"subject": "Redacted", "to": "-"})
    event.refresh_from_db()
    assert event.data == {"subject": "Redacted", "to": "-"}


# --- Admin --------------------------------------------------------------------------------------


def test_admin_lists_events(admin_client, event):
    response = admin_client.get(reverse("admin:activity_activityevent_changelist"))
    assert response.status_code == 200
    assert event.account.customer_number in response.content.decode()


def test_admin_search_by_customer_number_finds_the_accounts_events(admin_client, event):
    other = ActivityEventFactory()
    url = reverse("admin:activity_activityevent_changelist")
    response = admin_client.get(url, {"q": event.account.customer_number})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [event]
    assert other not in response.context["cl"].result_list


def test_admin_shows_an_event_read_only(admin_client, event):
    url = reverse("admin:activity_activityevent_change", args=[event.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert 'name="_save"' not in response.content.decode()


def test_admin_post_to_an_event_changes_nothing(admin_client, event):
    url = reverse("admin:activity_activityevent_change", args=[event.pk])
    response = admin_client.post(url, {"actor_name": "Edited", "type": "comment_added"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.actor_name == "System"


def test_admin_cannot_add_events(admin_client):
    assert admin_client.get(reverse("admin:activity_activityevent_add")).status_code == 403


def test_admin_cannot_delete_events(admin_client, event):
    url = reverse("admin:activity_activityevent_delete", args=[event.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert ActivityEvent.objects.filter(pk=event.pk).exists()
