"""Personal data is declared, not hunted.

Every model of the back-office says, field by field, which of its text fields hold personal
data of a customer and how anonymisation treats each (`PERSONAL_DATA`), and which hold none
(`NO_PERSONAL_DATA`); every event attribute says it in the registry (`Attribute.personal`). A
test fails when a text field or an attribute is added without saying.

Erasure (`accounts.services.account_anonymise`) runs each app's part: an app that keeps personal
data names its erasure module in its AppConfig (`erasure = "credits.erasure"`), with
`count(account)` (what would be redacted, by kind) and `erase(account)` (redact it in place and
return the same counts). The placeholders are the ones below.
"""

from collections.abc import Iterator
from importlib import import_module
from types import ModuleType
from typing import Any

from django.apps import apps

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
