from django import template

from core.views import refused_values
from credits.forms import ACCOUNT_PAGE_FORMS, AccountForm
from credits.operations import OPERATIONS
from credits.selectors import account_credit_history, account_wallets, currencies_in_use
from credits.services.limits import limits_text

register = template.Library()


@register.inclusion_tag("credits/_panel.html", takes_context=True)
def credit_panel(context, account):
    """The account's balances per wallet and its newest entries, with the grant, revoke,
    charge and refund forms for the roles that may use them (two queries; the forms read the
    account's prefetched subscriptions and payment methods)."""
    perms = context.get("perms")
    request = context.get("request")
    user = request.user if request is not None else None
    wallets = list(account_wallets(account=account))
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
        "entries": account_credit_history(account=account),
        "perms": perms,
        "request": request,
        **forms,
    }


@register.inclusion_tag("credits/_balances.html")
def credit_balances(account):
    """Each wallet's balance in a line, for the account page's header (one query)."""
    return {"wallets": list(account_wallets(account=account))}
