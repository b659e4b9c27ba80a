"""The daily limit across currencies: counted in the reporting currency at the dated rates of
EXCHANGE_RATES, on top of each currency's own daily limit. Replays the finding of 2026-12-05:
one agent granting 2,000 SEK + 2,000 NOK + 200 EUR + 200 GBP in one day, each within its own
currency's limit."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from config import roles
from core import money
from credits.models import CreditEntry
from credits.services.limits import limits_text
from tests.credits.limits_helpers import LIMITS, ask

pytestmark = pytest.mark.django_db

PER_CURRENCY = {"SEK": "2000", "NOK": "2000", "EUR": "200", "GBP": "200", "tokens": "400"}
RATES = {
    "2026-01-01": {"NOK": "1.00", "EUR": "11.00", "GBP": "13.00"},
    "2026-12-01": {"EUR": "12.00"},
}


@pytest.fixture(autouse=True)
def limits(settings):
    cs = roles.CUSTOMER_SERVICE.code
    settings.CREDIT_LIMITS = {
        **LIMITS,
        cs: {
            "grant": dict.fromkeys(PER_CURRENCY, "5000"),
            "daily_grant": PER_CURRENCY,
            "daily_grant_total": {"SEK": "3000"},
        },
    }
    settings.REPORTING_CURRENCY = "SEK"
    settings.EXCHANGE_RATES = RATES


def grant(agent, account, amount, currency):
    return ask(agent, account, amount, credit_type="currency", currency=currency)


def test_grants_in_several_currencies_count_together(account, agent):
    assert not grant(agent, account, "2000", "SEK").waiting
    assert not grant(agent, account, "900", "NOK").waiting  # 2,900 SEK in all

    waiting = grant(agent, account, "200", "EUR")  # 2,400 SEK more

    assert waiting.waiting
    assert waiting.approval.limit_reason == (
        "over the daily limit of 3000.00 SEK across all currencies (2900.00 SEK granted today)"
    )
    assert grant(agent, account, "200", "GBP").waiting
    assert CreditEntry.objects.count() == 2


def test_each_currencys_own_daily_limit_still_applies(account, agent, settings):
    settings.CREDIT_LIMITS[roles.CUSTOMER_SERVICE.code]["daily_grant_total"] = {"SEK": "100000"}
    assert not grant(agent, account, "200", "EUR").waiting

    assert grant(agent, account, "1", "EUR").approval.limit_reason.startswith(
        "over the daily limit of 200.00 EUR"
    )


def test_the_rate_of_the_day_applies(account, agent):
    with time_machine.travel(dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)):
        assert money.rate_to_reporting("EUR", timezone.localdate()) == Decimal("11.00")
    assert money.rate_to_reporting("EUR", dt.date(2026, 12, 6)) == Decimal("12.00")
    assert money.rate_to_reporting("NOK", dt.date(2026, 12, 6)) == Decimal("1.00")
    assert money.rate_to_reporting("SEK", dt.date(2020, 1, 1)) == Decimal(1)
    assert money.rate_to_reporting("EUR", dt.date(2025, 12, 31)) is None


def test_a_currency_without_a_rate_waits_for_approval(account, agent, settings):
    settings.CREDIT_LIMITS[roles.CUSTOMER_SERVICE.code]["grant"]["DKK"] = "5000"
    settings.CREDIT_LIMITS[roles.CUSTOMER_SERVICE.code]["daily_grant"]["DKK"] = "5000"

    waiting = grant(agent, account, "10", "DKK")

    assert waiting.waiting
    assert "No exchange rate from DKK to SEK" in waiting.approval.limit_reason


def test_tokens_are_not_money_and_do_not_count(account, agent):
    grant(agent, account, "2000", "SEK")
    assert not ask(agent, account, "300", credit_type="token", currency="").waiting


def test_the_form_says_the_limit_across_currencies(agent):
    assert "(3000.00 SEK a day across all currencies)" in limits_text(agent, "grant")
