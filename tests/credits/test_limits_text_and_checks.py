"""What the forms tell of the credit limits, and the system checks of settings.CREDIT_LIMITS
and settings.CREDIT_MAXIMUM."""

from decimal import Decimal

import pytest

from core.actors import Actor
from credits.checks import OLD_ROW_NAME, credit_limits
from credits.models import ApprovalOperation
from credits.services.limits import authority_for, limits_text
from tests.credits.limits_helpers import INTEGRATION, ask, use_limits

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limits(settings):
    use_limits(settings)


# --- What the forms tell ------------------------------------------------------------------


def test_the_grant_limits_text_names_the_single_and_the_daily_limits(agent):
    assert limits_text(agent, ApprovalOperation.GRANT) == (
        "Alone you may make a grant of up to 500.00 SEK, 100 tokens, and grant up to "
        "2000.00 SEK, 400 tokens a day. Above that it waits for another person's approval."
    )


def test_a_forms_limits_text_names_only_the_currencies_its_picker_offers(agent, settings):
    settings.CREDIT_LIMITS = {
        "customer_service": {"grant": {"SEK": "500", "DKK": "400", "USD": "60", "tokens": "100"}}
    }

    text = limits_text(agent, ApprovalOperation.GRANT, offered=["EUR", "SEK"])

    assert text == (
        "Alone you may make a grant of up to 500.00 SEK, 100 tokens. "
        "Above that it waits for another person's approval."
    )
    assert "DKK" in limits_text(agent, ApprovalOperation.GRANT)  # no picker: every unit


def test_the_limits_text_of_an_operation_without_limits_says_everything_waits(agent):
    assert limits_text(agent, ApprovalOperation.REVOKE) == (
        "Every revocation you make waits for another person's approval."
    )


def test_the_charge_limits_text_has_no_daily_limit(finance):
    assert limits_text(finance, ApprovalOperation.CHARGE) == (
        "Alone you may make a charge of up to 25000.00 SEK. "
        "Above that it waits for another person's approval."
    )


def test_the_limits_text_of_an_integration(db):
    assert limits_text(None, ApprovalOperation.REFUND) == (
        "Alone you may make a refund of up to 5000.00 SEK, 1000 tokens. "
        "Above that it waits for another person's approval."
    )


def test_a_superuser_has_the_most_generous_limits_of_every_role_but_the_integrations(
    account, make_user
):
    superuser = make_user(is_superuser=True)

    assert authority_for(superuser).limit("grant", "SEK") == Decimal("10000")
    assert authority_for(superuser).limit("charge", "SEK") == Decimal("25000")
    assert not ask(superuser, account, "10000").waiting


def test_the_default_limits_pass_their_system_checks():
    assert credit_limits() == []


@pytest.mark.parametrize(
    ("limits", "maximum", "error"),
    [
        ({"Custmer Service": {"grant": {"SEK": "500"}}}, {}, "unknown role “Custmer Service”"),
        ({"finance": {"grants": {"SEK": "500"}}}, {}, "unknown operation “grants”"),
        ({"finance": {"grant": {"SKE": "500"}}}, {}, "unknown unit “SKE”"),
        ({"finance": {"grant": {"SEK": "five"}}}, {}, "“five” is not an amount"),
        ({}, {"tokens": "-1"}, "“-1” is not an amount"),
    ],
)
def test_a_mistyped_limit_fails_the_system_checks(settings, limits, maximum, error):
    settings.CREDIT_LIMITS = limits
    settings.CREDIT_MAXIMUM = maximum

    (found,) = credit_limits()

    assert error in found.msg


def test_a_row_named_by_the_groups_name_still_counts_with_a_deprecation_warning(
    account, agent, settings
):
    settings.CREDIT_LIMITS = {
        "Customer Service": {"grant": {"SEK": "500"}, "daily_grant": {"SEK": "2000"}},
        "Integration": {"grant": {"SEK": "50"}, "daily_grant": {"SEK": "50"}},
    }

    found = credit_limits()

    assert [(message.id, message.msg) for message in found] == [
        ("credits.W001", OLD_ROW_NAME.format(name="Customer Service", code="customer_service")),
        ("credits.W001", OLD_ROW_NAME.format(name="Integration", code="integration")),
    ]
    assert not ask(agent, account, "500").waiting
    assert ask(agent, account, "500.01").waiting
    assert ask(Actor.integration(INTEGRATION), account, "50.01", note="").waiting


def test_limits_are_set_per_role_by_its_code(account, agent, settings):
    settings.CREDIT_LIMITS = {"customer_service": {"grant": {"SEK": "10"}}}

    assert credit_limits() == []
    assert authority_for(agent).limit("grant", "SEK") == Decimal("10")
