import datetime as dt

import factory

from legacy_history.models import LegacyEntry, LegacyImport
from tests.factories.accounts import AccountFactory


class LegacyImportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LegacyImport

    file_name = factory.Sequence(lambda n: f"account_history_{n}.csv")
    actor_name = "command line"


class LegacyEntryFactory(factory.django.DjangoModelFactory):
    """An entry stored as an import stores it (not migrated unless `migrated_event` is given)."""

    class Meta:
        model = LegacyEntry

    source_id = factory.Sequence(lambda n: f"AH-{n:06d}")
    event_name = "Voucher redeemed"
    type = LegacyEntry.Type.VOUCHER
    message = factory.Sequence(lambda n: f"Voucher number {n} applied.")
    producer = "System"
    account = factory.SubFactory(AccountFactory)
    proprietor = factory.LazyAttribute(lambda e: e.account.email)
    created_at = factory.Sequence(
        lambda n: dt.datetime(2019, 5, 1, 12, 0, tzinfo=dt.UTC) + dt.timedelta(hours=n)
    )
    imported_by = factory.SubFactory(LegacyImportFactory)
