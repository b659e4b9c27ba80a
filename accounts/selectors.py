"""Read queries shared by the account pages, the API and the other apps."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Account, PaymentMethod, Product, Subscription
from accounts.transitions import AGENT_ACTIONS, Action, product_refusal, refusal


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


def available_actions(subscription: Subscription) -> list[Action]:
    """The actions an agent may take on the subscription in its present state, in the menu's
    order: the same rules by which the services refuse the others."""
    return [action for action in AGENT_ACTIONS if refusal(action, subscription) is None]


def product_choices(
    subscription: Subscription, action: Action, products: list[Product] | None = None
) -> list[Product]:
    """The products `action` may move the subscription to (change now, or a downgrade): the
    same rule by which the services refuse the others (`transitions.product_refusal`).
    `products`: the products on sale, when the caller has read them already (one query for a
    page of subscriptions)."""
    if products is None:
        products = list(Product.objects.filter(is_active=True))
    return [p for p in products if product_refusal(action, subscription, p) is None]
