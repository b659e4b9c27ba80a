"""Read queries shared by the account pages, the API and the other apps."""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db.models import Case, F, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Replace
from django.db.models.lookups import EndsWith
from django.shortcuts import get_object_or_404

from accounts.models import Account, AccountAccess, PaymentMethod, Product, Subscription
from accounts.transitions import (
    AGENT_ACTIONS,
    LIVE_STATUSES,
    Action,
    product_refusal,
    refusal,
)
from activity.models import ActivityEvent
from activity.selectors import CREDIT_CONTROL_TYPES, PAYMENT_TYPES, latest_event
from core.personal_data import erasure_modules

# Exact matches ranked first: accounts that share a searched e-mail address, an order ID's.
MAX_EXACT_MATCHES = 50
# A customer number's first digits find it from this many on (`10013` finds 100130-100139).
MIN_NUMBER_PREFIX = 3


def account_search(*, q: str = "") -> QuerySet[Account]:
    """Accounts whose name (whatever its accents: `lovgren` finds Lövgren) or e-mail contains
    `q`, whose name contains each of its words in any order (`Ekelund Anna` finds Anna
    Ekelund), whose customer number starts with its digits, or whose customer number, e-mail
    or any order ID is exactly `q` (any case): the exact matches first, then by name. An
    empty `q` matches every account, by name. A phone number (any format) or a card's last
    four digits find their accounts too.

    On PostgreSQL pg_trgm's GIN indexes serve the `contains` terms and btree indexes the
    exact ones, all in one bitmap scan of the accounts. The exact matches (an order ID's
    accounts among them) are looked up first, in one indexed query, rather than joined with an
    `OR EXISTS (...)`, which PostgreSQL can only test account by account; the order then ranks
    each match by whether it is one of them, where comparing each match's number and e-mail in
    upper case again cost 6 ms of a name part that 4,805 accounts share."""
    accounts = Account.objects.all()
    q = q.strip()
    if not q:
        return accounts
    exact = Q(customer_number__iexact=q) | Q(email__iexact=q)
    first = list(
        accounts.filter(exact)
        .order_by()
        .values_list("pk", flat=True)
        .union(
            Subscription.objects.filter(order_id__iexact=q)
            .order_by()
            .values_list("account_id", flat=True)
        )[:MAX_EXACT_MATCHES]
    )
    found = exact | Q(pk__in=first) | _name(q) | Q(email__icontains=q) | _phone_or_card(q)
    if q.isdigit() and len(q) >= MIN_NUMBER_PREFIX:
        # The unique column's varchar_pattern_ops index serves the prefix.
        found |= Q(customer_number__startswith=q)
    # Ranked even when nothing matches exactly (0 is no account's key): by an expression, so
    # that PostgreSQL reads the matches from their indexes and sorts them, never walks the
    # name's index testing every account until a page is found (a term of no account's).
    rank = Case(When(pk__in=first or [0], then=Value(0)), default=Value(1))
    return accounts.filter(found).order_by(rank, "name", "customer_number")


def _name(q: str) -> Q:
    """The name contains `q`, or each of its words in any order, whatever the case and accents
    (`core.lookups`: each served by the name's trigram index, the matches intersected)."""
    words = q.split()
    found = Q(name__fcontains=q)
    if len(words) > 1:
        every = Q()
        for word in words:
            every &= Q(name__fcontains=word)
        found |= every
    return found


# --- Phone numbers and card digits in the search box ---------------------------------------
# Separate conditions, OR-ed onto the search above: a phone number in any common format
# (+46 8-555 010 00, 08 555 01000, 0046855501000) and a card's last four digits.
PHONE_SEPARATORS = (" ", "-", "(", ")", ".", "/", "+", "\u00a0")
MIN_PHONE_DIGITS = 6
# The national number's last digits decide: country codes and trunk zeros vary by format.
PHONE_MATCH_DIGITS = 8
# Four digits end many cards: the first this many accounts are shown (refine by name).
MAX_CARD_MATCHES = 500


def _phone_digits() -> Replace | F:
    expression: Replace | F = F("phone")
    for separator in PHONE_SEPARATORS:
        expression = Replace(expression, Value(separator), Value(""))
    return expression


def _phone_or_card(q: str) -> Q:
    condition = Q(pk__in=[])
    if re.fullmatch(r"[0-9]{4}", q):
        # The accounts first (as for order IDs): an OR EXISTS would be tested account by account.
        cards = PaymentMethod.objects.filter(
            kind=PaymentMethod.Kind.CARD, masked_details__endswith=q
        ).values_list("account_id", flat=True)
        condition |= Q(pk__in=list(cards[:MAX_CARD_MATCHES]))
    digits = re.sub(r"[^0-9]", "", q)
    if len(digits) >= MIN_PHONE_DIGITS and re.fullmatch(r"[0-9 ()./+\-]+", q):
        tail = digits[-PHONE_MATCH_DIGITS:]
        condition |= Q(EndsWith(_phone_digits(), Value(tail)))
    return condition


def account_get(*, customer_number: str) -> Account:
    """The account with this customer number, or 404."""
    return get_object_or_404(Account, customer_number=customer_number)


def account_accesses(account: Account) -> QuerySet[AccountAccess]:
    """Who opened the account's pages or downloaded its data, newest first (the index's
    order); the names are stored with each record, so nothing is joined."""
    return AccountAccess.objects.filter(account=account).order_by("-created_at", "-id")


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
    live = account.subscriptions.filter(status__in=LIVE_STATUSES).count()
    if live:
        preview["live subscriptions ended"] = live
    for module in erasure_modules():
        preview.update(module.count(account))
    return preview


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


@dataclass(frozen=True)
class AccountGlance:
    """The account page's header: what an agent needs to see first."""

    account: Account
    live: list[Subscription]
    scheduled: list[str] = field(default_factory=list)
    # Credit control (dunning): in it or not, and since when (from the timeline).
    in_credit_control: bool = False
    credit_control_since: dt.datetime | None = None
    last_payment: ActivityEvent | None = None


def account_glance(account: Account) -> AccountGlance:
    """The header of an account fetched by `account_detail` (its subscriptions prefetched):
    live plans with their next billing, scheduled changes, credit-control state and the last
    payment. Two queries, whatever the account holds."""
    live = [s for s in account.subscriptions.all() if s.status in LIVE_STATUSES]
    scheduled = []
    for sub in live:
        if sub.cancellation_scheduled_for:
            scheduled.append(f"{sub.order_id}: cancellation on {sub.cancellation_scheduled_for}")
        if sub.downgrade_to_id and sub.downgrade_to is not None:
            scheduled.append(
                f"{sub.order_id}: downgrade to {sub.downgrade_to.name} on "
                f"{sub.downgrade_scheduled_for}"
            )
        if sub.pause_scheduled_for:
            scheduled.append(
                f"{sub.order_id}: pause of {sub.pause_months} month"
                f"{'' if sub.pause_months == 1 else 's'} from {sub.pause_scheduled_for}"
            )
    control = latest_event(account, CREDIT_CONTROL_TYPES)
    in_control = control is not None and control.type == "credit_control_cycle_entered"
    return AccountGlance(
        account=account,
        live=live,
        scheduled=scheduled,
        in_credit_control=in_control,
        credit_control_since=control.occurred_at if control else None,
        last_payment=latest_event(account, PAYMENT_TYPES),
    )
