"""The rules every subscription action keeps: a person gives a reason, a request posted twice
with one key acts once, and the pickers offer exactly the products the services accept."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from activity.models import ActivityEvent
from tests.accounts.action_helpers import REASON, no_events
from tests.accounts.conftest import reloaded
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


# --- Reasons, repeats and the product rules of the pickers --------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_person_cancelling_now_must_give_a_reason(agent, subscription, reason):
    with pytest.raises(ValidationError, match="Give a reason: it is kept with the event."):
        services.subscription_cancel(actor=agent, subscription=subscription, reason=reason)
    assert reloaded(subscription).status == "active"
    assert no_events()


def test_a_person_changing_the_product_must_give_a_reason(agent, subscription, premium):
    with pytest.raises(ValidationError, match="Give a reason"):
        services.subscription_change_product(
            actor=agent, subscription=subscription, product=premium
        )
    assert reloaded(subscription).product.name == "Digital Plus"
    assert no_events()


def test_a_cancellation_posted_twice_with_one_key_cancels_once(agent, account, subscription):
    first = services.subscription_cancel(
        actor=agent, subscription=subscription, reason=REASON, idempotency_key="k-1"
    )
    again = services.subscription_cancel(
        actor=agent, subscription=subscription, reason=REASON, idempotency_key="k-1"
    )
    assert (first.replayed, again.replayed) == (False, True)
    assert ActivityEvent.objects.filter(account=account).count() == 1


def test_a_product_change_posted_twice_with_one_key_changes_once(
    agent, account, subscription, premium
):
    for _ in range(2):
        services.subscription_change_product(
            actor=agent,
            subscription=subscription,
            product=premium,
            reason=REASON,
            idempotency_key="k-2",
        )
    assert ActivityEvent.objects.filter(account=account, type="subscription_changed").count() == 1


def test_a_key_reused_for_another_action_is_a_conflict(agent, subscription, premium):
    services.subscription_change_product(
        actor=agent, subscription=subscription, product=premium, reason=REASON, idempotency_key="k"
    )
    with pytest.raises(ValidationError, match="already used for a different request"):
        services.subscription_cancel(
            actor=agent, subscription=subscription, reason=REASON, idempotency_key="k"
        )
    assert reloaded(subscription).status == "active"


def test_change_to_a_product_in_another_currency_is_refused(agent, subscription):
    gbp = ProductFactory(name="Digital Plus (GBP)", price=Decimal("9.99"), currency="GBP")
    with pytest.raises(ValidationError, match="is billed in GBP; subscription ORD-100 is billed"):
        services.subscription_change_product(
            actor=agent, subscription=subscription, product=gbp, reason=REASON
        )
    assert reloaded(subscription).product.name == "Digital Plus"
    assert no_events()


def test_the_pickers_offer_exactly_what_the_services_accept(subscription, basic, premium):
    from accounts.selectors import product_choices
    from accounts.transitions import Action

    ProductFactory(name="Digital Basic (NOK)", price=Decimal("9.00"), currency="NOK")
    ProductFactory(name="Old Basic", price=Decimal("59.00"), is_active=False)
    assert product_choices(subscription, Action.CHANGE_PRODUCT) == [basic, premium]
    assert product_choices(subscription, Action.SCHEDULE_DOWNGRADE) == [basic]
