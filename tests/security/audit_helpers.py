"""Helpers of the security audit tests: the events API and an event for it."""

EVENTS = "/api/v1/events/"


def event(account, **overrides):
    return {
        "account": account.customer_number,
        "type": "billing_date_changed",
        "occurred_at": "2026-06-01T12:00:00+02:00",
        "attributes": {"from": 3, "to": 15},
        **overrides,
    }
