"""What one person, or one integration, may do alone with credit (settings.CREDIT_LIMITS), and
what nobody may do at all (settings.CREDIT_MAXIMUM).

CREDIT_LIMITS names each role by its code (`customer_service`, `finance`, ...; core.roles) and
integrations as `integration`; under each, each operation's limit key (credits.operations:
`grant`, `revoke`, `refund`, `charge`, `daily_grant`), and under each, a unit's key (a currency
code, or `tokens`). The older form, which named a role by its group's name (`"Finance"`), is
still read, and the system checks warn about it (credits.W001).

A user's limits are the most generous of their roles'; an integration's are the `integration`
row's. A unit or an operation without a limit for any of the roles has a limit of zero: every
such operation waits for approval. The day of a daily limit is the site's local day.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet, Sum
from django.utils import timezone

from core import money
from core.actors import Actor, ActorLike, as_actor
from core.money import TOKENS_KEY, Unit
from core.roles import Role, user_roles
from credits.models import CreditEntry, CreditType
from credits.operations import OPERATION

if TYPE_CHECKING:
    from django.contrib.auth.models import User

INTEGRATION = "integration"
# The old form's name of the integrations' row.
INTEGRATION_TITLE = "Integration"

OVER_MAXIMUM = "At most {limit} in one operation: that is the maximum for everyone."
OWN_REQUEST = "You cannot approve your own request: another person must."


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def row_code(name: str) -> str | None:
    """The code a CREDIT_LIMITS row names: a role's code or `integration`, also when given in
    the older form (a group's name, `Integration`); None for anything else."""
    if name in (INTEGRATION, INTEGRATION_TITLE):
        return INTEGRATION
    if name in {role.code for role in Role}:
        return name
    if name in set(Role):
        return Role(name).code
    return None


def configured_limits() -> dict[str, dict[str, Any]]:
    """CREDIT_LIMITS by row code (rows of the older form read as their code)."""
    rows: dict[str, dict[str, Any]] = {}
    for name, operations in settings.CREDIT_LIMITS.items():
        code = row_code(name)
        if code is not None and isinstance(operations, dict):
            rows.setdefault(code, {}).update(operations)
    return rows


def check_maximum(amount: Decimal, currency: str) -> None:
    """Refuse an amount over the absolute maximum of its unit, naming the maximum."""
    unit = Unit(currency)
    limit = _decimal(settings.CREDIT_MAXIMUM.get(unit.key))
    if limit is not None and amount > limit:
        raise ValidationError(OVER_MAXIMUM.format(limit=unit.describe(limit)))


def approver_name(approver: "User", actor: ActorLike) -> str:
    """The name to keep for the approver of `actor`'s operation, who must be someone else."""
    if as_actor(actor).user_id == approver.pk:
        raise ValidationError(OWN_REQUEST)
    return Actor.person(approver).name


@dataclass(frozen=True)
class Authority:
    """What one person (of the `rows` of CREDIT_LIMITS) or integration may do alone: per limit
    key, per unit key."""

    rows: tuple[str, ...]
    limits: dict[str, dict[str, Decimal]]

    def limit(self, key: str, currency: str) -> Decimal:
        return self.limits.get(key, {}).get(Unit(currency).key, Decimal(0))


def limit_rows(actor: ActorLike) -> tuple[str, ...]:
    """The rows of CREDIT_LIMITS that apply: the user's roles (a superuser: every role's), or
    the integrations' row for an integration or the system."""
    user = as_actor(actor).user
    if user is None:
        return (INTEGRATION,)
    if user.is_superuser:
        return tuple(role.code for role in Role)
    return tuple(role.code for role in user_roles(user))


def authority_for(actor: ActorLike) -> Authority:
    rows = limit_rows(actor)
    configured = configured_limits()
    limits: dict[str, dict[str, Decimal]] = {}
    for row in rows:
        for key, units in configured.get(row, {}).items():
            for unit, value in units.items():
                amount = _decimal(value)
                if amount is None:
                    continue
                held = limits.setdefault(key, {})
                held[unit] = max(held.get(unit, amount), amount)
    return Authority(rows=rows, limits=limits)


def _start_of_day() -> dt.datetime:
    today = timezone.localdate()
    return timezone.make_aware(dt.datetime.combine(today, dt.time.min))


def _serialize(actor: Actor) -> None:
    """Make one person's (or integration's) limited operations wait for each other until
    commit, so that two at once cannot both fit under a daily limit that only one of them fits
    under. (SQLite writes one transaction at a time anyway.)"""
    if connection.vendor == "postgresql":
        who = f"user:{actor.user_id}" if actor.user else f"system:{actor.name}"
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"credit-day:{who}"])


def done_today(*, actor: ActorLike, activity: str, credit_type: str, currency: str) -> Decimal:
    """What the person (or integration) did alone today of `activity`, in this unit: by when
    the entries were written, whatever day they are dated (a backdated grant counts today).
    What another person approved does not count against a daily limit."""
    entries = _alone_today(actor, activity).filter(credit_type=credit_type, currency=currency)
    return entries.aggregate(total=Sum("amount"))["total"] or Decimal(0)


def _alone_today(actor: ActorLike, activity: str) -> QuerySet[CreditEntry]:
    """The entries of `activity` the person (or integration) wrote alone today (by when they
    were written; what another person approved is not theirs alone)."""
    entries = CreditEntry.objects.filter(
        activity=activity, recorded_at__gte=_start_of_day(), approved_by_name=""
    )
    who = as_actor(actor)
    if who.user is not None:
        return entries.filter(actor=who.user)
    return entries.filter(actor__isnull=True, actor_name=who.name)


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
    of whoever asks. Call it in the transaction that then runs the operation: for an operation
    with a daily limit it holds that person's operations back until commit (see `_serialize`),
    unless not `hold` (a page that only tells what would happen)."""
    spec = OPERATION[operation]
    unit = Unit(currency)
    authority = authority_for(actor)
    single = authority.limit(spec.limit, currency)
    if amount > single:
        return f"over the limit of {unit.describe(single)} per {spec.noun}"
    if spec.daily_limit and spec.activity:
        if hold:
            _serialize(as_actor(actor))
        daily = authority.limit(spec.daily_limit, currency)
        today = abs(
            done_today(
                actor=actor, activity=spec.activity, credit_type=credit_type, currency=currency
            )
        )
        if today + amount > daily:
            return (
                f"over the daily limit of {unit.describe(daily)} "
                f"({unit.describe(today)} {spec.done} today)"
            )
    if spec.daily_total_limit and spec.activity and not unit.is_tokens:
        return _over_daily_total(actor, spec, authority, currency, amount)
    return ""


def done_today_by_currency(*, actor: ActorLike, activity: str) -> dict[str, Decimal]:
    """What the person (or integration) did alone today of `activity`, per currency."""
    entries = _alone_today(actor, activity).filter(credit_type=CreditType.CURRENCY)
    return {
        row["currency"]: abs(row["total"])
        for row in entries.values("currency").annotate(total=Sum("amount")).order_by()
    }


def _over_daily_total(
    actor: ActorLike, spec: Any, authority: "Authority", currency: str, amount: Decimal
) -> str:
    """The daily limit across currencies (counted in the reporting currency), or ""."""
    reporting = Unit(settings.REPORTING_CURRENCY)
    limit = authority.limits.get(spec.daily_total_limit, {}).get(reporting.key)
    if limit is None:
        return ""  # no cross-currency limit for these roles: the per-unit ones apply
    day = timezone.localdate()
    done = done_today_by_currency(actor=actor, activity=spec.activity)
    try:
        today = sum(
            (money.in_reporting(value, code, day) for code, value in done.items()), Decimal(0)
        )
        asked = money.in_reporting(amount, currency, day)
    except ValueError as exc:
        return f"not countable against the daily limit across all currencies: {exc}"
    if today + asked > limit:
        return (
            f"over the daily limit of {reporting.describe(limit)} across all currencies "
            f"({reporting.describe(today)} {spec.done} today)"
        )
    return ""


def limits_text(actor: ActorLike, operation: str, offered: Iterable[str] | None = None) -> str:
    """The actor's limits for an operation, as the forms show them: of the currencies
    `offered` (the form's currency picker) and tokens only, when it is given."""
    spec = OPERATION[operation]
    authority = authority_for(actor)
    shown = None if offered is None else {*offered, TOKENS_KEY}

    def units(key: str) -> str:
        held = authority.limits.get(key, {})
        return ", ".join(
            # CREDIT_LIMITS' units are checked at start (credits.checks).
            Unit.from_key(unit).describe(amount)
            for unit, amount in held.items()
            if shown is None or unit in shown
        )

    single = units(spec.limit)
    if not single:
        return f"Every {spec.noun} you make waits for another person's approval."
    text = f"Alone you may make a {spec.noun} of up to {single}"
    if spec.daily_limit and units(spec.daily_limit):
        text += f", and {spec.verb} up to {units(spec.daily_limit)} a day"
    total = authority.limits.get(spec.daily_total_limit, {}) if spec.daily_total_limit else {}
    reporting = Unit(settings.REPORTING_CURRENCY)
    if reporting.key in total:
        text += f" ({reporting.describe(total[reporting.key])} a day across all currencies)"
    return text + ". Above that it waits for another person's approval."
