"""Read queries shared by the account pages, the API and the other apps."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Account, PaymentMethod, Subscription
from accounts.transitions import AGENT_ACTIONS, Action, refusal
from config.personal_data import erasure_modules


def account_search(*, q: str = "") -> QuerySet[Account]:
    """Accounts whose name or e-mail contains `q`, or whose customer number or any order ID is
    exactly `q` (case-insensitive). An empty `q` matches every account."""
    accounts = Account.objects.all()
    q = q.strip()
    if not q:
        return accounts
    order = Subscription.objects.filter(account=OuterRef("pk"), order_id__iexact=q)
    return accounts.filter(
        Q(name__icontains=q) | Q(email__icontains=q) | Q(customer_number__iexact=q) | Exists(order)
    )


def account_get(*, customer_number: str) -> Account:
    """The account with this customer number, or 404."""
    return get_object_or_404(Account, customer_number=customer_number)


def account_detail(*, customer_number: str) -> Account:
    """The account with its subscriptions (and products) and payment methods prefetched."""
    return get_object_or_404(
        Account.objects.prefetch_related(
            Prefetch(
                "subscriptions",
                queryset=Subscription.objects.select_related("product", "downgrade_to"),
            ),
            Prefetch("payment_methods", queryset=PaymentMethod.objects.all()),
        ),
        customer_number=customer_number,
    )


def erasure_preview(account: Account) -> dict[str, int]:
    """What anonymising the account would redact, by kind (nothing once it is anonymised)."""
    if account.is_anonymised:
        return {}
    preview = {"account details": 1, "payment methods": account.payment_methods.count()}
    for module in erasure_modules():
        preview.update(module.count(account))
    return preview


def available_actions(subscription: Subscription) -> list[Action]:
    """The actions an agent may take on the subscription in its present state, in the menu's
    order: the same rules by which the services refuse the others."""
    return [action for action in AGENT_ACTIONS if refusal(action, subscription) is None]
