"""Reads of the timeline, shared by the Recent Activity page and the API."""

import datetime as dt
import uuid
from dataclasses import dataclass
from itertools import groupby
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone

from activity.models import ActivityEvent
from core import paging
from core.paging import NEWER, OLDER, START, encode_cursor

if TYPE_CHECKING:
    from accounts.models import Account

PAGE_SIZE = 25

# What the account page's header reads from the timeline.
CREDIT_CONTROL_TYPES = ("credit_control_cycle_entered", "credit_control_cycle_exited")
PAYMENT_TYPES = ("subscription_billing_success", "additional_payment_made", "manual_charge_added")


def events_for_account(account: "Account") -> QuerySet[ActivityEvent]:
    """The account's events, newest first. Rows carry everything a page shows (the actor's name
    and the attributes are stored on the event), so no join is needed."""
    return ActivityEvent.objects.for_account(account).newest_first()


def latest_event(account: "Account", types: tuple[str, ...]) -> ActivityEvent | None:
    """The account's newest event of one of `types` (one query, from the account-type index)."""
    return events_for_account(account).filter(type__in=types).first()


# --- Keyset pagination ----------------------------------------------------------------------
# The timeline pages by core.paging's keyset cursor over (occurred_at, id), which the
# (account, occurred_at, id) index serves at any depth.


@dataclass
class TimelinePage:
    events: list[ActivityEvent]
    older_cursor: str | None
    newer_cursor: str | None

    @property
    def days(self) -> list[tuple[dt.date, list[ActivityEvent]]]:
        """The page's events grouped by their local day, newest day first."""
        return [
            (day, list(items))
            for day, items in groupby(self.events, key=lambda e: timezone.localdate(e.occurred_at))
        ]


# The edges of a timeline, as cursors: "before the end of a day" and "from the very start".
_FIRST_ID = uuid.UUID(int=0)
_LAST_ID = uuid.UUID(int=2**128 - 1)


def day_cursor(day: dt.date) -> str:
    """The cursor of the page that starts with the newest event on or before local `day`."""
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
    return encode_cursor(OLDER, timezone.make_aware(end, timezone.get_current_timezone()), _LAST_ID)


OLDEST_CURSOR = encode_cursor(NEWER, START, _FIRST_ID)


def keyset_page(events: QuerySet, cursor: str | None, size: int = PAGE_SIZE) -> TimelinePage:
    """One page of `events` after or before `cursor`, newest first (core.paging.keyset_page).

    `OLDEST_CURSOR` gives the oldest page; `day_cursor` the page that starts at a day.
    Raises InvalidCursor for a malformed cursor.
    """
    page = paging.keyset_page(events, cursor, size=size, time="occurred_at")
    return TimelinePage(page.rows, page.older_cursor, page.newer_cursor)
