from decimal import Decimal

import pytest

from tests.factories import (
    AccountFactory,
    ActivityEventFactory,
    CreditEntryFactory,
    CreditWalletFactory,
    PaymentMethodFactory,
    ProductFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db


def test_account_page_shows_summary_subscriptions_and_payment_methods(service_client):
    account = AccountFactory(name="Karin Nilsson", city="Uppsala", billing_day=12)
    SubscriptionFactory(account=account, order_id="ORD-1", product=ProductFactory(name="Premium"))
    PaymentMethodFactory(account=account, brand="Mastercard", masked_details="•••• 5454")
    html = service_client.get(account.get_absolute_url()).content.decode()
    for text in ("Karin Nilsson", "Uppsala", "ORD-1", "Premium", "Mastercard", "•••• 5454"):
        assert text in html


def test_unknown_customer_number_is_404(service_client):
    assert service_client.get("/accounts/nope/").status_code == 404


@pytest.mark.parametrize(
    "url", ["/accounts/1%00/", "/accounts/1%00/activity/", "/accounts/1%00/activity/legacy/"]
)
def test_a_customer_number_with_a_nul_character_is_404(service_client, url):
    assert service_client.get(url).status_code == 404


@pytest.mark.parametrize("size", [1, 15])
def test_account_page_runs_a_fixed_number_of_queries(
    service_client, django_assert_max_num_queries, size
):
    account = AccountFactory()
    ProductFactory.create_batch(3)
    SubscriptionFactory.create_batch(size, account=account)
    PaymentMethodFactory.create_batch(size, account=account)
    ActivityEventFactory.create_batch(size * 3, account=account)
    wallet = CreditWalletFactory(account=account)
    for _ in range(size):  # lots, and draw-downs that take from them
        CreditEntryFactory(wallet=wallet, amount=Decimal("10"))
        CreditEntryFactory(wallet=wallet, activity="consumption", amount=Decimal("-1"))
    # session, user, the second factor (whether the user has an authenticator app),
    # permissions, roles, the account with its subscriptions and payment methods, products on
    # sale, the header's two timeline reads, the wallets with their open lots (read once for
    # the header's balances and the credit panel), the credit panel's currencies, history and
    # the lots its entries took from ("paid from", one more than before lots), the activity
    # panel, and the access log's one insert.
    with django_assert_max_num_queries(17):
        assert service_client.get(account.get_absolute_url()).status_code == 200


def test_the_header_shows_plans_credit_control_and_the_last_payment(service_client):
    import datetime as dt

    from django.utils import timezone

    from accounts.selectors import account_detail, account_glance

    account = AccountFactory()
    plus = ProductFactory(name="Digital Plus")
    live = SubscriptionFactory(account=account, product=plus, order_id="ORD-LIVE")
    SubscriptionFactory(account=account, order_id="ORD-OLD", status="cancelled")
    Subscription = type(live)
    Subscription.objects.filter(pk=live.pk).update(
        cancellation_scheduled_for=timezone.localdate() + dt.timedelta(days=9)
    )
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    ActivityEventFactory(
        account=account,
        type="credit_control_cycle_entered",
        data={},
        occurred_at=an_hour_ago - dt.timedelta(days=3),
    )
    ActivityEventFactory(
        account=account,
        type="subscription_billing_success",
        data={"product": "Digital Plus", "order_id": "ORD-LIVE"},
        occurred_at=an_hour_ago,
    )

    glance = account_glance(account_detail(customer_number=account.customer_number))
    assert [s.order_id for s in glance.live] == ["ORD-LIVE"]
    assert glance.scheduled[0].startswith("ORD-LIVE: cancellation on ")
    assert glance.in_credit_control is True
    assert glance.last_payment.type == "subscription_billing_success"

    html = service_client.get(account.get_absolute_url()).content.decode()
    header = html.split('aria-label="Account at a glance"', 1)[1].split("</section>", 1)[0]
    assert "In credit control" in header and "Digital Plus" in header
    assert "Subscription Billing Success" in header
