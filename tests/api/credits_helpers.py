"""What the credit tests of the API share: their addresses and request bodies."""

CREDITS = "/api/v1/credits/"
APPLY = "/api/v1/charges/apply-credits/"


def entries_url(account):
    return f"/api/v1/accounts/{account.customer_number}/credit-entries/"


def grant(account, /, key="grant-1", **overrides):
    body = {
        "operation": "grant",
        "idempotency_key": key,
        "account": account.customer_number,
        "amount": "100.00",
        "credit_type": "currency",
        "currency": "SEK",
    }
    return {**body, **overrides}


def apply(account, /, key="apply-1", **overrides):
    body = {
        "idempotency_key": key,
        "account": account.customer_number,
        "amount": "149.00",
        "credit_type": "currency",
        "currency": "SEK",
        "transaction_id": "T-1",
    }
    return {**body, **overrides}
