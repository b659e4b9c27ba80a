"""What one person, or one integration, may do with credit alone (settings.CREDIT_LIMITS) by
role, unit and operation, and what nobody may do at all (settings.CREDIT_MAXIMUM): over the
maximum an operation is refused, not sent for approval."""

from decimal import Decimal

import pytest

from config import roles
from core.actors import Actor
from credits import services
from credits.models import ApprovalOperation, CreditApproval, CreditEntry
from credits.services.limits import OVER_MAXIMUM, authority_for, over_limit
from tests.credits.conftest import SEK, TOKENS
from tests.credits.limits_helpers import (
    HUGE_SEK,
    HUGE_TOKENS,
    INTEGRATION,
    SEK_MAXIMUM,
    TOKEN_MAXIMUM,
    ask,
    refused,
    use_limits,
)
from tests.factories import PaymentMethodFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limits(settings):
    use_limits(settings)


# --- Units without a limit, several roles, Finance, integrations -------------------------------


def test_a_unit_without_a_limit_always_waits(account, agent, settings):
    settings.CREDIT_LIMITS = {
        roles.CUSTOMER_SERVICE: {"grant": {"SEK": "500"}, "daily_grant": {"SEK": "2000"}}
    }

    submitted = ask(agent, account, "1", currency="JPY")

    assert submitted.waiting
    assert submitted.approval.limit_reason == "over the limit of 0 JPY per grant"
    assert not CreditEntry.objects.exists()


def test_an_operation_without_a_limit_always_waits(account, finance, settings):
    settings.CREDIT_LIMITS = {roles.FINANCE: {"grant": {"SEK": "500"}}}
    services.credit_grant(actor=None, account=account, amount="100", **SEK)

    submitted = ask(finance, account, "0.01", operation=ApprovalOperation.REVOKE)

    assert submitted.waiting
    assert submitted.approval.limit_reason == "over the limit of 0.00 SEK per revocation"


def test_the_most_generous_role_wins_for_each_unit(account, make_user, settings):
    settings.CREDIT_LIMITS = {
        roles.CUSTOMER_SERVICE: {
            "grant": {"SEK": "500", "tokens": "300"},
            "daily_grant": {"SEK": "5000", "tokens": "5000"},
        },
        roles.FINANCE: {
            "grant": {"SEK": "1000", "tokens": "100"},
            "daily_grant": {"SEK": "2000", "tokens": "500"},
        },
    }
    both = make_user(roles.CUSTOMER_SERVICE)
    both.groups.add(*make_user(roles.FINANCE).groups.all())

    authority = authority_for(both)

    assert authority.limit("grant", "SEK") == Decimal("1000")
    assert authority.limit("grant", "") == Decimal("300")
    assert authority.limit("daily_grant", "SEK") == Decimal("5000")
    assert not ask(both, account, "1000").waiting
    assert not ask(both, account, 300, **TOKENS).waiting
    assert ask(both, account, "1000.01").waiting
    assert ask(both, account, 301, **TOKENS).waiting


def test_finance_may_grant_more_alone_than_customer_service(account, finance, agent):
    assert ask(agent, account, "10000").waiting
    assert not ask(finance, account, "10000").waiting
    assert ask(finance, account, "10000.01").waiting


@pytest.mark.parametrize(
    ("operation", "within", "over"),
    [
        (ApprovalOperation.REVOKE, "10000", "10000.01"),
        (ApprovalOperation.CHARGE, "25000", "25000.01"),
        (ApprovalOperation.MANUAL_REFUND, "25000", "25000.01"),
    ],
)
def test_finances_revocations_charges_and_refunds_have_their_own_limits(
    account, finance, operation, within, over
):
    services.credit_grant(actor=None, account=account, amount="50000", **SEK)
    extra = {}
    if operation == ApprovalOperation.MANUAL_REFUND:
        extra["refunded_to"] = PaymentMethodFactory(account=account)

    assert not ask(finance, account, within, operation=operation, **extra).waiting
    over_submitted = ask(finance, account, over, operation=operation, **extra)

    assert over_submitted.waiting
    assert CreditApproval.objects.get().operation == operation


def test_a_system_administrator_has_no_limits_unless_the_table_names_the_role(
    account, admin_user_role
):
    # LIMITS has no System Administrator row: every grant of theirs waits.
    assert ask(admin_user_role, account, "0.01").waiting


def test_an_integration_follows_the_integration_limits(account):
    within = ask(Actor.integration(INTEGRATION), account, "5000", note="")
    over = ask(Actor.integration(INTEGRATION), account, "5000.01", note="")

    assert within.result.actor_name == INTEGRATION and within.result.actor is None
    assert over.waiting
    assert (over.approval.actor, over.approval.actor_name) == (None, INTEGRATION)
    assert over.approval.limit_reason == "over the limit of 5000.00 SEK per grant"


def test_an_integrations_daily_limit_counts_its_own_grants_only(account):
    for _ in range(4):
        assert not ask(Actor.integration(INTEGRATION), account, "5000", note="").waiting
    assert not ask(Actor.integration("Web shop"), account, "5000", note="").waiting

    assert ask(Actor.integration(INTEGRATION), account, "0.01", note="").waiting


def test_an_integration_may_revoke_and_refund_within_its_limits(account):
    over = over_limit(
        actor=Actor.integration(INTEGRATION),
        operation=ApprovalOperation.REVOKE,
        credit_type="currency",
        currency="SEK",
        amount=Decimal("5000.01"),
    )
    within = over_limit(
        actor=Actor.integration(INTEGRATION),
        operation=ApprovalOperation.REFUND,
        credit_type="currency",
        currency="SEK",
        amount=Decimal("5000"),
    )

    assert (over, within) == ("over the limit of 5000.00 SEK per revocation", "")


# --- The absolute maximum -------------------------------------------------------------------


def test_exactly_the_maximum_is_not_refused_but_waits_for_approval(account, finance):
    assert ask(finance, account, "1000000").waiting


@pytest.mark.parametrize(
    ("amount", "unit", "message"),
    [(HUGE_SEK, SEK, SEK_MAXIMUM), (HUGE_TOKENS, TOKENS, TOKEN_MAXIMUM)],
    ids=["SEK", "tokens"],
)
@pytest.mark.parametrize(
    "operation", [ApprovalOperation.GRANT, ApprovalOperation.REVOKE], ids=["grant", "revoke"]
)
def test_a_request_over_the_maximum_is_refused_not_sent_for_approval(
    account, finance, operation, amount, unit, message
):
    services.credit_grant(actor=None, account=account, amount="10", **unit)

    errors = refused(
        services.credit_request,
        actor=finance,
        operation=operation,
        account=account,
        amount=amount,
        note="Typo",
        **unit,
    )

    assert errors == {"amount": [message]}


def test_a_charge_or_refund_request_over_the_maximum_is_refused(account, finance):
    method = PaymentMethodFactory(account=account)
    for operation, extra in (
        (ApprovalOperation.CHARGE, {}),
        (ApprovalOperation.MANUAL_REFUND, {"refunded_to": method}),
    ):
        errors = refused(
            services.credit_request,
            actor=finance,
            operation=operation,
            account=account,
            amount=HUGE_SEK,
            currency="SEK",
            note="Typo",
            **extra,
        )
        assert errors == {"amount": [SEK_MAXIMUM]}


@pytest.mark.parametrize(("amount", "unit"), [(HUGE_SEK, SEK), (HUGE_TOKENS, TOKENS)])
def test_a_grant_over_the_maximum_is_refused_by_the_service_itself(account, amount, unit):
    message = SEK_MAXIMUM if unit == SEK else TOKEN_MAXIMUM
    errors = refused(services.credit_grant, actor=None, account=account, amount=amount, **unit)
    assert errors == {"amount": [message]}


@pytest.mark.parametrize(("amount", "unit"), [(HUGE_SEK, SEK), (HUGE_TOKENS, TOKENS)])
def test_a_revocation_over_the_maximum_is_refused_by_the_service_itself(account, amount, unit):
    services.credit_grant(actor=None, account=account, amount="10", **unit)
    message = SEK_MAXIMUM if unit == SEK else TOKEN_MAXIMUM
    errors = refused(services.credit_revoke, actor=None, account=account, amount=amount, **unit)
    assert errors == {"amount": [message]}


def test_a_manual_charge_over_the_maximum_is_refused(account, finance):
    errors = refused(
        services.manual_charge,
        actor=finance,
        account=account,
        amount=HUGE_SEK,
        currency="SEK",
        note="Typo",
    )
    assert errors == {"amount": [SEK_MAXIMUM]}


def test_a_manual_refund_over_the_maximum_is_refused(account, finance):
    errors = refused(
        services.manual_refund,
        actor=finance,
        account=account,
        amount=HUGE_SEK,
        currency="SEK",
        refunded_to=PaymentMethodFactory(account=account),
        note="Typo",
    )
    assert errors == {"amount": [SEK_MAXIMUM]}


def test_a_gift_card_redemption_over_the_maximum_is_refused(account):
    errors = refused(
        services.gift_card_redeem,
        actor=None,
        account=account,
        gift_card="•••• 7781",
        amount=HUGE_SEK,
        currency="SEK",
    )
    assert errors == {"amount": [SEK_MAXIMUM]}


def test_the_maximum_follows_the_settings(account, settings):
    settings.CREDIT_MAXIMUM = {"SEK": "50"}

    errors = refused(services.credit_grant, actor=None, account=account, amount="50.01", **SEK)

    assert errors == {"amount": [OVER_MAXIMUM.format(limit="50.00 SEK")]}
    # A unit the table does not name has no maximum beyond the ledger's own.
    assert services.credit_grant(actor=None, account=account, amount=HUGE_TOKENS, **TOKENS)


def test_consumption_is_not_bounded_by_the_maximum(account, settings):
    services.credit_grant(actor=None, account=account, amount="100", **SEK)
    settings.CREDIT_MAXIMUM = {"SEK": "50"}

    application = services.apply_credits(
        account=account, amount="80", transaction_id="BILL-1", **SEK
    )

    assert application.consumed == Decimal("80")
