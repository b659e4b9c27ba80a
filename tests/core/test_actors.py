"""Who did it: the one value for the author of a write, and the one rule for the name a record
keeps beside it."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from core.actors import (
    ACTOR_TOO_LONG,
    MAX_ACTOR_NAME,
    SYSTEM,
    SYSTEM_ACTOR,
    Actor,
    ActorKind,
    as_actor,
)
from tests.factories import UserFactory


@pytest.mark.django_db
def test_a_user_is_named_by_full_name():
    assert Actor.person(UserFactory(first_name="Maja", last_name="Ek")).name == "Maja Ek"


@pytest.mark.django_db
@pytest.mark.parametrize(("first", "last"), [("", ""), ("A" * 100, "B" * 100)])
def test_a_user_without_a_full_name_that_fits_is_named_by_username(first, last):
    user = UserFactory(username="maja.ek", first_name=first, last_name=last)
    assert Actor.person(user).name == "maja.ek"


def test_no_actor_is_the_system_or_the_label_given():
    assert as_actor(None) == SYSTEM
    assert SYSTEM.name == SYSTEM_ACTOR
    assert Actor.system("  Billing engine ").name == "Billing engine"
    assert Actor.system("").name == SYSTEM_ACTOR


def test_a_label_that_fits_exactly_is_kept_and_a_longer_one_refused():
    assert Actor.integration("x" * MAX_ACTOR_NAME).name == "x" * MAX_ACTOR_NAME
    with pytest.raises(ValidationError) as caught:
        Actor.integration("x" * (MAX_ACTOR_NAME + 1))
    assert caught.value.message_dict == {"actor": [ACTOR_TOO_LONG]}


def test_an_anonymous_user_never_acts():
    with pytest.raises(ValidationError):
        as_actor(AnonymousUser())


@pytest.mark.django_db
def test_a_user_given_for_short_is_that_person():
    user = UserFactory(first_name="Sara", last_name="Lind")
    actor = as_actor(user)
    assert (actor.kind, actor.user, actor.name) == (ActorKind.PERSON, user, "Sara Lind")
    assert actor.as_fields() == {"actor": user, "actor_name": "Sara Lind"}


def test_an_integrations_keys_live_in_its_scope_and_nobody_elses_do():
    billing = Actor.integration("Billing engine", key_scope="api-7")
    assert billing.scoped_key("k-1") == "api-7:k-1"
    assert Actor.system("Nightly").scoped_key("k-1") == "k-1"
    assert not billing.is_person and billing.user is None


def test_a_person_of_old_history_is_a_person_without_a_user():
    actor = Actor.named("anna@example.com")
    assert (actor.kind, actor.user, actor.name) == (ActorKind.PERSON, None, "anna@example.com")
