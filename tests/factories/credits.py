import datetime as dt
from decimal import Decimal

import factory
from django.db import transaction

from credits.models import Activity, CreditEntry, CreditType, CreditWallet
from tests.factories.accounts import AccountFactory


class CreditWalletFactory(factory.django.DjangoModelFactory):
    """An empty SEK wallet of a new account; give it credit with CreditEntryFactory."""

    class Meta:
        model = CreditWallet

    account = factory.SubFactory(AccountFactory)
    subscription = None
    credit_type = CreditType.CURRENCY
    currency = "SEK"


class CreditEntryFactory(factory.django.DjangoModelFactory):
    """The next entry of a wallet (a grant of 100 by System unless told otherwise), appended
    the way the services append it: under the wallet's lock, with the next seq and the running
    balance, so the ledger stays consistent (verify_ledger passes). Entries are dated a minute
    apart from 1 June 2026 unless `created_at` is given."""

    class Meta:
        model = CreditEntry

    wallet = factory.SubFactory(CreditWalletFactory)
    activity = Activity.GRANT
    amount = Decimal("100")
    actor_name = "System"
    created_at = factory.Sequence(
        lambda n: dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=n)
    )

    @classmethod
    def _create(cls, model_class, *, wallet, **kwargs):
        from credits.services import _append, _lock

        kwargs.setdefault("actor", None)
        with transaction.atomic():
            (locked,) = _lock(wallet)
            entry = _append(locked, **kwargs)
        wallet.refresh_from_db()
        return entry
