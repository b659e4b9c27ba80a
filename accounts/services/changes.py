"""What a write changed, field by field, as the `changes` attribute of its event
(activity.registry.Kind.CHANGES): each field's label and its values before and after, as the
pages show them, and whether those values are the customer's personal data (the model's
PERSONAL_DATA), which erasure then redacts."""

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import models

from activity.registry import REGISTRY


def shown(value: Any) -> str:
    """A value as the timeline shows it: "" for none, dates in ISO, a country by its name,
    a product by its name."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    name = getattr(value, "name", None)
    if isinstance(name, str) and not isinstance(value, str):
        return name  # a Country or a Product
    return str(value)


def snapshot(instance: models.Model, labels: Mapping[str, str]) -> dict[str, str]:
    """`instance`'s fields named in `labels`, as shown; a field with choices by its label."""
    values = {}
    for field_name in labels:
        display = getattr(instance, f"get_{field_name}_display", None)
        values[field_name] = shown(display() if display else getattr(instance, field_name))
    return values


def diff(
    before: Mapping[str, str],
    after: Mapping[str, str],
    labels: Mapping[str, str],
    *,
    personal: Mapping[str, Any] | tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """The fields whose shown value differs, in the order of `labels`."""
    return [
        {
            "label": label,
            "from": before.get(name, ""),
            "to": after.get(name, ""),
            "personal": name in personal,
        }
        for name, label in labels.items()
        if before.get(name, "") != after.get(name, "")
    ]


def with_changes(event_type: str, data: dict[str, Any], changes: list[dict[str, Any]]) -> dict:
    """`data` with `changes` added when there are some and the type keeps them."""
    event = REGISTRY.get(event_type)
    if changes and event is not None and event.attribute("changes") is not None:
        return {**data, "changes": changes}
    return data
