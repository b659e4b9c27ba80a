"""What one person, or one integration, may do alone with credit (settings.CREDIT_LIMITS), and
what nobody may do at all (settings.CREDIT_MAXIMUM).

A user's limits are the most generous of their roles'; an integration's are the "Integration"
row's. A unit or an operation without a limit for any of the roles has a limit of zero: every
such operation waits for approval. The day of the daily grant limit is the site's local day.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from core import money
from core.actors import Actor, ActorLike, as_actor
from core.roles import user_roles
from credits.models import Activity, ApprovalOperation, CreditEntry

if TYPE_CHECKING:
    from django.contrib.auth.models import User

TOKENS = "tokens"
INTEGRATION = "Integration"
DAILY_GRANT = "daily_grant"
# The limit of each operation that waits for approval over it.
LIMIT_OF = {
    ApprovalOperation.GRANT: "grant",
    ApprovalOperation.REVOKE: "revoke",
    ApprovalOperation.REFUND: "refund",
    ApprovalOperation.CHARGE: "charge",
    ApprovalOperation.MANUAL_REFUND: "refund",
}
NOUNS = {"grant": "grant", "revoke": "revocation", "refund": "refund", "charge": "charge"}

OVER_MAXIMUM = "At most {limit} in one operation: that is the maximum for everyone."
OWN_REQUEST = "You cannot approve your own request: another person must."


def describe(amount: Decimal, currency: str) -> str:
    """`12.50 SEK`, `7 tokens`: an amount as the messages name it."""
    return f"{money.plain(amount, currency)} {currency or TOKENS}"


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def check_maximum(amount: Decimal, currency: str) -> None:
    """Refuse an amount over the absolute maximum of its unit, naming the maximum."""
    limit = _decimal(settings.CREDIT_MAXIMUM.get(currency or TOKENS))
    if limit is not None and amount > limit:
        raise ValidationError(OVER_MAXIMUM.format(limit=describe(limit, currency)))


def approver_name(approver: "User", actor: ActorLike) -> str:
    """The name to keep for the approver of `actor`'s operation, who must be someone else."""
    if as_actor(actor).user_id == approver.pk:
        raise ValidationError(OWN_REQUEST)
    return Actor.person(approver).name


@dataclass(frozen=True)
class Authority:
    """What one person (of `roles`) or integration may do alone: per operation, per unit."""

    roles: tuple[str, ...]
    limits: dict[str, dict[str, Decimal]]

    def limit(self, operation: str, currency: str) -> Decimal:
        return self.limits.get(operation, {}).get(currency or TOKENS, Decimal(0))


def role_names(actor: ActorLike) -> tuple[str, ...]:
    """The roles whose limits apply: the user's groups (a superuser: every role's), or the
    integrations' row for a system actor."""
    user = as_actor(actor).user
    if user is None:
        return (INTEGRATION,)
    if user.is_superuser:
        return tuple(role for role in settings.CREDIT_LIMITS if role != INTEGRATION)
    return tuple(role.value for role in user_roles(user))


def authority_for(actor: ActorLike) -> Authority:
    roles = role_names(actor)
    limits: dict[str, dict[str, Decimal]] = {}
    for role in roles:
        for operation, units in settings.CREDIT_LIMITS.get(role, {}).items():
            for unit, value in units.items():
                amount = _decimal(value)
                if amount is None:
                    continue
                held = limits.setdefault(operation, {})
                held[unit] = max(held.get(unit, amount), amount)
    return Authority(roles=roles, limits=limits)


def _start_of_day() -> dt.datetime:
    today = timezone.localdate()
    return timezone.make_aware(dt.datetime.combine(today, dt.time.min))


def _serialize(actor: Actor) -> None:
    """Make one person's (or integration's) grants wait for each other until commit, so that
    two grants at once cannot both fit under a daily limit that only one of them fits under.
    (SQLite writes one transaction at a time anyway.)"""
    if connection.vendor == "postgresql":
        who = f"user:{actor.user_id}" if actor.user else f"system:{actor.name}"
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"credit-day:{who}"])


def granted_today(*, actor: ActorLike, credit_type: str, currency: str) -> Decimal:
    """What the person (or integration) granted alone today, in this unit: by when the grants
    were written, whatever day they are dated (a backdated grant counts today). Grants that
    another person approved do not count against the daily limit."""
    entries = CreditEntry.objects.filter(
        activity=Activity.GRANT,
        recorded_at__gte=_start_of_day(),
        credit_type=credit_type,
        currency=currency,
        approved_by_name="",
    )
    who = as_actor(actor)
    if who.user is not None:
        entries = entries.filter(actor=who.user)
    else:
        entries = entries.filter(actor__isnull=True, actor_name=who.name)
    return entries.aggregate(total=Sum("amount"))["total"] or Decimal(0)


def over_limit(
    *,
    actor: ActorLike,
    operation: str,
    credit_type: str,
    currency: str,
    amount: Decimal,
    hold: bool = True,
) -> str:
    """Why the operation needs another person's approval, or "" when it is within the limits
    of whoever asks. Call it in the transaction that then runs the operation: for a grant it
    holds that person's grants back until commit (see `_serialize`), unless not `hold` (a
    page that only tells what would happen)."""
    authority = authority_for(actor)
    kind = LIMIT_OF[ApprovalOperation(operation)]
    single = authority.limit(kind, currency)
    if amount > single:
        return f"over the limit of {describe(single, currency)} per {NOUNS[kind]}"
    if operation == ApprovalOperation.GRANT:
        if hold:
            _serialize(as_actor(actor))
        daily = authority.limit(DAILY_GRANT, currency)
        today = granted_today(actor=actor, credit_type=credit_type, currency=currency)
        if today + amount > daily:
            return (
                f"over the daily limit of {describe(daily, currency)} "
                f"({describe(today, currency)} granted today)"
            )
    return ""


def limits_text(actor: ActorLike, operation: str) -> str:
    """The actor's limits for an operation, as the forms show them."""
    authority = authority_for(actor)
    kind = LIMIT_OF[ApprovalOperation(operation)]

    def units(limit: str) -> str:
        held = authority.limits.get(limit, {})
        return ", ".join(
            describe(amount, "" if unit == TOKENS else unit) for unit, amount in held.items()
        )

    single = units(kind)
    if not single:
        return f"Every {NOUNS[kind]} you make waits for another person's approval."
    text = f"Alone you may make a {NOUNS[kind]} of up to {single}"
    if operation == ApprovalOperation.GRANT and units(DAILY_GRANT):
        text += f", and grant up to {units(DAILY_GRANT)} a day"
    return text + ". Above that it waits for another person's approval."
