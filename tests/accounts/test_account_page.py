import pytest

from tests.factories import (
    AccountFactory,
    ActivityEventFactory,
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
    # As before, plus one for the second factor (whether the user has an authenticator app).
    with django_assert_max_num_queries(13):
        assert service_client.get(account.get_absolute_url()).status_code == 200
