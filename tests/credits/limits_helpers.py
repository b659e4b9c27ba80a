"""Helpers of the credit limit tests: the limits and maximum they run with, the amounts far
over it, and a request that waits or is refused."""

import pytest
from django.core.exceptions import ValidationError

from activity.models import ActivityEvent
from config import roles
from credits import services
from credits.models import (
    ApprovalOperation,
    CreditApproval,
    CreditEntry,
    CreditOperation,
    CreditWallet,
)
from credits.services.limits import OVER_MAXIMUM
from tests.credits.conftest import SEK

# The limits these tests run with, whatever the defaults of config/settings.py become.
LIMITS = {
    roles.CUSTOMER_SERVICE.code: {
        "grant": {"SEK": "500", "tokens": "100"},
        "daily_grant": {"SEK": "2000", "tokens": "400"},
    },
    roles.FINANCE.code: {
        "grant": {"SEK": "10000", "tokens": "1000"},
        "revoke": {"SEK": "10000", "tokens": "1000"},
        "charge": {"SEK": "25000"},
        "refund": {"SEK": "25000", "tokens": "1000"},
        "daily_grant": {"SEK": "100000", "tokens": "10000"},
    },
    "integration": {
        "grant": {"SEK": "5000", "tokens": "1000"},
        "revoke": {"SEK": "5000", "tokens": "1000"},
        "refund": {"SEK": "5000", "tokens": "1000"},
        "daily_grant": {"SEK": "20000", "tokens": "100000"},
    },
}
MAXIMUM = {"SEK": "1000000", "tokens": "100000"}
# The amounts of the issue, far over any maximum (but within what the ledger can store).
HUGE_SEK = "999999999999.99"
HUGE_TOKENS = "9999999999999"
SEK_MAXIMUM = OVER_MAXIMUM.format(limit="1000000.00 SEK")
TOKEN_MAXIMUM = OVER_MAXIMUM.format(limit="100000 tokens")
INTEGRATION = "Billing engine"


def use_limits(settings):
    settings.CREDIT_LIMITS = LIMITS
    settings.CREDIT_MAXIMUM = MAXIMUM
    settings.APPROVAL_EXPIRY_DAYS = 7


def ask(actor, account, amount, operation=ApprovalOperation.GRANT, **kwargs):
    """credit_request of SEK (unless kwargs name another unit), with a reason."""
    return services.credit_request(
        actor=actor,
        operation=operation,
        account=account,
        amount=amount,
        note=kwargs.pop("note", "Goodwill"),
        **{**SEK, **kwargs},
    )


def written() -> tuple:
    return (
        CreditEntry.objects.count(),
        CreditWallet.objects.count(),
        CreditApproval.objects.count(),
        CreditOperation.objects.count(),
        ActivityEvent.objects.count(),
        list(CreditWallet.objects.values_list("balance", flat=True)),
    )


def refused(call, **kwargs) -> dict:
    """Run a call that must be refused; return its messages and check nothing was written."""
    before = written()
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    assert written() == before, "a refused operation wrote something"
    return caught.value.message_dict
