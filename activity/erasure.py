"""The timeline's part of erasing a customer: the personal attributes of the account's events
(as the registry marks them) and the free text kept from legacy messages, redacted in place;
and in every other text attribute (an e-mail's subject, a discount's name, ...), whatever
quotes the customer (core.personal_data.redact_known). Types, times, amounts, IDs and the
order of events stay as they were."""

from typing import TYPE_CHECKING

import pgtrigger
from django.db.models import Q, QuerySet

from activity.models import APPEND_ONLY_TRIGGER, ActivityEvent
from activity.registry import EVENT_TYPES, Kind
from core.personal_data import REDACTED, redact_known, redact_values, terms_of

if TYPE_CHECKING:
    from accounts.models import Account

BATCH = 1000
TEXT_KINDS = (Kind.TEXT, Kind.TEXT_LIST)
# Per type, the keys of its personal attributes.
PERSONAL_KEYS = {
    t.code: [a.key for a in t.attributes if a.personal]
    for t in EVENT_TYPES
    if any(a.personal for a in t.attributes)
}

# Per type, the keys of its field-by-field changes (Kind.CHANGES).
CHANGE_KEYS = {
    t.code: [a.key for a in t.attributes if a.kind == Kind.CHANGES]
    for t in EVENT_TYPES
    if any(a.kind == Kind.CHANGES for a in t.attributes)
}

# Per type, the keys of its other text attributes, which may quote the customer.
TEXT_KEYS = {
    t.code: [a.key for a in t.attributes if not a.personal and a.kind in TEXT_KINDS]
    for t in EVENT_TYPES
}
TEXT_KEYS = {code: keys for code, keys in TEXT_KEYS.items() if keys}


def _with_personal_data(account: "Account") -> QuerySet[ActivityEvent]:
    holds = ~Q(message="") | Q(type__in=list(TEXT_KEYS)) | Q(type__in=list(CHANGE_KEYS))
    for code, keys in PERSONAL_KEYS.items():
        holds |= Q(type=code, data__has_any_keys=keys)
    return ActivityEvent.objects.for_account(account).filter(holds)


def _redact(event: ActivityEvent, terms) -> bool:
    """Redact the event in memory; whether anything changed."""
    before = (dict(event.data), event.message)
    for key in PERSONAL_KEYS.get(event.type, ()):
        if event.data.get(key) not in (None, "", []):
            event.data[key] = _redacted(event.data[key])
    for key in TEXT_KEYS.get(event.type, ()):
        value = event.data.get(key)
        if isinstance(value, str):
            event.data[key] = redact_known(value, terms)
        elif isinstance(value, list):
            event.data[key] = redact_values(value, terms)
    for key in CHANGE_KEYS.get(event.type, ()):
        value = event.data.get(key)
        if isinstance(value, list):
            event.data[key] = [_redacted_change(change, terms) for change in value]
    if event.message:
        event.message = REDACTED
    return (event.data, event.message) != before


def _redacted_change(change: object, terms) -> object:
    """A change whose values are personal loses them; any other's values lose what quotes
    the customer."""
    if not isinstance(change, dict):
        return change
    if change.get("personal"):
        return {
            **change,
            **{side: REDACTED for side in ("from", "to") if change.get(side) not in (None, "")},
        }
    return {
        **change,
        **{
            side: redact_known(change[side], terms)
            for side in ("from", "to")
            if isinstance(change.get(side), str)
        },
    }


def _changed(account: "Account"):
    terms = terms_of(account)
    for event in _with_personal_data(account).only("id", "type", "data", "message").iterator(BATCH):
        if _redact(event, terms):
            yield event


def count(account: "Account") -> dict[str, int]:
    """How many of the account's events hold personal data (declared, or quoted in text)."""
    return {"timeline events": sum(1 for _ in _changed(account))}


def _redacted(value: object) -> object:
    if isinstance(value, list):
        return [REDACTED for _ in value]
    if isinstance(value, dict):
        return {key: REDACTED for key in value}
    return REDACTED


def erase(account: "Account") -> dict[str, int]:
    """Redact the personal attributes and messages of the account's events, and what quotes
    the customer in their other text; return how many events were changed. The one path past
    the timeline's append-only trigger."""
    changed, batch = 0, []
    with pgtrigger.ignore(APPEND_ONLY_TRIGGER):
        for event in _changed(account):
            batch.append(event)
            if len(batch) == BATCH:
                ActivityEvent.objects.bulk_update(batch, ["data", "message"])
                changed, batch = changed + len(batch), []
        if batch:
            ActivityEvent.objects.bulk_update(batch, ["data", "message"])
            changed += len(batch)
    return {"timeline events": changed}
