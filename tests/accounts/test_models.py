import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from accounts.models import PaymentMethod
from tests.factories import AccountFactory, PaymentMethodFactory

pytestmark = pytest.mark.django_db


def test_billing_day_outside_1_to_28_is_refused_by_the_database():
    with pytest.raises(IntegrityError):
        AccountFactory(billing_day=29)


def test_an_account_has_at_most_one_default_payment_method():
    account = AccountFactory()
    PaymentMethodFactory(account=account, is_default=True)
    with pytest.raises(IntegrityError):
        PaymentMethodFactory(account=account, is_default=True)


def test_a_full_card_number_is_never_stored():
    with pytest.raises(IntegrityError):
        PaymentMethodFactory(masked_details="4111111111111111")


def test_a_full_card_number_fails_validation_with_a_message():
    method = PaymentMethod(account=AccountFactory(), kind="card", masked_details="4111 1111111111")
    with pytest.raises(ValidationError, match="never a card number"):
        method.full_clean()


def test_address_lines_skip_empty_parts():
    account = AccountFactory.build(street="Storgatan 1", postcode="", city="Lund", country="SE")
    assert account.address_lines == ["Storgatan 1", "Lund", "Sweden"]


@pytest.mark.parametrize("code", ["SE", "NO", ""])
def test_a_country_code_or_none_passes_the_models_check(code):
    AccountFactory.build(country=code).full_clean(exclude=["customer_number", "email"])


def test_a_code_of_no_country_is_refused_by_the_models_check():
    with pytest.raises(ValidationError) as refused:
        AccountFactory.build(country="QQ").full_clean(exclude=["customer_number", "email"])
    assert refused.value.message_dict == {"country": ["Value 'QQ' is not a valid choice."]}
