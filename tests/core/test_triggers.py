"""What the database itself refuses: TRUNCATE of the records of what happened, and rewrites of
records that are written once. Replays what the audit could do with psql."""

import pytest
from django.db import connection, transaction
from django.db.utils import InternalError, ProgrammingError

from credits import services
from credits.models import CreditOperation
from integrations.models import Integration
from integrations.services import integration_create
from legacy_history.models import LegacyImport
from tests.factories import AccountFactory, LegacyEntryFactory

pytestmark = pytest.mark.django_db

REFUSED = (ProgrammingError, InternalError)

TABLES = [
    "activity_activityevent",
    "credits_creditentry",
    "credits_creditwallet",
    "credits_creditoperation",
    "credits_creditexport",
    "credits_creditbalancesexport",
    "legacy_history_legacyentry",
    "legacy_history_legacyimport",
    "integrations_integration",
]


def refused(sql: str, params=()) -> str:
    with pytest.raises(REFUSED) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(caught.value)


@pytest.mark.parametrize("table", TABLES)
def test_truncate_is_refused(table):
    assert "Cannot truncate" in refused(f"TRUNCATE {table} CASCADE")


def test_truncating_the_accounts_cannot_cascade_into_the_timeline():
    AccountFactory()
    assert "Cannot truncate" in refused("TRUNCATE accounts_account CASCADE")


@pytest.fixture
def one_of_each(make_user):
    """A row in every table below: a wallet with its entry, an operation, a download, an import
    and its entry."""
    account = AccountFactory()
    services.credit_grant(
        actor=None,
        account=account,
        amount="10",
        credit_type="currency",
        currency="SEK",
        idempotency_key="grant-1",
    )
    services.credit_export_start(actor=make_user("Finance"), filters={})
    services.credit_balances_export_start(actor=make_user("Finance"), filters={})
    LegacyEntryFactory(account=account)
    integration_create(created_by=make_user("System Administrator"), name="Billing")


@pytest.mark.parametrize("table", TABLES[2:])
def test_delete_is_refused(one_of_each, table):
    assert "Cannot delete" in refused(f"DELETE FROM {table}")


@pytest.fixture
def operation():
    account = AccountFactory()
    services.apply_credits(
        account=account,
        amount="10",
        credit_type="currency",
        currency="SEK",
        transaction_id="T1",
        idempotency_key="bill-1",
    )
    return CreditOperation.objects.get()


def test_an_integration_is_disabled_never_deleted(make_user):
    integration, _key = integration_create(created_by=make_user("System Administrator"), name="CRM")

    assert "Cannot delete" in refused(
        "DELETE FROM integrations_integration WHERE id = %s", [integration.pk]
    )
    with pytest.raises(REFUSED), transaction.atomic():
        integration.delete()
    assert Integration.objects.filter(pk=integration.pk).exists()


def test_an_operations_request_and_its_written_remainder_never_change(operation):
    assert operation.remainder is not None
    assert "Cannot update" in refused(
        "UPDATE credits_creditoperation SET remainder = 0 WHERE id = %s", [operation.pk]
    )
    assert "Cannot update" in refused(
        "UPDATE credits_creditoperation SET request = '{}' WHERE id = %s", [operation.pk]
    )


def test_a_finished_download_record_never_changes(make_user):
    record = services.credit_export_start(actor=make_user("Finance"), filters={"type": "token"})
    assert "Cannot update" in refused(
        "UPDATE credits_creditexport SET filters = '{}' WHERE id = %s", [record.pk]
    )
    services.credit_export_finish(export=record, rows=3)  # the count, once
    assert "Cannot update" in refused(
        "UPDATE credits_creditexport SET row_count = 99 WHERE id = %s", [record.pk]
    )


def test_a_finished_import_record_never_changes():
    entry = LegacyEntryFactory()
    batch = entry.imported_by
    LegacyImport.objects.filter(pk=batch.pk).update(created=1)  # the counts, once
    assert "Cannot update" in refused(
        "UPDATE legacy_history_legacyimport SET created = 5 WHERE id = %s", [batch.pk]
    )
    assert "Cannot update" in refused(
        "UPDATE legacy_history_legacyentry SET message = 'edited' WHERE id = %s", [entry.pk]
    )
