from django import template
from django.utils import timezone

from core.views import refused_values
from credits.forms import ACCOUNT_PAGE_FORMS, AccountForm
from credits.models import CreditLot, CreditWallet
from credits.operations import OPERATIONS
from credits.selectors import (
    account_credit_history,
    account_wallets_with_lots,
    currencies_in_use,
)
from credits.services.limits import limits_text

register = template.Library()

# The account page warns of credit that expires within this many days.
EXPIRY_WARNING_DAYS = 30


def _wallets(account) -> list[CreditWallet]:
    """The account's wallets with their open lots, read once for the page: the header's
    balances and the credit panel both show them (two queries between them, not four)."""
    wallets = getattr(account, "_credit_wallets", None)
    if wallets is None:
        wallets = account._credit_wallets = account_wallets_with_lots(account=account)
    return wallets


def _open_lots(wallets: list[CreditWallet]) -> list[tuple[CreditWallet, CreditLot]]:
    """Every open lot of the wallets with its wallet, each wallet's in draw-down order."""
    return [(wallet, lot) for wallet in wallets for lot in wallet.open_lots]  # type: ignore[attr-defined]


def _expiring(lots: list[tuple[CreditWallet, CreditLot]]) -> list[dict]:
    """The open lots that expire within EXPIRY_WARNING_DAYS (or have expired), soonest first."""
    today = timezone.localdate()
    found = [
        {"wallet": wallet, "lot": lot, "expired": lot.expires_on < today}
        for wallet, lot in lots
        if lot.expires_on is not None and lot.expires_within(EXPIRY_WARNING_DAYS, today)
    ]
    return sorted(found, key=lambda row: (row["lot"].expires_on, row["lot"].pk))


@register.inclusion_tag("credits/_panel.html", takes_context=True)
def credit_panel(context, account):
    """The account's balances per wallet with their open lots (and a warning of credit that
    expires within EXPIRY_WARNING_DAYS), and its newest entries with the lots they moved, with
    the grant, revoke, charge and refund forms for the roles that may use them (the wallets and
    lots shared with the header's balances, the entries and their allocations, the currencies;
    the forms read the account's prefetched subscriptions and payment methods)."""
    perms = context.get("perms")
    request = context.get("request")
    user = request.user if request is not None else None
    wallets = _wallets(account)
    lots = _open_lots(wallets)
    # An anonymised account keeps no personal data, and a person's operation needs a reason
    # (which is): no form is offered that would be refused.
    offered = [
        op
        for op in OPERATIONS
        if op.on_account_page
        and perms is not None
        and op.permission in perms
        and not account.is_anonymised
    ]
    # One query for the currency pickers of every form shown.
    currencies = currencies_in_use() if offered else []
    forms: dict[str, AccountForm] = {}
    limits: dict[str, str] = {}
    opened = ""
    for op in offered:
        name, form_class = ACCOUNT_PAGE_FORMS[op.code]
        # A form that was just refused opens again with what was typed in it.
        typed = refused_values(request, name)
        if typed is not None:
            opened = name
        forms[f"{name}_form"] = form_class(
            account=account,
            currencies=currencies,
            wallets=wallets,
            prefix=name,
            initial=typed or None,
        )
        if user is not None:
            limits[f"{name}_form_limits"] = limits_text(user, op.code, offered=currencies)
    return {
        **limits,
        "opened": opened,
        "account": account,
        "wallets": wallets,
        "open_lots": lots,
        "expiring": _expiring(lots),
        "warning_days": EXPIRY_WARNING_DAYS,
        "entries": account_credit_history(account=account),
        "perms": perms,
        "request": request,
        **forms,
    }


@register.inclusion_tag("credits/_balances.html")
def credit_balances(account):
    """Each wallet's balance in a line, for the account page's header (the wallets' read that
    the credit panel shares)."""
    return {"wallets": _wallets(account)}
