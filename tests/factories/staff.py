import factory
from django.contrib.auth.models import Group

from staff.models import Preferences, SavedView
from tests.factories.accounts import UserFactory


class PreferencesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Preferences

    user = factory.SubFactory(UserFactory)
    actor = factory.SelfAttribute("user")
    actor_name = factory.LazyAttribute(lambda p: p.user.get_username())
    time_zone = ""


class SavedViewFactory(factory.django.DjangoModelFactory):
    """A saved view as it was stored, possibly long ago: its query is not checked here (tests of
    stale views store queries that no longer fit the page)."""

    class Meta:
        model = SavedView

    actor = factory.SubFactory(UserFactory)
    actor_name = factory.LazyAttribute(lambda v: v.actor.get_username())
    page = "credit_activity"
    name = factory.Sequence(lambda n: f"View {n}")
    query = ""

    class Params:
        role = None

    shared_with = factory.LazyAttribute(
        lambda v: Group.objects.get(name=v.role) if v.role else None
    )
