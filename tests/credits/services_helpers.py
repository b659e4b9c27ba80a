"""Helpers of the credit service tests: a call that must be refused, writing nothing."""

import pytest
from django.core.exceptions import ValidationError

from activity.models import ActivityEvent
from credits.models import CreditEntry, CreditOperation, CreditWallet


def refused(call, **kwargs) -> dict:
    """Run a service that must refuse; return its messages and check nothing was written."""
    before = (
        CreditEntry.objects.count(),
        CreditWallet.objects.count(),
        ActivityEvent.objects.count(),
        CreditOperation.objects.count(),
        list(CreditWallet.objects.values_list("balance", "last_seq")),
    )
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    after = (
        CreditEntry.objects.count(),
        CreditWallet.objects.count(),
        ActivityEvent.objects.count(),
        CreditOperation.objects.count(),
        list(CreditWallet.objects.values_list("balance", "last_seq")),
    )
    assert after == before, "a refused operation wrote something"
    return caught.value.message_dict
