"""What one person, or one integration, may do with credit alone (settings.CREDIT_LIMITS), and
what nobody may do at all (settings.CREDIT_MAXIMUM): within the limits an operation runs at
once, over them it waits for another person's approval, over the maximum it is refused."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from activity.models import ActivityEvent
from config import roles
from core.actors import Actor
from credits import services
from credits.checks import OLD_ROW_NAME, credit_limits
from credits.models import (
    ApprovalOperation,
    ApprovalState,
    CreditApproval,
    CreditEntry,
    CreditOperation,
    CreditWallet,
)
from credits.services.limits import OVER_MAXIMUM, authority_for, limits_text, over_limit
from tests.credits.conftest import SEK, TOKENS
from tests.factories import PaymentMethodFactory

pytestmark = pytest.mark.django_db

# The limits these tests run with, whatever the defaults of config/settings.py become.
LIMITS = {
    roles.CUSTOMER_SERVICE.code: {
        "grant": {"SEK": "500", "tokens": "100"},
        "daily_grant": {"SEK": "2000", "tokens": "400"},
    },
    roles.FINANCE.code: {
        "grant": {"SEK": "10000", "tokens": "1000"},
        "revoke": {"SEK": "10000", "tokens": "1000"},
        "charge": {"SEK": "25000"},
        "refund": {"SEK": "25000", "tokens": "1000"},
        "daily_grant": {"SEK": "100000", "tokens": "10000"},
    },
    "integration": {
        "grant": {"SEK": "5000", "tokens": "1000"},
        "revoke": {"SEK": "5000", "tokens": "1000"},
        "refund": {"SEK": "5000", "tokens": "1000"},
        "daily_grant": {"SEK": "20000", "tokens": "100000"},
    },
}
MAXIMUM = {"SEK": "1000000", "tokens": "100000"}
# The amounts of the issue, far over any maximum (but within what the ledger can store).
HUGE_SEK = "999999999999.99"
HUGE_TOKENS = "9999999999999"
SEK_MAXIMUM = OVER_MAXIMUM.format(limit="1000000.00 SEK")
TOKEN_MAXIMUM = OVER_MAXIMUM.format(limit="100000 tokens")
INTEGRATION = "Billing engine"


def use_limits(settings):
    settings.CREDIT_LIMITS = LIMITS
    settings.CREDIT_MAXIMUM = MAXIMUM
    settings.APPROVAL_EXPIRY_DAYS = 7


@pytest.fixture(autouse=True)
def limits(settings):
    use_limits(settings)


def ask(actor, account, amount, operation=ApprovalOperation.GRANT, **kwargs):
    """credit_request of SEK (unless kwargs name another unit), with a reason."""
    return services.credit_request(
        actor=actor,
        operation=operation,
        account=account,
        amount=amount,
        note=kwargs.pop("note", "Goodwill"),
        **{**SEK, **kwargs},
    )


def written() -> tuple:
    return (
        CreditEntry.objects.count(),
        CreditWallet.objects.count(),
        CreditApproval.objects.count(),
        CreditOperation.objects.count(),
        ActivityEvent.objects.count(),
        list(CreditWallet.objects.values_list("balance", flat=True)),
    )


def refused(call, **kwargs) -> dict:
    """Run a call that must be refused; return its messages and check nothing was written."""
    before = written()
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    assert written() == before, "a refused operation wrote something"
    return caught.value.message_dict


# --- Grants by Customer Service -------------------------------------------------------------


def test_a_grant_within_the_limit_runs_at_once(account, agent):
    submitted = ask(agent, account, "500")

    assert not submitted.waiting
    entry = CreditEntry.objects.get()
    assert submitted.result == entry
    assert (entry.amount, entry.actor, entry.approved_by, entry.approved_by_name) == (
        Decimal("500"),
        agent,
        None,
        "",
    )
    assert ActivityEvent.objects.filter(type="manual_credit_added").count() == 1
    assert not CreditApproval.objects.exists()


def test_a_grant_over_the_single_grant_limit_waits_for_approval(account, agent):
    submitted = ask(agent, account, "500.01", note="Missed delivery")

    assert submitted.waiting and submitted.result is None
    approval = CreditApproval.objects.get()
    assert submitted.approval == approval
    assert (approval.state, approval.operation, approval.amount, approval.currency) == (
        ApprovalState.PENDING,
        ApprovalOperation.GRANT,
        Decimal("500.01"),
        "SEK",
    )
    assert (approval.actor, approval.actor_name, approval.reason) == (
        agent,
        "Sara Lind",
        "Missed delivery",
    )
    assert not CreditEntry.objects.exists() and not CreditWallet.objects.exists()
    assert not ActivityEvent.objects.filter(type="manual_credit_added").exists()


def test_a_waiting_grant_records_credit_request_submitted_with_its_attributes(account, agent):
    approval = ask(agent, account, "600", note="Missed delivery").approval

    event = ActivityEvent.objects.get(type="credit_request_submitted")
    assert (event.account, event.actor) == (account, agent)
    assert event.data == {
        "request_id": str(approval.pk),
        "operation": "Grant",
        "amount": {"amount": "600.00", "currency": "SEK"},
        "reason": "Missed delivery",
        "limit": "over the limit of 500.00 SEK per grant",
    }


def test_the_request_expires_after_the_configured_days(account, agent, settings):
    settings.APPROVAL_EXPIRY_DAYS = 3
    approval = ask(agent, account, "600").approval

    assert approval.expires_at - approval.requested_at == dt.timedelta(days=3)


def test_grants_over_the_daily_limit_wait_for_approval(account, agent):
    for _ in range(4):
        assert not ask(agent, account, "500").waiting

    submitted = ask(agent, account, "0.01")

    assert submitted.waiting
    assert submitted.approval.limit_reason == (
        "over the daily limit of 2000.00 SEK (2000.00 SEK granted today)"
    )
    assert CreditWallet.objects.get().balance == Decimal("2000")


def test_the_daily_limit_counts_grants_on_every_account(account, agent):
    from tests.factories import AccountFactory

    other = AccountFactory()
    ask(agent, account, "500")
    ask(agent, account, "500")
    ask(agent, other, "500")
    ask(agent, other, "500")

    assert ask(agent, other, "1").waiting


def test_the_daily_limit_counts_each_persons_own_grants(account, agent, make_user):
    colleague = make_user(roles.CUSTOMER_SERVICE)
    for _ in range(4):
        ask(colleague, account, "500")

    assert not ask(agent, account, "500").waiting


def test_grants_made_on_earlier_days_do_not_count_toward_the_daily_limit(account, agent):
    with time_machine.travel(timezone.now() - dt.timedelta(days=1)):
        for _ in range(4):
            ask(agent, account, "500")

    assert not ask(agent, account, "500").waiting


def test_backdated_grants_count_on_the_day_they_are_made(account, agent):
    yesterday = timezone.now() - dt.timedelta(days=1)
    for _ in range(4):
        services.credit_grant(
            actor=agent, account=account, amount="500", note="Goodwill", created_at=yesterday, **SEK
        )

    assert ask(agent, account, "500").waiting


def test_grants_approved_by_someone_else_do_not_count_toward_the_daily_limit(
    account, agent, finance
):
    approval = ask(agent, account, "500.01").approval
    services.approval_approve(actor=finance, approval=approval)
    assert CreditEntry.objects.get().actor == agent

    for _ in range(4):
        assert not ask(agent, account, "500").waiting
    assert ask(agent, account, "1").waiting


def test_the_daily_limit_of_one_unit_leaves_the_others_alone(account, agent):
    for _ in range(4):
        ask(agent, account, "500")

    assert not ask(agent, account, 100, **TOKENS).waiting


# --- Tokens ---------------------------------------------------------------------------------


def test_a_token_grant_within_the_limit_runs_at_once(account, agent):
    assert not ask(agent, account, 100, **TOKENS).waiting
    assert CreditEntry.objects.get().amount == 100


def test_a_token_grant_over_the_single_grant_limit_waits(account, agent):
    submitted = ask(agent, account, 101, **TOKENS)

    assert submitted.waiting
    assert submitted.approval.limit_reason == "over the limit of 100 tokens per grant"
    assert ActivityEvent.objects.get(type="credit_request_submitted").data["tokens"] == 101
    assert not CreditEntry.objects.exists()


def test_token_grants_over_the_daily_limit_wait(account, agent):
    for _ in range(4):
        assert not ask(agent, account, 100, **TOKENS).waiting

    submitted = ask(agent, account, 1, **TOKENS)

    assert submitted.waiting
    assert submitted.approval.limit_reason == (
        "over the daily limit of 400 tokens (400 tokens granted today)"
    )


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


# --- What the forms tell ------------------------------------------------------------------


def test_the_grant_limits_text_names_the_single_and_the_daily_limits(agent):
    assert limits_text(agent, ApprovalOperation.GRANT) == (
        "Alone you may make a grant of up to 500.00 SEK, 100 tokens, and grant up to "
        "2000.00 SEK, 400 tokens a day. Above that it waits for another person's approval."
    )


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
