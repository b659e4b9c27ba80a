import datetime as dt
import uuid

import factory

from activity.models import ActivityEvent
from activity.services import activity_store_built
from tests.factories.accounts import AccountFactory


class ActivityEventFactory(factory.django.DjangoModelFactory):
    """An event stored as the recording service would store it (a System e-mail by default):
    through the services' insert, which counts it into its month (Recent Activity's totals)."""

    class Meta:
        model = ActivityEvent

    id = factory.LazyFunction(uuid.uuid4)
    account = factory.SubFactory(AccountFactory)
    type = "email_sent"
    occurred_at = factory.Sequence(
        lambda n: dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=n)
    )
    actor_kind = ActivityEvent.ActorKind.SYSTEM
    actor_name = "System"
    origin = ActivityEvent.Origin.SYSTEM
    data = factory.LazyAttribute(
        lambda e: (
            {"subject": "Your receipt", "to": e.account.email} if e.type == "email_sent" else {}
        )
    )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        (event,) = activity_store_built(events=[model_class(*args, **kwargs)])
        return event
