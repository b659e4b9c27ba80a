from decimal import Decimal

from django import template
from django.utils.safestring import SafeString

from core.money import Unit, money_cell

register = template.Library()


@register.simple_tag
def money(amount: Decimal | str, unit: Unit | str) -> SafeString:
    """`{% money entry.amount entry.unit %}`: the amount with its unit's flag (core.money)."""
    return money_cell(amount, unit if isinstance(unit, Unit) else Unit(unit or ""))


@register.filter
def unit_of(currency: str) -> Unit:
    """`{{ total.currency|unit_of }}`: the Unit of a currency code ("" for tokens)."""
    return Unit(currency or "")


@register.filter
def plain(amount: Decimal, unit: Unit | str) -> str:
    """`{{ entry.balance_after|plain:entry.unit }}`: the amount with the unit's minor units."""
    return (unit if isinstance(unit, Unit) else Unit(unit or "")).plain(amount)
