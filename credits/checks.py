"""System checks of the credit limits (settings.CREDIT_LIMITS and CREDIT_MAXIMUM): a mistyped
role, operation, unit or amount would otherwise mean a limit of zero, silently. A row that names
a role by its group's name (the older form) still works, with a warning to rename it. And of the
journal's account codes (settings.JOURNAL_ACCOUNTS): an unknown role or an empty code."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

from core import money
from core.money import TOKENS_KEY
from core.roles import Role
from credits.journal import ACCOUNT
from credits.operations import LIMIT_KEYS
from credits.services.limits import INTEGRATION, row_code

ROW_CODES = ", ".join([*(role.code for role in Role), INTEGRATION])
OLD_ROW_NAME = (
    "CREDIT_LIMITS names a row “{name}”: name it by its code “{code}” (the group's name is "
    "deprecated and will stop being read)."
)


def _unit_errors(where: str, units: Any) -> list[CheckMessage]:
    if not isinstance(units, dict):
        return [Error(f"{where} must map units to amounts.", id="credits.E002")]
    found: list[CheckMessage] = []
    for unit, value in units.items():
        if unit != TOKENS_KEY and not money.is_known_currency(unit):
            found.append(Error(f"{where}: unknown unit “{unit}”.", id="credits.E003"))
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            amount = Decimal(-1)
        if not amount.is_finite() or amount < 0:
            found.append(Error(f"{where}.{unit}: “{value}” is not an amount.", id="credits.E004"))
    return found


@register()
def credit_limits(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    for name, operations in settings.CREDIT_LIMITS.items():
        code = row_code(name)
        if code is None:
            found.append(
                Error(
                    f"CREDIT_LIMITS: unknown role “{name}” (one of {ROW_CODES}).",
                    id="credits.E001",
                )
            )
            continue
        if code != name:
            found.append(Warning(OLD_ROW_NAME.format(name=name, code=code), id="credits.W001"))
        for key, units in operations.items():
            if key not in LIMIT_KEYS:
                found.append(
                    Error(
                        f"CREDIT_LIMITS[{name!r}]: unknown operation “{key}” "
                        f"(one of {', '.join(sorted(LIMIT_KEYS))}).",
                        id="credits.E001",
                    )
                )
                continue
            found += _unit_errors(f"CREDIT_LIMITS[{name!r}][{key!r}]", units)
    return found + _unit_errors("CREDIT_MAXIMUM", settings.CREDIT_MAXIMUM)


@register()
def journal_accounts(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """JOURNAL_ACCOUNTS names only the journal's account roles, each with a code."""
    accounts = settings.JOURNAL_ACCOUNTS
    if not isinstance(accounts, dict):
        return [Error("JOURNAL_ACCOUNTS must map account roles to codes.", id="credits.E010")]
    found: list[CheckMessage] = []
    for role, code in accounts.items():
        if role not in ACCOUNT:
            found.append(
                Error(
                    f"JOURNAL_ACCOUNTS: unknown account role “{role}” "
                    f"(one of {', '.join(ACCOUNT)}).",
                    id="credits.E011",
                )
            )
        elif not isinstance(code, str) or not code.strip():
            found.append(
                Error(f"JOURNAL_ACCOUNTS[{role!r}]: give the account's code.", id="credits.E012")
            )
    return found
