"""The one rule for the name a record keeps beside its actor."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from core.actors import ACTOR_TOO_LONG, MAX_ACTOR_NAME, SYSTEM_ACTOR, actor_name
from tests.factories import UserFactory


@pytest.mark.django_db
def test_a_user_is_named_by_full_name():
    assert actor_name(UserFactory(first_name="Maja", last_name="Ek")) == "Maja Ek"


@pytest.mark.django_db
@pytest.mark.parametrize(("first", "last"), [("", ""), ("A" * 100, "B" * 100)])
def test_a_user_without_a_full_name_that_fits_is_named_by_username(first, last):
    user = UserFactory(username="maja.ek", first_name=first, last_name=last)
    assert actor_name(user) == "maja.ek"


def test_no_actor_is_the_system_or_the_label_given():
    assert actor_name(None) == SYSTEM_ACTOR
    assert actor_name(None, "  Billing engine ") == "Billing engine"
    assert actor_name(None, "") == SYSTEM_ACTOR


def test_a_label_that_fits_exactly_is_kept_and_a_longer_one_refused():
    assert actor_name(None, "x" * MAX_ACTOR_NAME) == "x" * MAX_ACTOR_NAME
    with pytest.raises(ValidationError) as caught:
        actor_name(None, "x" * (MAX_ACTOR_NAME + 1))
    assert caught.value.message_dict == {"actor": [ACTOR_TOO_LONG]}


def test_an_anonymous_user_never_acts():
    with pytest.raises(ValidationError):
        actor_name(AnonymousUser())
