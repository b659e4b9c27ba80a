"""Read queries shared by the account pages, the API and the other apps."""

from django.db.models import Case, Prefetch, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from accounts.models import Account, PaymentMethod, Subscription
from accounts.transitions import AGENT_ACTIONS, Action, refusal

# Order IDs are unique: more than one match can only differ in case.
MAX_ORDER_MATCHES = 10


def account_search(*, q: str = "") -> QuerySet[Account]:
    """Accounts whose name or e-mail contains `q`, or whose customer number, e-mail or any
    order ID is exactly `q` (any case): the exact matches first, then by name. An empty `q`
    matches every account, by name.

    On PostgreSQL pg_trgm's GIN indexes serve the `contains` terms and btree indexes the
    exact ones, all in one bitmap scan of the accounts. The accounts of a matching order ID
    are looked up first (one indexed query) rather than joined with an `OR EXISTS (...)`,
    which PostgreSQL can only test account by account."""
    accounts = Account.objects.all()
    q = q.strip()
    if not q:
        return accounts
    ordered = list(
        Subscription.objects.filter(order_id__iexact=q)
        .order_by()
        .values_list("account_id", flat=True)[:MAX_ORDER_MATCHES]
    )
    exact = Q(customer_number__iexact=q) | Q(email__iexact=q) | Q(pk__in=ordered)
    return accounts.filter(exact | Q(name__icontains=q) | Q(email__icontains=q)).order_by(
        Case(When(exact, then=Value(0)), default=Value(1)), "name", "customer_number"
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
