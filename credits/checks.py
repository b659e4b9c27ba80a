"""System checks of the credit limits (settings.CREDIT_LIMITS and CREDIT_MAXIMUM): a mistyped
role, operation, unit or amount would otherwise mean a limit of zero, silently."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from core import money
from core.roles import Role
from credits.services.limits import DAILY_GRANT, INTEGRATION, LIMIT_OF, TOKENS

OPERATIONS = set(LIMIT_OF.values()) | {DAILY_GRANT}


def _unit_errors(where: str, units: Any) -> list[Error]:
    if not isinstance(units, dict):
        return [Error(f"{where} must map units to amounts.", id="credits.E002")]
    found = []
    for unit, value in units.items():
        if unit != TOKENS and not money.is_known_currency(unit):
            found.append(Error(f"{where}: unknown unit “{unit}”.", id="credits.E003"))
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            amount = Decimal(-1)
        if not amount.is_finite() or amount < 0:
            found.append(Error(f"{where}.{unit}: “{value}” is not an amount.", id="credits.E004"))
    return found


@register()
def credit_limits(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    found = []
    for role, operations in settings.CREDIT_LIMITS.items():
        if role not in set(Role) and role != INTEGRATION:
            found.append(Error(f"CREDIT_LIMITS: unknown role “{role}”.", id="credits.E001"))
            continue
        for operation, units in operations.items():
            if operation not in OPERATIONS:
                found.append(
                    Error(
                        f"CREDIT_LIMITS[{role!r}]: unknown operation “{operation}” "
                        f"(one of {', '.join(sorted(OPERATIONS))}).",
                        id="credits.E001",
                    )
                )
                continue
            found += _unit_errors(f"CREDIT_LIMITS[{role!r}][{operation!r}]", units)
    return found + _unit_errors("CREDIT_MAXIMUM", settings.CREDIT_MAXIMUM)
