import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from activity.models import ActivityEvent
from tests.factories import AccountFactory, ActivityEventFactory

STOCKHOLM = ZoneInfo("Europe/Stockholm")

# Valid attributes for the types these tests use (the factory stores what it is given).
SAMPLE_DATA = {
    "email_sent": {"subject": "Your receipt", "to": "customer@example.com"},
    "comment_added": {"comment": "Called the customer."},
    "subscription_billing_success": {"product": "Digital Plus", "order_id": "ORD-1"},
    "credit_control_cycle_entered": {"dibs_response_code": "51"},
    "credit_control_cycle_exited": {},
    "new_customer_created": {},
}


def local(year, month, day, hour=12, minute=0) -> dt.datetime:
    """A moment in the site's time zone."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM)


@pytest.fixture
def account(db):
    return AccountFactory(customer_number="700001")


def make_event(account, type="email_sent", at=None, *, agent=False, **kwargs) -> ActivityEvent:
    """An event on `account`, stored as the service would (by an agent when `agent`)."""
    fields = {"account": account, "type": type, "data": SAMPLE_DATA[type], **kwargs}
    if at is not None:
        fields["occurred_at"] = at
    if agent:
        fields.update(
            actor_kind=ActivityEvent.ActorKind.AGENT,
            actor_name="Sara Lind",
            origin=ActivityEvent.Origin.AGENT,
        )
    return ActivityEventFactory(**fields)


@pytest.fixture
def add_event(account):
    """add_event(type, at, agent=False) -> an event on `account`, stored as the service would."""

    def add(type="email_sent", at=None, *, agent=False, on=None, **kwargs):
        return make_event(on or account, type, at, agent=agent, **kwargs)

    return add
