"""The roles of the back-office. Each role is a Django group named by the role's title; code
knows a role by its code (`Role.FINANCE.code == "finance"`), which settings use too
(CREDIT_LIMITS). What each role may do is the matrix in config/roles.py."""

from enum import StrEnum
from typing import Any

from django.dispatch import Signal


class Role(StrEnum):
    """A role: equal to its group's name; `code` is how settings and code name it."""

    CUSTOMER_SERVICE = "Customer Service"
    SALES_AGENT = "Sales Agent"
    FINANCE = "Finance"
    SYSTEM_ADMINISTRATOR = "System Administrator"

    @property
    def code(self) -> str:
        return self.name.lower()

    @classmethod
    def from_code(cls, code: str) -> "Role":
        """The role of a code; ValueError for an unknown one."""
        try:
            return cls[code.upper()]
        except KeyError:
            raise ValueError(f"Unknown role “{code}”.") from None


CODES = tuple(role.code for role in Role)

# Roles that move or approve money, or hand out roles: given to a user only when a second
# administrator approves (core.models.RoleGrant), and never by anyone to themselves.
MONEY_ROLES: frozenset[Role] = frozenset({Role.FINANCE, Role.SYSTEM_ADMINISTRATOR})
# Their groups' names.
MONEY_ROLE_NAMES: frozenset[str] = frozenset(role.value for role in MONEY_ROLES)

# Sent when a decision on money is refused because it would not be a second person's (the
# approver asked for it, was given their money role by the asker, or holds it too briefly),
# after the refused decision's transaction has rolled back; with `actor` (core.actors.Actor),
# `reason` (the text shown on the page) and `request` (what was being decided, as text). Staff
# activity records it: the apps that refuse need not know staff.
duty_refused = Signal()


def user_roles(user: Any) -> tuple[Role, ...]:
    """The user's roles, in the order of `Role`: one small query, cached on the user for the
    rest of the request (the layout shows them; credit limits are set per role). A group that
    is no role of the back-office is left out."""
    cached: tuple[Role, ...] | None = getattr(user, "_roles", None)
    if cached is None:
        cached = remember_roles(user, set(user.groups.values_list("name", flat=True)))
    return cached


def remember_roles(user: Any, group_names: set[str]) -> tuple[Role, ...]:
    """Keep the roles of these groups on the user for the rest of the request (the
    authentication backend reads the groups with the permissions, in one query)."""
    user._roles = tuple(role for role in Role if role.value in group_names)
    return user._roles
