"""Currencies, tokens and amounts: which codes exist, how many decimals an amount may have,
how it is written, and its flag. Products, event attributes and the credit ledger all use these.

A `Unit` is one currency (ISO 4217) or tokens. Tokens are whole numbers. A currency amount has
the currency's minor units (SEK 2, JPY 0, KWD 3) as Babel's CLDR data gives them; the database
keeps four decimals, enough for all. Amounts are written two ways, and only these: `plain`
("-12.50", for files and the API) and `describe` ("12.50 SEK", "7 tokens", for sentences);
`money_cell` is the one HTML of an amount with its flag, for tables and templates alike.
"""

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from babel.core import get_global
from babel.numbers import get_currency_name, get_currency_precision, is_currency
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.templatetags.static import static
from django.utils.deconstruct import deconstructible
from django.utils.safestring import SafeString
from django.utils.translation import to_locale

from core.html import format_html

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


# ISO 4217 codes that are not money a customer holds: precious metals, bond-market units, the
# IMF's SDR, funds and units of account, and the codes for testing and for "no currency".
NOT_MONEY = frozenset(
    (
        "XAU", "XAG", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA", "XTS",
        "XXX", "BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW",
    )
)  # fmt: skip


def is_known_currency(code: object) -> bool:
    """Whether `code` is the ISO 4217 code of a currency that Babel knows (three capital
    letters), and money (not a metal, a fund, a unit of account or a test code: NOT_MONEY)."""
    return (
        isinstance(code, str)
        and CURRENCY_CODE_FORMAT.fullmatch(code) is not None
        and code not in NOT_MONEY
        and is_currency(code)
    )


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
        return TOKENS_LABEL
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


class CreditType(models.TextChoices):
    """What a unit of credit is: tokens, or an amount of a currency."""

    TOKEN = "token", "Token"
    CURRENCY = "currency", "Currency"


# How settings, addresses, limits and sentences name the token unit (a currency is named by its
# code), and how a heading or a column does. The row's credit type is CreditType.TOKEN.
TOKENS_KEY = "tokens"
TOKENS_LABEL = "Tokens"


@dataclass(frozen=True)
class Unit:
    """One unit of credit or money: a currency (its ISO 4217 code), or tokens (no code)."""

    currency: str = ""

    @classmethod
    def of(cls, credit_type: str, currency: str = "") -> "Unit":
        """The unit of a row's credit type and currency."""
        return TOKENS if credit_type == CreditType.TOKEN else cls(currency)

    @classmethod
    def from_key(cls, key: str) -> "Unit":
        """The unit a setting or an address names: `tokens` or a known currency code
        (ValueError otherwise)."""
        if key == TOKENS_KEY:
            return TOKENS
        if not is_known_currency(key):
            raise ValueError(UNKNOWN_CURRENCY.format(key))
        return cls(key)

    @property
    def is_tokens(self) -> bool:
        return not self.currency

    @property
    def credit_type(self) -> str:
        return CreditType.TOKEN if self.is_tokens else CreditType.CURRENCY

    @property
    def key(self) -> str:
        """`tokens` or the code: how settings and addresses name it."""
        return self.currency or TOKENS_KEY

    @property
    def label(self) -> str:
        """`Tokens` or the code: how a heading or a column names it."""
        return self.currency or TOKENS_LABEL

    @property
    def name(self) -> str:
        """`Tokens` or the currency's name in the site's language (`Swedish Krona`)."""
        return currency_name(self.currency)

    @property
    def minor_units(self) -> int:
        return minor_units(self.currency)

    @property
    def quantum(self) -> Decimal:
        return quantum(self.currency)

    @property
    def flag(self) -> str:
        """The static path of the unit's flag (see `currency_flag`)."""
        return currency_flag(self.currency)

    def plain(self, amount: Decimal) -> str:
        """`-12.50` for SEK, `7` for tokens: for files and the API."""
        return plain(amount, self.currency)

    def describe(self, amount: Decimal) -> str:
        """`12.50 SEK`, `7 tokens`: an amount as a sentence names it."""
        return f"{self.plain(amount)} {self.currency or TOKENS_KEY}"

    def __str__(self) -> str:
        return self.label


TOKENS = Unit()

# The unit's SVG flag, named by the unit (its alt text and hover title), and the amount; a
# currency's code follows in grey.
MONEY_HTML = (
    '<span class="amount"><img class="flag" src="{}" alt="{}" title="{}" width="20"'
    ' height="15"> {}</span>'
)
MONEY_WITH_CODE_HTML = MONEY_HTML.removesuffix("</span>") + ' <span class="muted">{}</span></span>'


def money_cell(
    amount: Decimal | str, unit: Unit, *, flag_url: Callable[[str], str] = static
) -> SafeString:
    """The one HTML of an amount with its unit's flag: for tables (which pass a `flag_url`
    that looks each flag up once a page) and templates (`{% money %}`). A Decimal is written
    plain, with its unit's minor units; text is written as given."""
    text = unit.plain(amount) if isinstance(amount, Decimal) else amount
    name = unit.name
    flag = flag_url(unit.flag)
    if unit.is_tokens:
        return format_html(MONEY_HTML, flag, name, name, text)
    return format_html(MONEY_WITH_CODE_HTML, flag, name, name, text, unit.currency)


# --- Rates to the reporting currency ---------------------------------------------------------

NO_RATE = "No exchange rate from {currency} to {reporting} on {day} (EXCHANGE_RATES)."


def rate_to_reporting(currency: str, day: "dt.date") -> Decimal | None:
    """What one unit of `currency` was worth in settings.REPORTING_CURRENCY on `day`: its newest
    rate in an EXCHANGE_RATES table dated on or before it (1 for the reporting currency
    itself), or None when there is none."""
    if currency == settings.REPORTING_CURRENCY:
        return Decimal(1)
    found = None
    for start, rates in sorted(settings.EXCHANGE_RATES.items()):
        if dt.date.fromisoformat(start) > day:
            break
        if currency in rates:
            found = Decimal(str(rates[currency]))
    return found


def in_reporting(amount: Decimal, currency: str, day: "dt.date") -> Decimal:
    """`amount` of `currency` in the reporting currency on `day` (ValueError without a rate)."""
    rate = rate_to_reporting(currency, day)
    if rate is None:
        raise ValueError(
            NO_RATE.format(currency=currency, reporting=settings.REPORTING_CURRENCY, day=day)
        )
    return amount * rate
