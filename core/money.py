"""Currencies and amounts: which codes exist, how many decimals an amount may have, how it is
shown, and its flag. Products, event attributes and the credit ledger all use these.

Tokens are whole numbers. A currency amount has the currency's minor units (SEK 2, JPY 0,
KWD 3) as Babel's CLDR data gives them; the database keeps four decimals, enough for all.
"""

import functools
import re
from decimal import Decimal

from babel.core import get_global
from babel.numbers import get_currency_name, get_currency_precision, is_currency
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import to_locale

# Flags are SVG files (flag-icons, vendored under static/ with its licence), not emoji, which
# show as empty boxes or letters on systems without an emoji font.
FLAGS_DIR = "vendor/flag-icons/4x3"
# The flags vendored: the countries (and the EU) of the currencies the product is used with.
FLAG_CODES = frozenset(
    ("se", "no", "dk", "fi", "de", "gb", "eu", "us", "ch", "is", "pl", "jp", "ca", "au")
)
TOKEN_ICON = "img/token.svg"
CURRENCY_ICON = "img/currency.svg"
CURRENCY_CODE_FORMAT = re.compile(r"[A-Z]{3}")
UNKNOWN_CURRENCY = "Unknown currency “{}”: use an ISO 4217 code, e.g. SEK."


@functools.cache
def _locale() -> str:
    return to_locale(settings.LANGUAGE_CODE)


def is_known_currency(code: object) -> bool:
    """Whether `code` is an ISO 4217 code that Babel knows (three capital letters)."""
    return (
        isinstance(code, str) and CURRENCY_CODE_FORMAT.fullmatch(code) is not None
    ) and is_currency(code)


@deconstructible
class CurrencyCodeValidator:
    """The one check of a currency code, for model fields, forms and the services."""

    message = UNKNOWN_CURRENCY
    code = "currency"

    def __call__(self, value: object) -> None:
        if not is_known_currency(value):
            raise ValidationError(self.message.format(value), code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CurrencyCodeValidator)


validate_currency_code = CurrencyCodeValidator()


def minor_units(currency: str) -> int:
    """Decimals of an amount in `currency`; 0 for tokens (an empty currency)."""
    return get_currency_precision(currency) if currency else 0


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def plain(amount: Decimal, currency: str) -> str:
    """`-12.50` for SEK, `7` for tokens: a plain decimal with the unit's minor units."""
    return format(amount.quantize(quantum(currency)), "f")


def scale_groups() -> dict[int, list[str]]:
    """Currency codes by their number of decimals, for those that differ from the default 2
    (so that SQL can round each row to its own unit, see `credits.export`)."""
    groups: dict[int, list[str]] = {}
    for code, (digits, *_rest) in get_global("currency_fractions").items():
        if code != "DEFAULT" and digits != 2:
            groups.setdefault(digits, []).append(code)
    return {digits: sorted(codes) for digits, codes in sorted(groups.items())}


@functools.cache
def currency_name(currency: str) -> str:
    """The currency's name in the site's language (`Swedish Krona`); `Tokens` for tokens."""
    if not currency:
        return "Tokens"
    return get_currency_name(currency, locale=_locale())


def currency_flag(currency: str) -> str:
    """The static path of the currency's flag: its country's (the code's first two letters:
    SEK -> se, EUR -> eu), a coin for tokens, a generic currency sign for any other code."""
    if not currency:
        return TOKEN_ICON
    country = currency[:2].lower()
    if country in FLAG_CODES:
        return f"{FLAGS_DIR}/{country}.svg"
    return CURRENCY_ICON
