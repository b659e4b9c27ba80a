"""The demo ledger: every activity and gift-card state, built by the services, consistent."""

import pytest
from django.core.management import call_command

from credits.models import Activity, CreditEntry, CreditType, CreditWallet, GiftCardStatus

pytestmark = pytest.mark.django_db


def test_load_demo_adds_a_consistent_ledger_with_every_activity_once(capsys):
    call_command("load_demo")
    entries = CreditEntry.objects.count()
    assert entries > 500
    assert set(CreditEntry.objects.values_list("activity", flat=True)) == set(Activity.values)
    statuses = set(CreditEntry.objects.values_list("gift_card_status", flat=True)) - {""}
    assert statuses == set(GiftCardStatus.values)
    wallets = CreditWallet.objects
    assert wallets.filter(credit_type=CreditType.TOKEN).exists()
    assert wallets.filter(subscription__isnull=False, credit_type=CreditType.CURRENCY).exists()
    assert wallets.filter(subscription__isnull=True).exists()
    call_command("verify_ledger")
    call_command("load_demo")
    assert CreditEntry.objects.count() == entries
    assert "Demo credit activity already present" in capsys.readouterr().out
