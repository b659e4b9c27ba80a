from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django_countries.fields import CountryField

from core import money, triggers
from core.actors import Attributed
from core.cards import no_card_number, validate_no_card_number
from core.personal_data import ANONYMISED_NAME

# A masked payment detail may show a few digits (the last four), never a card number: no run of
# seven digits, and no card number written in groups either (core.cards).
NO_CARD_NUMBER = RegexValidator(
    r"[0-9]{7,}", inverse_match=True, message="Store masked details only, never a card number."
)


class CountryCodeField(CountryField):
    """django-countries' field, whose value is checked against the country codes: the field's
    own check compared it with every choice, translating and sorting every country's name each
    time (26 ms for each account written through a service or a form)."""

    def validate(self, value: object, model_instance: models.Model | None) -> None:
        if self.multiple or value in self.empty_values:
            super().validate(value, model_instance)
        elif str(value) not in self.countries:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )


class Account(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        CLOSED = "closed", "Closed"
        ANONYMISED = "anonymised", "Anonymised"

    customer_number = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254, db_index=True)
    phone = models.CharField(max_length=40, blank=True)
    street = models.CharField(max_length=200, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = CountryCodeField(blank=True, help_text="Chosen by name; stored as its ISO 3166 code")
    billing_day = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(28)]
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.ACTIVE)
    # A default rather than auto_now_add: accounts moved from another system keep their date.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    # Personal data, field by field (core.personal_data).
    PERSONAL_DATA = {
        "name": f"replaced by “{ANONYMISED_NAME}”",
        "email": "replaced by an address that is no one's (anonymised-<customer number>@...)",
        "phone": "emptied",
        "street": "emptied",
        "postcode": "emptied",
        "city": "emptied",
    }
    NO_PERSONAL_DATA = ("customer_number", "status", "country")

    class Meta:
        ordering = ["name", "customer_number"]
        permissions = [
            ("manage_subscriptions", "Can act on an account's subscriptions"),
            ("anonymise_account", "Can anonymise an account (GDPR erasure)"),
            ("export_account_data", "Can download everything held on a customer (GDPR art. 15)"),
        ]
        indexes = [
            models.Index(Upper("email"), name="account_email_upper_idx"),
            # Search: the list by name, and a customer number in any case. On PostgreSQL the
            # name and the e-mail also have pg_trgm GIN indexes (migration 0004) for `contains`.
            models.Index(fields=["name", "customer_number"], name="account_name_number_idx"),
            models.Index(Upper("customer_number"), name="account_number_upper_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(billing_day__gte=1, billing_day__lte=28),
                name="account_billing_day_1_28",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.customer_number})"

    def get_absolute_url(self):
        return reverse("accounts:detail", args=[self.customer_number])

    @property
    def is_anonymised(self) -> bool:
        """Its personal data was erased: nothing personal may be stored for it again."""
        return self.status == self.Status.ANONYMISED

    @property
    def address_lines(self) -> list[str]:
        place = " ".join(part for part in (self.postcode, self.city) if part)
        return [line for line in (self.street, place, self.country.name) if line]


class Product(models.Model):
    name = models.CharField(max_length=200)
    code = models.SlugField(max_length=50, unique=True)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, validators=[money.validate_currency_code])
    period_months = models.PositiveSmallIntegerField(default=1)
    is_active = models.BooleanField(default=True)

    # Personal data, field by field (core.personal_data).
    PERSONAL_DATA: dict[str, str] = {}
    NO_PERSONAL_DATA = ("name", "code", "currency")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="product_price_gte_0"),
        ]

    def __str__(self):
        return self.name


class SubscriptionQuerySet(models.QuerySet):
    def for_account(self, account):
        return self.filter(account=account)


class Subscription(models.Model):
    class Status(models.TextChoices):
        TRIAL = "trial", "Trial"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="subscriptions")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="subscriptions")
    order_id = models.CharField("order ID", max_length=40, unique=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.ACTIVE)
    started_on = models.DateField()
    next_billing_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    cancellation_scheduled_for = models.DateField(null=True, blank=True)
    downgrade_to = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    downgrade_scheduled_for = models.DateField(null=True, blank=True)
    pause_scheduled_for = models.DateField(null=True, blank=True)
    pause_months = models.PositiveSmallIntegerField(null=True, blank=True)
    paused_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubscriptionQuerySet.as_manager()

    # Personal data, field by field (core.personal_data).
    PERSONAL_DATA: dict[str, str] = {}
    NO_PERSONAL_DATA = ("order_id", "status")
    # Not stored: True on the subscription a keyed action returns when the key had done it
    # already (nothing changed this time).
    replayed = False

    class Meta:
        ordering = ["-started_on", "order_id"]
        # An order ID in any case (search, Credit Activity). A btree, not a trigram index:
        # order IDs are matched whole, and pg_trgm's equality read 27 ms of posting lists
        # at 2,000,000 subscriptions where this reads three pages.
        indexes = [models.Index(Upper("order_id"), name="subscription_order_upper_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(downgrade_to__isnull=True)
                | models.Q(downgrade_scheduled_for__isnull=False),
                name="subscription_downgrade_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(pause_scheduled_for__isnull=True)
                | models.Q(pause_months__gte=1),
                name="subscription_scheduled_pause_has_months",
            ),
        ]

    def __str__(self):
        return f"{self.order_id} · {self.product}"

    def get_absolute_url(self):
        return f"{self.account.get_absolute_url()}#subscription-{self.order_id}"


class PaymentMethod(models.Model):
    class Kind(models.TextChoices):
        CARD = "card", "Card"
        KLARNA = "klarna", "Klarna"
        INVOICE = "invoice", "Invoice"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="payment_methods")
    kind = models.CharField(max_length=20, choices=Kind)
    brand = models.CharField(max_length=40, blank=True, help_text="Card network, e.g. Visa")
    masked_details = models.CharField(
        max_length=100,
        validators=[NO_CARD_NUMBER, validate_no_card_number],
        help_text="Masked only, e.g. •••• 4242 or a masked Klarna e-mail",
    )
    expires_on = models.DateField(null=True, blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    # Personal data, field by field (core.personal_data).
    PERSONAL_DATA = {
        "masked_details": "replaced (the method is kept, its details are not)",
        "brand": "emptied",
    }
    NO_PERSONAL_DATA = ("kind",)

    class Meta:
        ordering = ["-is_default", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(is_default=True),
                name="payment_method_one_default_per_account",
            ),
            models.CheckConstraint(
                condition=~models.Q(masked_details__regex=r"[0-9]{7,}")
                & no_card_number("masked_details"),
                name="payment_method_never_full_number",
            ),
        ]

    def __str__(self):
        label = self.brand or self.get_kind_display()
        return f"{label} {self.masked_details}"


class AccountAccess(Attributed):
    """One opening by staff of an account's pages or one download of its data: who, when,
    which page, and the filters as typed. Written once (one INSERT per page), never changed
    or deleted (a trigger refuses it on PostgreSQL) but by erasure, which redacts the filter
    values that name the customer, and by `purge_retention`, which empties the filters."""

    class Page(models.TextChoices):
        ACCOUNT = "account", "Account page"
        RECENT_ACTIVITY = "recent_activity", "Recent Activity"
        LEGACY_MODE = "legacy_mode", "Legacy mode"
        ACTIVITY_CSV = "activity_csv", "Recent Activity CSV"
        LEGACY_CSV = "legacy_csv", "Legacy mode CSV"
        ACCESS_LOG = "access_log", "Access log"
        DATA_EXPORT = "data_export", "Customer data export"

    # Its index below leads with the account: no index of its own.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+", db_index=False)
    created_at = models.DateTimeField(default=timezone.now)
    page = models.CharField(max_length=30, choices=Page)
    filters = models.JSONField(default=dict, blank=True)

    # Personal data, field by field (core.personal_data): the filters may name the customer
    # (an e-mail typed into a search); erasure redacts those values, retention all of them.
    PERSONAL_DATA = {
        "filters": "values naming the customer redacted on erasure; all removed after "
        "RETENTION_DAYS"
    }
    NO_PERSONAL_DATA = ("page", "actor_name")
    # What `purge_retention` empties once a record is older than RETENTION_DAYS.
    RETENTION = {"filters": dict}
    # Writing it leaves the reader on the read replica (core.replicas).
    RECORDS_A_READ = True

    class Meta:
        verbose_name = "account access"
        verbose_name_plural = "account accesses"
        ordering = ["-created_at", "-id"]
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["account", "-created_at", "-id"], name="accountaccess_time_idx"),
        ]
        triggers = [triggers.append_only(), triggers.no_truncate()]

    def __str__(self) -> str:
        return f"{self.actor_name} · {self.get_page_display()} · {self.created_at:%Y-%m-%d %H:%M}"
