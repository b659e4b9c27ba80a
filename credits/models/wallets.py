"""The wallet: one unit of credit (tokens, or one currency) of an account or of one of its
subscriptions, with its balance and its running totals."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from core import money, triggers
from core.money import CreditType, Unit
from credits.models.amounts import HALF_QUANTUM, _unit_constraints, amount_field


class CreditWalletQuerySet(models.QuerySet):
    def for_account(self, account):
        return self.filter(account=account)


class CreditWallet(models.Model):
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="credit_wallets"
    )
    # Empty for the account's own wallet; set for a subscription's wallet.
    subscription = models.ForeignKey(
        "accounts.Subscription",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_wallets",
    )
    credit_type = models.CharField(max_length=10, choices=CreditType)
    currency = models.CharField(
        max_length=3,
        blank=True,
        validators=[money.validate_currency_code],
        help_text="Empty for tokens",
    )
    balance = amount_field(default=0)
    # Running totals of the wallet's entries: all it ever added, and all it ever removed
    # (negative); balance = added + removed. Credit Activity's totals over whole wallets (no
    # filter, or one on the account or the unit) sum these instead of the ledger.
    added = amount_field(default=0, db_default=0)
    removed = amount_field(default=0, db_default=0)
    # The seq of the newest entry: the next entry is last_seq + 1.
    last_seq = models.PositiveIntegerField(default=0)
    # The hash of the newest entry, which the next entry's hash covers (credits.chain).
    last_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    # The created_at of the newest entry: no later entry is dated before it (None: no entry,
    # or a wallet written before this was kept, read from its entries).
    last_entry_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = CreditWalletQuerySet.as_manager()

    # Personal data, field by field (core.personal_data).
    PERSONAL_DATA: dict[str, str] = {}
    NO_PERSONAL_DATA = ("credit_type", "currency", "last_hash")

    class Meta:
        ordering = ["account", "subscription", "credit_type", "currency"]
        default_permissions = ("view",)
        # Balances move with every entry; a wallet is never removed.
        triggers = [triggers.no_delete(), triggers.no_truncate()]
        constraints = [
            # One wallet per unit for the account itself and per unit for each subscription.
            # Two partial constraints rather than one over a NULL-able column: NULLs are
            # distinct in a unique index, which would let two account wallets through.
            models.UniqueConstraint(
                fields=["account", "credit_type", "currency"],
                condition=Q(subscription__isnull=True),
                name="credit_wallet_one_per_account_unit",
            ),
            # The account last in each key: a subscription (and a wallet) belongs to one
            # account, so it changes nothing here, and a table distributed by account needs it.
            models.UniqueConstraint(
                fields=["subscription", "credit_type", "currency", "account"],
                condition=Q(subscription__isnull=False),
                name="credit_wallet_one_per_subscription_unit",
            ),
            models.CheckConstraint(condition=Q(balance__gte=0), name="credit_wallet_balance_gte_0"),
            # Within half the smallest amount rather than equal: SQLite (`make run`) computes
            # decimals as floating point; PostgreSQL is exact either way.
            models.CheckConstraint(
                condition=Q(
                    balance__gt=F("added") + F("removed") - HALF_QUANTUM,
                    balance__lt=F("added") + F("removed") + HALF_QUANTUM,
                    added__gte=0,
                    removed__lte=0,
                ),
                name="credit_wallet_balance_is_its_totals",
            ),
            *_unit_constraints("credit_wallet", ("balance",)),
        ]

    def __str__(self):
        return f"{self.scope_label} · {self.unit} · {self.account.customer_number}"

    @property
    def scope_label(self) -> str:
        return self.subscription.order_id if self.subscription else "Account"

    @property
    def unit(self) -> Unit:
        return Unit.of(self.credit_type, self.currency)


class CreditWalletMonth(models.Model):
    """A wallet's balance at the end of each UTC month it had entries in: the balance after its
    last entry of the month, written in that entry's statement. A balance as of an instant
    (credits.rollforward) reads the instant's own month of the ledger and, before that, this
    row: the ledger is partitioned by month, and a probe that walked back through every month
    a dormant wallet had no entry in would read one partition's index each."""

    wallet = models.ForeignKey(
        CreditWallet, on_delete=models.PROTECT, related_name="months", db_index=False
    )
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    month = models.DateField(help_text="The first day of the UTC month")
    seq = models.PositiveIntegerField("number of the month's last entry in its wallet")
    balance_after = amount_field("balance")

    PERSONAL_DATA: dict[str, str] = {}
    NO_PERSONAL_DATA = ()

    class Meta:
        default_permissions = ()
        constraints = [
            # Its wallet's months, newest first, from the key's index.
            models.UniqueConstraint(
                fields=["wallet", "month", "account"], name="credit_wallet_month_key"
            ),
        ]

    def __str__(self):
        return f"{self.wallet_id} {self.month:%Y-%m}: {self.balance_after}"
