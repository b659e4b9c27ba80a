"""The timeline's part of erasing a customer: the personal attributes of the account's events
(as the registry marks them) and the free text kept from legacy messages, redacted in place.
Types, times, amounts, IDs and the order of events stay as they were."""

from typing import TYPE_CHECKING

import pgtrigger
from django.db.models import Q, QuerySet

from activity.models import APPEND_ONLY_TRIGGER, ActivityEvent
from activity.registry import EVENT_TYPES
from core.personal_data import REDACTED

if TYPE_CHECKING:
    from accounts.models import Account

BATCH = 1000
# Per type, the keys of its personal attributes.
PERSONAL_KEYS = {
    t.code: [a.key for a in t.attributes if a.personal]
    for t in EVENT_TYPES
    if any(a.personal for a in t.attributes)
}


def _with_personal_data(account: "Account") -> QuerySet[ActivityEvent]:
    holds = ~Q(message="")
    for code, keys in PERSONAL_KEYS.items():
        holds |= Q(type=code, data__has_any_keys=keys)
    return ActivityEvent.objects.for_account(account).filter(holds)


def count(account: "Account") -> dict[str, int]:
    """How many of the account's events hold personal data."""
    return {"timeline events": _with_personal_data(account).count()}


def _redacted(value: object) -> object:
    if isinstance(value, list):
        return [REDACTED for _ in value]
    if isinstance(value, dict):
        return {key: REDACTED for key in value}
    return REDACTED


def erase(account: "Account") -> dict[str, int]:
    """Redact the personal attributes and messages of the account's events; return how many
    events were changed. The one path past the timeline's append-only trigger."""
    changed, batch = 0, []
    with pgtrigger.ignore(APPEND_ONLY_TRIGGER):
        for event in (
            _with_personal_data(account)
            .only("id", "type", "data", "message")
            .iterator(chunk_size=BATCH)
        ):
            for key in PERSONAL_KEYS.get(event.type, ()):
                if event.data.get(key) not in (None, "", []):
                    event.data[key] = _redacted(event.data[key])
            if event.message:
                event.message = REDACTED
            batch.append(event)
            if len(batch) == BATCH:
                ActivityEvent.objects.bulk_update(batch, ["data", "message"])
                changed, batch = changed + len(batch), []
        if batch:
            ActivityEvent.objects.bulk_update(batch, ["data", "message"])
            changed += len(batch)
    return {"timeline events": changed}
