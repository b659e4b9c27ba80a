import re
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Account, Product
from core.filters import DateRangeFilterSet, FilterSet, date_filter
from core.money import TOKENS_KEY
from credits.models import (
    Activity,
    ApprovalOperation,
    ApprovalState,
    CreditApproval,
    CreditDayTotal,
    CreditEntry,
    CreditType,
    CreditUnitTotal,
    CreditWallet,
)
from credits.selectors import CreditTotal, credit_totals, day_totals_sum, wallet_totals

# The largest primary key there is (bigint): a larger number matches nothing, so it is refused
# as a number before it can reach the database.
MAX_ID = 2**63 - 1
# A whole address (name@domain.tld) is matched whole, through the e-mail's own index; any other
# part of one (`olle`, `olle@`, `@example`) is looked for inside the addresses. A whole address
# looked for inside them would read every address of its domain from the trigram index
# (`example.com` is in all of them): about a second at 2,000,000 accounts, for the same rows.
WHOLE_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def email_lookup(value: str) -> str:
    """The lookup of an e-mail filter's value: `iexact` for a whole address, else `icontains`."""
    return "iexact" if WHOLE_ADDRESS.match(value.strip()) else "icontains"


def named_accounts(value: str) -> QuerySet:
    """The IDs of the accounts whose name contains `value` (as account search finds names), for
    `account__in`: the planner then reads those accounts from the name's index and each one's
    rows from its account's index. Joined to the account instead, the name was tested on the
    account of every entry, newest first, until a page matched: 270-470 ms against 55-90 ms
    for a name part of 4,805 accounts in 2,000,000 (the benchmark's data, a slow machine)."""
    return Account.objects.filter(name__fcontains=value.strip()).values("pk")


class IdFilter(django_filters.Filter):
    """A row's ID: a whole number from 1 up."""

    field_class = forms.IntegerField


class CreditActivityFilter(DateRangeFilterSet):
    """The filters of the Credit Activity page and its CSV download; the query parameter names
    are part of the public surface (DESIGN section 11). Dates are inclusive local days."""

    date_range = ("created_from", "created_to", "created_at")

    # Any part of the name, whatever its case and accents (core.lookups), as account search.
    account_name = django_filters.CharFilter(
        label="Account name", method="filter_account_name", max_length=200
    )
    account_id = django_filters.CharFilter(
        label="Account ID", field_name="account__customer_number", max_length=20
    )
    account_email = django_filters.CharFilter(
        label="Account e-mail",
        method="filter_email",
        max_length=254,
        help_text="The whole address or any part of it.",
    )
    subscription_id = django_filters.CharFilter(
        label="Subscription ID",
        field_name="subscription__order_id",
        lookup_expr="iexact",
        max_length=40,
    )
    subscription_name = django_filters.CharFilter(
        label="Subscription name",
        field_name="subscription__product__name",
        lookup_expr="icontains",
        max_length=200,
    )
    created_from = date_filter("Created from")
    created_to = date_filter("Created to")
    activity = django_filters.ChoiceFilter(choices=Activity.choices, empty_label="Any activity")
    type = django_filters.ChoiceFilter(
        label="Type", field_name="credit_type", choices=CreditType.choices, empty_label="Any type"
    )
    # One wallet's entries: where the credit roll-forward's wallets link to.
    wallet = IdFilter(
        label="Wallet",
        field_name="wallet_id",
        min_value=1,
        max_value=MAX_ID,
        widget=forms.NumberInput(attrs={"size": 8}),
    )

    class Meta:
        model = CreditEntry
        fields = [
            "account_name",
            "account_id",
            "account_email",
            "subscription_id",
            "subscription_name",
            "created_from",
            "created_to",
            "activity",
            "type",
            "wallet",
        ]

    # The filters that select whole wallets (every entry of each wallet, or none of it), with
    # the wallet's lookup for each: the totals of such a selection are the wallets' own.
    WHOLE_WALLET_LOOKUPS = {
        "account_name": "account__in",  # of named_accounts(value)
        "account_id": "account__customer_number",
        "account_email": "account__email",  # and email_lookup(value)
        "type": "credit_type",
        "wallet": "pk",
    }

    def totals(self) -> list[CreditTotal]:
        """The totals of the selected entries, what the table and the CSV hold (none when a
        filter is bad): from the unit totals when no filter or only an activity, a unit or a
        product name is used; from the wallets' running totals when the filters select whole
        wallets; from the day totals when they select days (with an activity, unit or product);
        else one aggregate over the entries (an account's or a subscription's, narrowed by
        dates or an activity: index-served)."""
        if self.is_bound and not self.is_valid():
            return []
        rows = self.summed_rows()
        if rows is not None:
            return day_totals_sum(rows)
        wallets = self.whole_wallets()
        if wallets is not None:
            return wallet_totals(wallets)
        return credit_totals(self.qs)

    # The filters whose totals the day totals (credits.models.totals) can give, and of those
    # the ones that are not on the days, which the unit totals give too.
    DAY_TOTAL_FILTERS = {"created_from", "created_to", "activity", "type", "subscription_name"}
    UNIT_TOTAL_FILTERS = {"activity", "type", "subscription_name"}

    def _used(self) -> dict[str, Any]:
        if not self.is_bound:
            return {}
        return {
            name: value for name, value in self.form.cleaned_data.items() if value not in (None, "")
        }

    def whole_wallets(self) -> QuerySet[CreditWallet] | None:
        """The wallets the filters select whole, when no filter is on the entries themselves
        (their dates, activity, subscription); else None. Call after validation."""
        used = self._used()
        if not set(used) <= self.WHOLE_WALLET_LOOKUPS.keys():
            return None
        wallets = CreditWallet.objects.all()
        for name, value in used.items():
            if name == "account_name":
                wallets = wallets.filter(account__in=named_accounts(value))
            else:
                wallets = wallets.filter(**{self._wallet_lookup(name, value): value})
        return wallets

    def summed_rows(self) -> QuerySet[CreditDayTotal] | QuerySet[CreditUnitTotal] | None:
        """The rows of the unit totals (no dates used) or of the day totals (dates in the
        site's time zone) that hold the selected entries' sums, when every filter used is on
        their days, activity, unit or product name; else None. Call after validation."""
        used = self._used()
        rows: QuerySet[CreditDayTotal] | QuerySet[CreditUnitTotal]
        if set(used) <= self.UNIT_TOTAL_FILTERS:
            rows = CreditUnitTotal.objects.all()
        elif set(used) <= self.DAY_TOTAL_FILTERS and (
            timezone.get_current_timezone_name() == timezone.get_default_timezone_name()
        ):
            rows = CreditDayTotal.objects.all()
            if "created_from" in used:
                rows = rows.filter(day__gte=used["created_from"])
            if "created_to" in used:
                rows = rows.filter(day__lte=used["created_to"])
        else:
            return None
        if "activity" in used:
            rows = rows.filter(activity=used["activity"])
        if "type" in used:
            rows = rows.filter(credit_type=used["type"])
        if "subscription_name" in used:
            named = Product.objects.filter(name__icontains=used["subscription_name"])
            rows = rows.filter(product_id__in=named.values("pk"))
        return rows

    def _wallet_lookup(self, name: str, value: object) -> str:
        lookup = self.WHOLE_WALLET_LOOKUPS[name]
        return f"{lookup}__{email_lookup(str(value))}" if name == "account_email" else lookup

    def filter_account_name(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(account__in=named_accounts(value))

    def filter_email(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(**{f"account__email__{email_lookup(value)}": value.strip()})


class CreditApprovalFilter(FilterSet):
    """The filters of the approvals page. Without a `state` the page shows what waits."""

    state = django_filters.ChoiceFilter(
        choices=ApprovalState.choices, empty_label="Any state", method="filter_state"
    )
    operation = django_filters.ChoiceFilter(
        choices=ApprovalOperation.choices, empty_label="Any operation"
    )
    currency = django_filters.CharFilter(
        label="Currency", max_length=6, method="filter_currency", help_text="A code, or tokens."
    )
    account_id = django_filters.CharFilter(
        label="Account ID", field_name="account__customer_number", max_length=20
    )
    requested_by = django_filters.CharFilter(
        label="Requested by", field_name="actor_name", lookup_expr="icontains", max_length=150
    )

    class Meta:
        model = CreditApproval
        fields = ["state", "operation", "currency", "account_id", "requested_by"]

    def filter_state(self, queryset, name, value):
        # "Waiting" means still decidable: an overdue request counts as expired.
        now = timezone.now()
        if value == ApprovalState.PENDING:
            return queryset.waiting(now)
        if value == ApprovalState.EXPIRED:
            return queryset.filter(
                Q(state=ApprovalState.EXPIRED) | Q(state=ApprovalState.PENDING, expires_at__lte=now)
            )
        return queryset.filter(state=value)

    def filter_currency(self, queryset, name, value):
        value = value.strip()
        if value.lower() in (TOKENS_KEY, CreditType.TOKEN):
            return queryset.filter(credit_type=CreditType.TOKEN)
        return queryset.filter(currency=value.upper())
