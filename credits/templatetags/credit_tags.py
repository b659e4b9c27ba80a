from django import template

from credits.forms import AccountForm, ChargeForm, GrantForm, RefundForm, RevokeForm
from credits.models import ApprovalOperation
from credits.selectors import account_credit_history, account_wallets, currencies_in_use
from credits.services.limits import limits_text

register = template.Library()


@register.inclusion_tag("credits/_panel.html", takes_context=True)
def credit_panel(context, account):
    """The account's balances per wallet and its newest entries, with the grant, revoke,
    charge and refund forms for the roles that may use them (two queries; the forms read the
    account's prefetched subscriptions and payment methods)."""
    perms = context.get("perms")
    wallets = list(account_wallets(account=account))
    forms: dict[str, AccountForm] = {}
    may = {
        name: bool(perms and perms["credits"][name])
        for name in ("grant_credit", "revoke_credit", "add_manual_charge", "issue_manual_refund")
    }
    # One query for the currency pickers of every form shown.
    currencies = currencies_in_use() if any(may.values()) else []
    if may["grant_credit"]:
        forms["grant_form"] = GrantForm(account=account, currencies=currencies, prefix="grant")
    if may["revoke_credit"]:
        forms["revoke_form"] = RevokeForm(account=account, wallets=wallets, prefix="revoke")
    if may["add_manual_charge"]:
        forms["charge_form"] = ChargeForm(account=account, currencies=currencies, prefix="charge")
    if may["issue_manual_refund"]:
        forms["refund_form"] = RefundForm(account=account, currencies=currencies, prefix="refund")
    request = context.get("request")
    user = request.user if request is not None else None
    limits = {
        f"{form}_limits": limits_text(user, operation)
        for form, operation in (
            ("grant_form", ApprovalOperation.GRANT),
            ("revoke_form", ApprovalOperation.REVOKE),
            ("charge_form", ApprovalOperation.CHARGE),
            ("refund_form", ApprovalOperation.MANUAL_REFUND),
        )
        if form in forms and user is not None
    }
    return {
        **limits,
        "account": account,
        "wallets": wallets,
        "entries": account_credit_history(account=account),
        "perms": perms,
        "request": context.get("request"),
        **forms,
    }


@register.inclusion_tag("credits/_balances.html")
def credit_balances(account):
    """Each wallet's balance in a line, for the account page's header (one query)."""
    return {"wallets": list(account_wallets(account=account))}
