"""Personal data is declared, not hunted.

Every model of the back-office says, field by field, which of its text fields hold personal
data of a customer and how anonymisation treats each (`PERSONAL_DATA`), and which hold none
(`NO_PERSONAL_DATA`); every event attribute says it in the registry (`Attribute.personal`). A
test fails when a text field or an attribute is added without saying.

Erasure (`accounts.services.account_anonymise`) runs each app's part: an app that keeps personal
data names its erasure module in its AppConfig (`erasure = "credits.erasure"`), with
`count(account)` (what would be redacted, by kind) and `erase(account)` (redact it in place and
return the same counts). The placeholders are the ones below.

A customer's data export (GDPR art. 15) is composed the same way: an app that keeps data of
a customer names its export module in its AppConfig (`customer_export = "credits.export"`),
with `customer_files(account)`: (file name, a generator of the file's bytes that returns how
many rows it wrote), for every file it adds to the customer's archive. Each export is announced
with `customer_data_exported`, which staff activity records.

Declared fields are redacted whole. Free text that is not declared personal (an e-mail's
subject, a legacy entry's event name, any text attribute) may still quote the customer: erasure
scans it for what is known of them (`known_terms`: the name and its parts, the e-mail and its
local part, the phone, the street) and redacts each match in place (`redact_known`).
"""

import re
import unicodedata
from collections.abc import Iterable, Iterator
from importlib import import_module
from types import ModuleType
from typing import Any

from django.apps import apps
from django.dispatch import Signal

REDACTED = "[redacted]"
ANONYMISED_NAME = "Anonymised customer"


def anonymised_email(customer_number: str) -> str:
    """An address that is no one's (the .invalid domain is reserved) and still unique."""
    return f"anonymised-{customer_number}@anonymised.invalid"


def erasure_modules() -> Iterator[ModuleType]:
    """Each app's erasure module, in the order of INSTALLED_APPS."""
    for config in apps.get_app_configs():
        name = getattr(config, "erasure", None)
        if name:
            yield import_module(name)


def export_modules() -> Iterator[ModuleType]:
    """Each app's part of a customer's data export, in the order of INSTALLED_APPS."""
    for config in apps.get_app_configs():
        name = getattr(config, "customer_export", None)
        if name:
            yield import_module(name)


# Sent when someone downloaded everything held on a customer, with `actor` (core.actors.Actor),
# `customer_number`, `files` and `rows` (how many of each the archive held). Staff activity
# records it: the apps that export need not know staff.
customer_data_exported = Signal()


def declarations() -> list[tuple[Any, dict[str, str], tuple[str, ...]]]:
    """(model, personal fields with how they are handled, fields without personal data) for
    every model that declares them."""
    found = []
    for model in apps.get_models():
        personal = getattr(model, "PERSONAL_DATA", None)
        if personal is not None:
            found.append((model, personal, getattr(model, "NO_PERSONAL_DATA", ())))
    return found


ACCOUNT_ANONYMISED = (
    "The customer's personal data was erased (the account is anonymised): nothing that would "
    "keep personal data again can be stored for it."
)


# Name parts shorter than this are left alone ("Li", "Bo" would redact half of every text).
MIN_NAME_PART = 3
MIN_PHONE_DIGITS = 6


def _plain(text: str) -> str:
    """`Lövgren` -> `Lovgren`: the letters without their accents."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def known_terms(*, name: str, email: str, phone: str, street: str) -> re.Pattern[str] | None:
    """One pattern that finds what is known of a customer in free text, case-insensitively and
    with or without accents: the whole name and each part of it (as words), the e-mail and
    its local part, the street, and the phone number however its digits are grouped."""
    words: set[str] = set()
    phrases: set[str] = set()
    for value in (name, street, email):
        if value and value.strip():
            phrases.add(value.strip())
    if email and "@" in email:
        local = email.split("@", 1)[0]
        if len(local) >= MIN_NAME_PART:
            phrases.add(local)
    for part in re.split(r"[\s,.'-]+", name or ""):
        if len(part) >= MIN_NAME_PART:
            words.add(part)
    alternatives = [re.escape(p) for t in phrases for p in {t, _plain(t)}]
    alternatives += [rf"\b{re.escape(p)}\b" for t in words for p in {t, _plain(t)}]
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) >= MIN_PHONE_DIGITS:
        # The whole number, and its last digits (the same number written nationally, without
        # its country code), however they are grouped.
        alternatives.append(r"\+?" + r"[\s\-.()/]*".join(digits))
        tail = r"[\s\-.()/]*".join(digits[-MIN_PHONE_DIGITS - 1 :])
        alternatives.append(r"(?:\d[\s\-.()/]*){0,4}" + tail)
    if not alternatives:
        return None
    # Longest first: the whole name before its parts.
    alternatives.sort(key=len, reverse=True)
    return re.compile("|".join(alternatives), re.IGNORECASE)


def redact_known(text: str, terms: re.Pattern[str] | None) -> str:
    """`text` with each match of `terms` replaced by REDACTED."""
    if not text or terms is None:
        return text
    return terms.sub(REDACTED, text)


def redact_values(values: Iterable[Any], terms: re.Pattern[str] | None) -> list[Any]:
    """Each text of `values` redacted (anything else as it was)."""
    return [redact_known(v, terms) if isinstance(v, str) else v for v in values]


def terms_of(account: Any) -> re.Pattern[str] | None:
    """`known_terms` of an account, read before its own fields are replaced."""
    return known_terms(
        name=account.name, email=account.email, phone=account.phone, street=account.street
    )
