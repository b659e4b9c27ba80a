import datetime as dt
from decimal import Decimal

import factory
from django.db import transaction

from core.actors import Actor
from credits.models import Activity, CreditEntry, CreditType, CreditWallet
from credits.services import apply_credits, credit_grant, credit_revoke
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
    """The next entry of a wallet (a grant of 100 by System unless told otherwise), written by
    the public service of its activity, so the ledger stays consistent (verify_ledger passes):

    - Activity.GRANT: credit_grant of `amount`;
    - Activity.CONSUMPTION: apply_credits of -`amount` toward `transaction_id`, on the
      wallet's account and subscription; the wallet must hold enough, so that the one entry
      is this wallet's;
    - Activity.REVOCATION: credit_revoke of -`amount`.

    `amount` is the entry's signed amount, as stored. Entries are dated a minute apart from
    1 June 2026 unless `created_at` is given. The wallet passed in is refreshed."""

    class Meta:
        model = CreditEntry

    wallet = factory.SubFactory(CreditWalletFactory)
    activity = Activity.GRANT
    amount = Decimal("100")
    actor = None
    actor_name = "System"
    note = ""
    transaction_id = factory.LazyAttributeSequence(
        lambda entry, n: f"TX-F{n:06d}" if entry.activity == Activity.CONSUMPTION else ""
    )
    created_at = factory.Sequence(
        lambda n: dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=n)
    )

    @classmethod
    def _create(cls, model_class, *, wallet, activity, amount, actor, actor_name, **kwargs):
        transaction_id = kwargs.pop("transaction_id")
        common = {
            "actor": actor if actor is not None else Actor.system(actor_name),
            "account": wallet.account,
            "subscription": wallet.subscription,
            "credit_type": wallet.credit_type,
            "currency": wallet.currency,
            "note": kwargs.pop("note"),
            "created_at": kwargs.pop("created_at"),
        }
        if kwargs:
            raise TypeError(f"CreditEntryFactory does not set {', '.join(sorted(kwargs))}.")
        amount = Decimal(amount)
        # One transaction: a call refused below leaves nothing written.
        with transaction.atomic():
            entry = cls._write(wallet, activity, amount, transaction_id, common)
            if entry.wallet_id != wallet.pk:
                raise AssertionError(
                    f"The service wrote to wallet {entry.wallet_id}, not to wallet {wallet.pk}."
                )
        wallet.refresh_from_db()
        return entry

    @staticmethod
    def _write(wallet, activity, amount, transaction_id, common) -> CreditEntry:
        if activity == Activity.GRANT:
            return credit_grant(amount=amount, transaction_id=transaction_id, **common)
        if activity == Activity.CONSUMPTION:
            application = apply_credits(amount=-amount, transaction_id=transaction_id, **common)
            if [(e.wallet_id, e.amount) for e in application.entries] != [(wallet.pk, amount)]:
                raise ValueError(
                    f"apply_credits of {-amount} did not write one entry of {amount} on wallet "
                    f"{wallet.pk} (it wrote {len(application.entries)}): give the wallet enough "
                    f"credit first."
                )
            return application.entries[0]
        if activity == Activity.REVOCATION:
            if transaction_id:
                raise TypeError("credit_revoke takes no transaction ID.")
            return credit_revoke(amount=-amount, **common)
        raise NotImplementedError(
            f"CreditEntryFactory writes grants, consumptions and revocations only, not "
            f"{activity!r}: call its service (credits.services) in the test instead."
        )
