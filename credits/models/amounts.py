"""What every ledger model's amounts share: the amount field, and the constraints that tie an
amount to its unit (whole tokens; a currency named for currency credit)."""

from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round

from core.money import CreditType

# Half the smallest amount kept (four decimals).
HALF_QUANTUM = Decimal("0.00005")


def amount_field(verbose_name: str | None = None, **kwargs: Any) -> models.DecimalField:
    """An amount or balance: four decimals hold every currency's minor units (CLDR has none
    above four); tokens use none."""
    return models.DecimalField(verbose_name, max_digits=18, decimal_places=4, **kwargs)


def _unit_constraints(prefix: str, amount_fields: tuple[str, ...]) -> list:
    """A token row has no currency and whole amounts; a currency row names its currency."""
    whole = Q()
    for name in amount_fields:
        whole &= Q(**{name: Round(F(name))})
    return [
        models.CheckConstraint(
            condition=Q(credit_type=CreditType.TOKEN, currency="")
            | (Q(credit_type=CreditType.CURRENCY) & ~Q(currency="")),
            name=f"{prefix}_currency_matches_type",
        ),
        models.CheckConstraint(
            condition=Q(credit_type=CreditType.CURRENCY) | whole,
            name=f"{prefix}_whole_tokens",
        ),
    ]
