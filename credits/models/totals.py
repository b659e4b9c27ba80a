"""The ledger summed per day, and over all days: what Credit Activity's totals and the
roll-forward's movements read when a filter is on the entries' dates, activity, unit or
product, instead of summing the entries themselves.

One row per local day (in the site's time zone), unit, activity, product and slot, with how
many entries it holds and the sums of their positive and negative amounts. The row of an entry
is counted up in the transaction that writes the entry (`credits.services.ledger.append`), so
the totals are never behind the ledger; `verify_ledger` recomputes them from the entries.

- The product is that of the entry's subscription when it was written (0: no subscription).
  A subscription that moves to another product moves its entries' sums with it.
- The slot is the wallet's ID modulo `SLOTS`: concurrent writers to different wallets on the
  same day count up different rows instead of queueing for one row's lock until they commit.

`CreditUnitTotal` holds the same sums without the day (one row per unit, activity, product and
slot), counted up in the same statement: the totals of every entry, or of an activity, a unit
or a product over all time, add up a few dozen rows instead of every day's (or every wallet's).
Every writer locks a day's row before its unit row (the ledger's statement makes the unit's
upsert wait for the day's; `move_subscription` takes all its day rows first, in key order), so
writers and a product change cannot wait for each other in a circle.
"""

from django.db import models

from core.money import CreditType
from credits.models.amounts import amount_field
from credits.operations import Activity

SLOTS = 4
# The product of an entry without a subscription.
NO_PRODUCT = 0


class Sums(models.Model):
    """What a day total and a unit total hold: a unit, activity, product and slot, and the count
    and both sums of the entries counted into them."""

    credit_type = models.CharField("type", max_length=10, choices=CreditType)
    currency = models.CharField(max_length=3, blank=True)
    activity = models.CharField(max_length=30, choices=Activity)
    # Not a foreign key: 0 stands for "no subscription", and a key would cost every write a
    # lookup of a product that never goes away (products are kept, PROTECT).
    product_id = models.IntegerField(default=NO_PRODUCT)
    slot = models.SmallIntegerField(default=0)
    count = models.BigIntegerField(default=0)
    added = amount_field(default=0)  # the sum of the positive amounts
    subtracted = amount_field(default=0)  # the sum of the negative amounts (zero or less)

    # Personal data, field by field (core.personal_data).
    PERSONAL_DATA: dict[str, str] = {}
    NO_PERSONAL_DATA = ("credit_type", "currency", "activity")
    # The columns added to when an entry is counted.
    SUMS = ("count", "added", "subtracted")

    class Meta:
        abstract = True


class CreditDayTotal(Sums):
    day = models.DateField()

    # The columns that name a row (the unique constraint's, in its order).
    KEY = ("day", "credit_type", "currency", "activity", "product_id", "slot")

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["day", "credit_type", "currency", "activity", "product_id", "slot"],
                name="credit_day_total_key",
            ),
        ]

    def __str__(self):
        return f"{self.day} {self.credit_type} {self.currency} {self.activity}: {self.count}"


class CreditUnitTotal(Sums):
    """A `CreditDayTotal` over all days (see the module)."""

    KEY = ("credit_type", "currency", "activity", "product_id", "slot")

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["credit_type", "currency", "activity", "product_id", "slot"],
                name="credit_unit_total_key",
            ),
        ]

    def __str__(self):
        return f"{self.credit_type} {self.currency} {self.activity}: {self.count}"
