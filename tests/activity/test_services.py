"""The recording service: who the actor is, what is stored, and the agent's comment."""

import datetime as dt
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from activity.models import ActivityEvent
from activity.registry import MAX_TEXT_LENGTH
from activity.services import activity_record, activity_record_bulk, comment_add
from config import roles
from core.actors import Actor
from tests.factories import SubscriptionFactory

pytestmark = pytest.mark.django_db


def test_event_with_a_user_is_an_agents_event_with_the_users_name(account, agent):
    event = activity_record(account=account, type="credit_control_cycle_exited", actor=agent)
    event.refresh_from_db()
    assert (event.actor, event.actor_kind, event.actor_name, event.origin) == (
        agent,
        "agent",
        "Sara Lind",
        "agent",
    )


def test_event_of_a_user_without_a_full_name_shows_the_username(account, make_user):
    user = make_user(roles.CUSTOMER_SERVICE, username="nameless", first_name="", last_name="")
    event = activity_record(account=account, type="credit_control_cycle_exited", actor=user)
    assert event.actor_name == "nameless"


def test_event_without_a_user_is_a_system_event(account):
    event = activity_record(account=account, type="credit_control_cycle_exited")
    event.refresh_from_db()
    assert (event.actor, event.actor_kind, event.actor_name, event.origin) == (
        None,
        "system",
        "System",
        "system",
    )


def test_integration_label_is_shown_as_the_actor(account):
    event = activity_record(
        account=account, type="credit_control_cycle_exited", actor=Actor.integration("DIBS")
    )
    assert (event.actor_kind, event.actor_name) == ("system", "DIBS")


def test_person_without_a_user_may_be_named_as_an_agent(account):
    event = activity_record(
        account=account,
        type="credit_control_cycle_exited",
        actor=Actor.named("Former Colleague"),
        origin=ActivityEvent.Origin.LEGACY,
    )
    assert (event.actor, event.actor_kind, event.actor_name) == (None, "agent", "Former Colleague")


def test_an_anonymous_user_is_refused_as_the_actor(account):
    with pytest.raises(ValidationError) as exc_info:
        activity_record(account=account, type="credit_control_cycle_exited", actor=AnonymousUser())
    assert list(exc_info.value.message_dict) == ["actor"]
    assert not ActivityEvent.objects.exists()


def test_actor_name_survives_the_users_deletion(account, agent):
    event = activity_record(account=account, type="credit_control_cycle_exited", actor=agent)
    agent.delete()
    event = ActivityEvent.objects.get(pk=event.pk)
    assert event.actor_name == "Sara Lind"


def test_caller_supplied_id_is_the_events_unique_id(account):
    event_id = uuid.uuid4()
    activity_record(account=account, type="credit_control_cycle_exited", id=event_id)
    assert ActivityEvent.objects.get().pk == event_id


def test_occurred_at_is_kept_as_given(account):
    at = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    event = activity_record(account=account, type="credit_control_cycle_exited", occurred_at=at)
    event.refresh_from_db()
    assert event.occurred_at == at


def test_event_may_name_its_subscription(account):
    subscription = SubscriptionFactory(account=account)
    event = activity_record(
        account=account,
        type="entitlements_refreshed",
        subscription=subscription,
        data={"product": subscription.product.name, "order_id": subscription.order_id},
    )
    assert ActivityEvent.objects.get(pk=event.pk).subscription == subscription


def test_bulk_stores_every_event(account):
    events = activity_record_bulk(
        events=[{"account": account, "type": "credit_control_cycle_exited"} for _ in range(3)]
    )
    assert ActivityEvent.objects.filter(pk__in=[e.pk for e in events]).count() == 3


# --- Comments -----------------------------------------------------------------------------------


def test_comment_is_recorded_with_its_author(account, agent):
    event = comment_add(actor=agent, account=account, text="  Called about the invoice.  ")
    event.refresh_from_db()
    assert (event.type, event.data, event.actor, event.actor_name) == (
        "comment_added",
        {"comment": "Called about the invoice."},
        agent,
        "Sara Lind",
    )


def test_empty_comment_is_refused(account, agent):
    with pytest.raises(ValidationError, match="Write a comment"):
        comment_add(actor=agent, account=account, text="   ")
    assert not ActivityEvent.objects.exists()


def test_overlong_comment_is_refused(account, agent):
    with pytest.raises(ValidationError) as exc_info:
        comment_add(actor=agent, account=account, text="x" * (MAX_TEXT_LENGTH + 1))
    assert list(exc_info.value.message_dict) == ["attributes.comment"]
    assert not ActivityEvent.objects.exists()
