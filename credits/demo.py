"""Demo credit activity; run by `manage.py load_demo` after the demo accounts exist.

Goodwill grants by Finance and Customer Service (some of them expiring, and a campaign's
promotional credit that expires within the month on three accounts: lots with dates the account
page warns of; and an earlier campaign's credit, unused, that expired months ago and is taken
off by the expiry run at the end of the load: the demo's breakage), tokens included with
products, gift cards in every state (redeemed, reversed, and each status a processor can
answer), consumption of credit when subscriptions are billed, refunds of those consumptions,
revocations, and a few manual charges and refunds. Last month (the newest closed period, which
the Credit Journal opens on) holds grants of every lot kind — goodwill, promotional and paid —
a revocation and a gift card redeemed and partly reversed. Everything goes through the credit
services, in time order, so every running balance is what the services computed
(`verify_ledger` passes).

Deterministic (seeded) and idempotent: a second run finds demo credit activity and adds nothing.
"""

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from accounts.models import Account, Subscription
from core.actors import Actor
from credits import services
from credits.models import (
    ApprovalOperation,
    CreditApproval,
    CreditEntry,
    CreditType,
    CreditWallet,
    GiftCardStatus,
    LotKind,
)

FIRST, LAST = 100000, 100200
HISTORY_DAYS = 200
GOODWILL_REASONS = (
    "Goodwill: delivery missed two weekends in a row.",
    "Goodwill: app outage during the match.",
    "Compensation for a double charge last month.",
    "Retention offer accepted on the phone.",
)
REVOKE_REASONS = ("Goodwill granted twice by mistake.", "Retention offer withdrawn: cancelled.")
REFUND_REASONS = ("Billing run charged a paused month.", "Price corrected after complaint.")
SUBSCRIPTION_REASONS = ("Compensation for a missed delivery.", "Print edition not delivered.")
# The accounts (by their place among the demo's) given a campaign's promotional credit that
# expires within the month: the company account and two customers.
CAMPAIGN_ACCOUNTS = (0, 1, 4)
# The accounts given credit of every kind last month, so that the Credit Journal's default
# period has a line of each.
LAST_MONTH_ACCOUNTS = (2, 5)
# The accounts given an earlier campaign's promotional credit that nobody used and that expired
# months ago: the load's expiry run takes it off (Credit Expired, the demo's breakage).
EXPIRED_CAMPAIGN_ACCOUNTS = (1, 4, 7)
LIVE = (Subscription.Status.TRIAL, Subscription.Status.ACTIVE, Subscription.Status.PAUSED)


def _accounts():
    subscriptions = Subscription.objects.select_related("product").order_by("order_id")
    return list(
        Account.objects.filter(customer_number__in=[str(n) for n in range(FIRST, LAST + 1)])
        .prefetch_related(Prefetch("subscriptions", queryset=subscriptions), "payment_methods")
        .order_by("customer_number")
    )


@transaction.atomic
def load(*, password: str, stdout) -> None:
    accounts = _accounts()
    if not accounts:
        stdout.write("Demo credits need the demo accounts (accounts.demo) first.")
        return
    if CreditEntry.objects.filter(account__in=accounts).exists():
        stdout.write("Demo credit activity already present; left as it is.")
        return
    users = get_user_model().objects.in_bulk(
        ["demo-finance", "demo-service"], field_name="username"
    )
    plan = Plan(random.Random(20261122), users["demo-finance"], users["demo-service"], accounts)
    for n, account in enumerate(accounts):
        plan.account(n, account)
    plan.run()
    # The lots whose day has passed (the autumn campaign's) expire as the worker would expire
    # them: Credit Expired entries by System.
    expired = services.credit_lots_expire()
    stdout.write(f"Credit expiry: {expired.describe()}")
    entries = CreditEntry.objects.filter(account__in=accounts).count()
    requests = _approval_requests(
        accounts, service=users["demo-service"], finance=users["demo-finance"]
    )
    stdout.write(
        f"Approvals: {requests} goodwill grants over Customer Service's limit (one waiting, "
        "one approved, one rejected, one expired; /credits/approvals/)."
    )
    stdout.write(
        f"Credit ledger: {entries} entries in "
        f"{CreditWallet.objects.filter(account__in=accounts).count()} wallets "
        f"({len(plan.operations)} operations)."
    )


class Plan:
    """Operations collected per account, then run in time order (the services refuse an entry
    dated before its wallet's newest)."""

    def __init__(self, rng, finance, service, accounts):
        self.accounts = accounts
        self.rng, self.finance, self.service = rng, finance, service
        self.now = timezone.now().replace(microsecond=0)
        self.today = timezone.localdate()
        self.start = self.now - dt.timedelta(days=HISTORY_DAYS)
        self.operations: list[tuple[dt.datetime, int, Callable[..., object], dict]] = []
        self.final: list[tuple[Callable[..., object], dict]] = []
        self.refunds: list[tuple[dt.datetime, Account, str]] = []

    def at(self, when, service, **kwargs):
        when = min(when, self.now - dt.timedelta(hours=1))
        self.operations.append((when, len(self.operations), service, kwargs))

    def moment(self, low=0.0, high=1.0) -> dt.datetime:
        span = HISTORY_DAYS * 86400
        return self.start + dt.timedelta(seconds=int(span * self.rng.uniform(low, high)))

    def account(self, n: int, account: Account) -> None:
        subscriptions = list(account.subscriptions.all())
        subscription = subscriptions[0] if subscriptions else None
        currency = subscription.product.currency if subscription else "SEK"
        rng, base = self.rng, {"account": account}
        has_currency_credit = False
        if n in CAMPAIGN_ACCOUNTS:
            # A campaign's promotional credit, granted last (so that no billing has used it)
            # and expiring within the month: the account page warns of it.
            self.final.append(
                (
                    services.credit_grant,
                    {
                        **base,
                        "actor": Actor.integration("Campaigns"),
                        "amount": Decimal("75"),
                        "credit_type": CreditType.CURRENCY,
                        "currency": currency,
                        "lot_kind": LotKind.PROMOTIONAL,
                        "expires_on": self.today + dt.timedelta(days=12 + n % 10),
                        "note": "Winter campaign: credit to try the premium articles.",
                    },
                )
            )
        if n in LAST_MONTH_ACCOUNTS:
            self.last_month(n, account, currency)
        if n in EXPIRED_CAMPAIGN_ACCOUNTS:
            granted = self.moment(0.2, 0.3)
            self.at(
                granted,
                services.credit_grant,
                **base,
                actor=Actor.integration("Campaigns"),
                amount=Decimal("50"),
                credit_type=CreditType.CURRENCY,
                currency=currency,
                lot_kind=LotKind.PROMOTIONAL,
                expires_on=timezone.localtime(granted).date() + dt.timedelta(days=45),
                note="Autumn campaign: credit for the season's premium articles.",
            )
        if n == 0:  # the company account: seats paid partly with a prepaid balance
            self.company(account, subscription)
            return
        if n % 3 == 0:
            has_currency_credit = True
            granted = self.moment(0.0, 0.4)
            self.at(
                granted,
                services.credit_grant,
                **base,
                actor=self.finance,
                amount=Decimal(rng.choice(("50", "100", "150", "300"))),
                credit_type=CreditType.CURRENCY,
                currency=currency,
                note=rng.choice(GOODWILL_REASONS),
                # Every third goodwill grant is good for about a year from today.
                expires_on=self.today + dt.timedelta(days=300 + n) if n % 9 == 0 else None,
            )
            if n % 27 == 0:
                self.at(
                    granted + dt.timedelta(minutes=20),
                    services.credit_revoke,
                    **base,
                    actor=self.finance,
                    amount=Decimal("25"),
                    credit_type=CreditType.CURRENCY,
                    currency=currency,
                    note=rng.choice(REVOKE_REASONS),
                )
        if subscription and subscription.status in LIVE and n % 10 == 6:
            has_currency_credit = True
            self.at(
                self.moment(0.1, 0.5),
                services.credit_grant,
                **base,
                subscription=subscription,
                actor=self.service,
                amount=subscription.product.price,
                credit_type=CreditType.CURRENCY,
                currency=currency,
                note=rng.choice(SUBSCRIPTION_REASONS),
                expires_on=self.today + dt.timedelta(days=90),
            )
        if subscription and n % 4 == 1:
            self.tokens(account, subscription)
        if n % 7 == 2:
            has_currency_credit = True
            self.gift_card(n, account, currency, reverse=n % 14 == 9)
        for status, every in (
            (GiftCardStatus.REDEMPTION_PENDING, 11),
            (GiftCardStatus.DEACTIVE, 13),
            (GiftCardStatus.UNKNOWN, 17),
        ):
            if n % every == 3:
                self.at(
                    self.moment(0.6, 1.0),
                    services.gift_card_status_inquiry,
                    **base,
                    actor=Actor.integration("Gift card gateway"),
                    gift_card=f"GC •••• {1000 + n:04d}",
                    status=status,
                    currency=currency,
                    note="Status checked before redemption.",
                )
        if has_currency_credit and subscription:
            self.billing(n, account, subscription)
        if n in (6, 12) and subscription:
            self.final.append(
                (
                    services.manual_charge,
                    {
                        **base,
                        "actor": self.finance,
                        "amount": Decimal("39"),
                        "currency": currency,
                        "note": "Replacement of a lost access card.",
                        "transaction_id": f"MC-DEMO-{account.customer_number}",
                    },
                )
            )
        if n in (9, 18) and account.payment_methods.all():
            self.final.append(
                (
                    services.manual_refund,
                    {
                        **base,
                        "actor": self.finance,
                        "amount": subscription.product.price if subscription else Decimal("99"),
                        "currency": currency,
                        "refunded_to": account.payment_methods.all()[0],
                        "subscription": subscription,
                        "note": "Charged after the cancellation date.",
                    },
                )
            )

    def last_month(self, n, account, currency):
        """Goodwill, promotional and paid credit last month, a part of the goodwill revoked,
        and a gift card redeemed and partly reversed."""
        first = self.today.replace(day=1) - dt.timedelta(days=1)
        first = first.replace(day=1)
        day = dt.datetime.combine(first, dt.time(10, n), tzinfo=timezone.get_current_timezone())
        grant = {"account": account, "credit_type": CreditType.CURRENCY, "currency": currency}
        self.at(
            day + dt.timedelta(days=3),
            services.credit_grant,
            **grant,
            actor=self.finance,
            amount=Decimal("120"),
            lot_kind=LotKind.GOODWILL,
            note=GOODWILL_REASONS[n % len(GOODWILL_REASONS)],
        )
        self.at(
            day + dt.timedelta(days=6),
            services.credit_grant,
            **grant,
            actor=Actor.integration("Campaigns"),
            amount=Decimal("50"),
            lot_kind=LotKind.PROMOTIONAL,
            note="Autumn campaign: credit for a second title.",
        )
        self.at(
            day + dt.timedelta(days=9),
            services.credit_grant,
            **grant,
            actor=Actor.integration("Web shop"),
            amount=Decimal("200"),
            lot_kind=LotKind.PAID,
            transaction_id=f"SHOP-{account.customer_number}-{first:%Y%m}",
            note="Credit bought in the web shop.",
        )
        self.at(
            day + dt.timedelta(days=12),
            services.credit_revoke,
            **grant,
            actor=self.finance,
            amount=Decimal("20"),
            note=REVOKE_REASONS[0],
        )
        card = f"GC •••• {2000 + n:04d}"
        gateway = {"actor": Actor.integration("Gift card gateway"), "gift_card": card}
        self.at(
            day + dt.timedelta(days=15),
            services.gift_card_redeem,
            account=account,
            currency=currency,
            amount=Decimal("100"),
            **gateway,
        )
        self.at(
            day + dt.timedelta(days=16),
            services.gift_card_reverse,
            account=account,
            currency=currency,
            amount=Decimal("30"),
            **gateway,
        )

    def tokens(self, account, subscription):
        """Articles unlocked with tokens included in the subscription, a few a month."""
        granted = self.moment(0.0, 0.2)
        self.at(
            granted,
            services.credit_grant,
            account=account,
            subscription=subscription,
            actor=None,
            amount=20,
            credit_type=CreditType.TOKEN,
            transaction_id=f"PUR-{subscription.order_id}",
            note=f"Included with {subscription.product.name}.",
        )
        for i in range(self.rng.randint(2, 8)):
            self.at(
                granted + dt.timedelta(days=5 + 20 * i, hours=self.rng.randint(0, 12)),
                services.apply_credits,
                account=account,
                subscription=subscription,
                amount=self.rng.randint(1, 4),
                credit_type=CreditType.TOKEN,
                transaction_id=f"ART-{subscription.order_id}-{i + 1}",
                note="Premium article unlocked.",
            )

    def gift_card(self, n, account, currency, *, reverse):
        card, at = f"GC •••• {1000 + n:04d}", self.moment(0.1, 0.5)
        gateway = Actor.integration("Gift card gateway")
        base = {"account": account, "gift_card": card, "currency": currency, "actor": gateway}
        amount = Decimal(self.rng.choice(("100", "200", "250")))
        self.at(
            at,
            services.gift_card_status_inquiry,
            **base,
            status=GiftCardStatus.ACTIVE,
        )
        self.at(
            at + dt.timedelta(minutes=1),
            services.gift_card_redeem,
            **base,
            amount=amount,
            transaction_id=f"GCR-{account.customer_number}",
        )
        if reverse:
            self.at(
                at + dt.timedelta(minutes=30),
                services.gift_card_reverse,
                **base,
                amount=amount,
                transaction_id=f"GCX-{account.customer_number}",
                note="Processor reversed the redemption: card reported stolen.",
            )

    def billing(self, n, account, subscription):
        """Monthly billing over the history: credit is consumed before the card is charged."""
        billed = self.start.replace(day=min(account.billing_day, 28), hour=3, minute=n % 60)
        refund_month = 2 if n % 5 == 0 else None
        month = 0
        end = self.now - dt.timedelta(days=1)
        if subscription.ended_on:  # an ended subscription stops billing when it ends
            end = min(end, dt.datetime.combine(subscription.ended_on, dt.time.min, tzinfo=dt.UTC))
        while billed < end:
            if billed > self.start:
                month += 1
                transaction_id = f"BILL-{subscription.order_id}-{billed:%Y%m}"
                self.at(
                    billed,
                    services.apply_credits,
                    account=account,
                    subscription=subscription,
                    amount=subscription.product.price,
                    credit_type=CreditType.CURRENCY,
                    currency=subscription.product.currency,
                    transaction_id=transaction_id,
                    idempotency_key=f"demo-{transaction_id}",
                    note=f"Billing of {subscription.product.name}.",
                )
                if month == refund_month:
                    self.refunds.append((billed + dt.timedelta(days=3), account, transaction_id))
            billed = (billed + dt.timedelta(days=32)).replace(day=billed.day)

    def company(self, account, subscription):
        """A prepaid balance topped up each quarter; seats billed weekly draw it down."""
        moment = self.start + dt.timedelta(days=1)
        week = 0
        while moment < self.now - dt.timedelta(days=1):
            if week % 13 == 0:
                self.at(
                    moment,
                    services.credit_grant,
                    account=account,
                    actor=Actor.integration("Invoicing"),
                    amount=Decimal("25000"),
                    credit_type=CreditType.CURRENCY,
                    currency="SEK",
                    transaction_id=f"PREPAY-{moment:%Y%m%d}",
                    note="Prepaid seat balance (invoice paid).",
                )
            self.at(
                moment + dt.timedelta(hours=6),
                services.apply_credits,
                account=account,
                subscription=subscription,
                amount=Decimal(1890 + 35 * (week % 7)),
                credit_type=CreditType.CURRENCY,
                currency="SEK",
                transaction_id=f"SEATS-{moment:%Y%m%d}",
                note="Weekly seat billing.",
            )
            moment += dt.timedelta(days=7)
            week += 1

    def run(self) -> int:
        for when, account, transaction_id in self.refunds:
            self.at(when, self._refund_consumed, account=account, transaction_id=transaction_id)
        for when, _order, service, kwargs in sorted(self.operations, key=lambda o: o[:2]):
            service(created_at=when, **kwargs)
        for service, kwargs in self.final:
            service(**kwargs)
        return CreditEntry.objects.filter(account__in=self.accounts).count()

    def _refund_consumed(self, *, account, transaction_id, created_at):
        """Refund the account-wallet part of a billing that consumed credit (if any did)."""
        entry = (
            CreditEntry.objects.filter(
                transaction_id=transaction_id, wallet__subscription__isnull=True
            )
            .order_by("pk")
            .first()
        )
        if entry is None:
            return
        services.credit_refund(
            actor=self.finance,
            account=account,
            amount=-entry.amount,
            credit_type=entry.credit_type,
            currency=entry.currency,
            transaction_id=transaction_id,
            note=self.rng.choice(REFUND_REASONS),
            created_at=created_at,
        )


def _approval_requests(accounts, *, service, finance) -> int:
    """Four grants over Customer Service's limit, asked for by demo-service: one waits for
    Finance, one demo-finance approved (its entry names both), one demo-finance rejected, and
    one that nobody decided on and expired (as `expire_credit_approvals` ends it once
    APPROVAL_EXPIRY_DAYS have passed; the demo runs that as of then)."""
    asked = []
    for account, amount, note in zip(
        accounts[3:7],
        ("1500", "1200", "5000", "900"),
        (
            "Goodwill: the paper was not delivered for three weeks",
            "Goodwill: charged twice during the app outage",
            "Customer asks for a year free after a complaint",
            "Goodwill for a late delivery, asked twice by mistake",
        ),
        strict=True,
    ):
        subscription = next(iter(account.subscriptions.all()), None)
        currency = subscription.product.currency if subscription else "SEK"
        submitted = services.credit_request(
            actor=service,
            operation=ApprovalOperation.GRANT,
            account=account,
            amount=str(int(amount) // (10 if currency in ("EUR", "GBP") else 1)),
            credit_type=CreditType.CURRENCY,
            currency=currency,
            note=note,
        )
        asked.append(submitted.approval)
    _waiting, approved, rejected, forgotten = asked
    if approved is not None:
        services.approval_approve(actor=finance, approval=approved)
    if rejected is not None:
        services.approval_reject(
            actor=finance,
            approval=rejected,
            reason="Too much for goodwill: offer three months instead.",
        )
    if forgotten is not None:
        CreditApproval.objects.filter(pk=forgotten.pk).update(expires_at=timezone.now())
        services.approvals_expire()
    return sum(1 for approval in asked if approval is not None)
