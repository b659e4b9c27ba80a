"""Importing legacy files: from the command line and through the service the admin uses."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from tablib import Dataset

from config import roles
from legacy_history.csvfile import read_dataset
from legacy_history.models import LegacyEntry, LegacyImport
from legacy_history.services import legacy_history_import
from tests.factories import AccountFactory, LegacyEntryFactory
from tests.legacy_history.conftest import legacy_csv, row

pytestmark = pytest.mark.django_db


def run(path, *args):
    """Run the command; (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command("import_legacy_history", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(path, *args) -> str:
    """Run the command expecting it to fail; the error text it gave (message and report)."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_legacy_history", str(path), *args, stdout=out, stderr=err)
    return f"{failure.value}\n{out.getvalue()}\n{err.getvalue()}"


def assert_nothing_written():
    assert LegacyEntry.objects.count() == 0
    assert LegacyImport.objects.count() == 0


# --- The happy path ---------------------------------------------------------------------------


def test_a_file_is_imported_as_it_was(write_csv, karin, olle):
    path = write_csv(
        row(
            id="AH-1",
            event="Account created",
            type=":account",
            message="Signed up, paid by card",
            producer="System",
            proprietor="karin.nilsson@EXAMPLE.se",
            created_at="2019-05-01T23:59:59+01:00",
            updated_at="2019-05-02T23:59:59+01:00",
        ),
        row(
            id="AH-2",
            event="Voucher redeemed",
            type="voucher",
            message="",
            producer="agent@payway.example",
            proprietor="610002",
            created_at="2020-01-31T08:00:00Z",
        ),
    )
    out, err = run(path)

    first, second = LegacyEntry.objects.order_by("source_id")
    assert (first.account, second.account) == (karin, olle)
    assert first.event_name == "Account created"
    assert first.type == "account"
    assert first.message == "Signed up, paid by card"
    assert first.producer == "System"
    assert first.proprietor == "karin.nilsson@EXAMPLE.se"
    assert first.created_at == dt.datetime(2019, 5, 1, 22, 59, 59, tzinfo=dt.UTC)
    assert first.updated_at == dt.datetime(2019, 5, 2, 22, 59, 59, tzinfo=dt.UTC)
    assert first.migrated_event is None
    assert (second.type, second.message, second.updated_at) == ("voucher", "", None)
    assert second.created_at == dt.datetime(2020, 1, 31, 8, tzinfo=dt.UTC)
    assert "created: 2" in out
    assert "skipped (already imported): 0" in out
    assert "failed: 0" in out
    assert "Imported 2 entries." in out
    assert err == ""


def test_the_import_is_recorded_with_who_ran_it(write_csv, karin, make_user):
    make_user(roles.SYSTEM_ADMINISTRATOR, username="alva", first_name="Alva", last_name="Berg")
    run(write_csv(row(id="A"), row(id="B")), "--user", "alva")

    record = LegacyImport.objects.get()
    assert (record.actor.username, record.actor_name) == ("alva", "Alva Berg")
    assert (record.created, record.skipped, record.failed) == (2, 0, 0)
    assert record.file_name.endswith(".csv")
    assert set(record.entries.values_list("source_id", flat=True)) == {"A", "B"}


def test_without_a_user_the_command_line_is_recorded(write_csv, karin):
    run(write_csv(row(id="A")))
    assert LegacyImport.objects.get().actor_name == "manage.py import_legacy_history"


def test_a_user_without_the_import_permission_is_refused(write_csv, karin, make_user):
    make_user(roles.CUSTOMER_SERVICE, username="sara")
    message = refused(write_csv(row(id="A")), "--user", "sara")
    assert "“sara” may not import legacy history." in message
    assert_nothing_written()


def test_a_file_with_a_byte_order_mark_imports(write_csv, karin):
    run(write_csv(row(id="A"), bom=True))
    assert LegacyEntry.objects.get().source_id == "A"


@pytest.mark.parametrize("given", [":subscription", "subscription", " :Subscription "])
def test_the_type_may_keep_its_colon(write_csv, karin, given):
    run(write_csv(row(type=given)))
    assert LegacyEntry.objects.get().type == "subscription"


def test_unknown_columns_are_refused_by_name_and_nothing_is_imported(write_csv, karin):
    header = "id,event,type,message,producer,proprietor,created_at,updated_at,channel"
    message = refused(write_csv(row() + ",web", header=header))
    assert "Unknown column “channel”" in message
    assert_nothing_written()


# --- Bad rows ---------------------------------------------------------------------------------

BAD_ROWS = [
    (row(type=":fax"), "type: Unknown type “:fax”"),
    (row(type=""), "type: Unknown type empty"),
    (row(created_at="1 May 2019"), "created_at: “1 May 2019” is not an ISO 8601 time"),
    (row(created_at="2019-05-01T23:59:59"), "created_at: “2019-05-01T23:59:59” has no UTC offset"),
    (row(created_at=""), "created_at: The created_at is empty."),
    (row(updated_at="yesterday"), "updated_at: “yesterday” is not an ISO 8601 time"),
    (row(proprietor="nobody@example.se"), "proprietor: No account has the e-mail “nobody"),
    (row(proprietor="999999"), "proprietor: No account has the customer number “999999”."),
    (row(proprietor=""), "proprietor: The proprietor is empty"),
    (row(id=""), "id: The id is empty."),
    (row(event=" "), "event: The event is empty."),
    (row(producer=""), "producer: The producer is empty."),
    (row(producer="x" * 151), "producer: At most 150 characters, not 151."),
    (row(message="x" * 10_001), "message: At most 10000 characters, not 10001."),
    ("AH-9,Account created,account,a,b,c,d,e,f", "The row has 9 fields where the header has 8"),
    (row(id="AH-0"), "id: The ID “AH-0” is already on line 2."),
    (row(message="a\x00b"), "message: contains a NUL character, which cannot be kept."),
    (row(id="AH-\x00"), "id: contains a NUL character, which cannot be kept."),
    (row(proprietor="k\x00@example.se"), "proprietor: contains a NUL character"),
]


@pytest.mark.parametrize(("bad", "message"), BAD_ROWS)
def test_a_bad_row_is_reported_by_line_and_nothing_is_imported(write_csv, karin, bad, message):
    path = write_csv(row(id="AH-0"), bad, row(id="AH-2"))
    text = refused(path)
    assert f"line 3: {message}" in text
    assert "Nothing was imported: the file has errors." in text
    assert_nothing_written()


def test_an_email_two_accounts_share_is_refused(write_csv, karin):
    AccountFactory(email="KARIN.nilsson@example.se")
    assert "2 accounts have the e-mail" in refused(write_csv(row()))
    assert_nothing_written()


def test_every_bad_row_is_listed_in_file_order(write_csv, karin):
    path = write_csv(row(id="A", type="fax"), row(id="B"), row(id="C", proprietor="x@y.se"))
    text = refused(path)
    assert text.index("line 2: type") < text.index("line 4: proprietor")
    assert "failed: 2" in text
    assert "good (not written): 1" in text


def test_skip_errors_imports_the_good_rows_and_reports_the_bad(write_csv, karin):
    path = write_csv(row(id="A"), row(id="B", type="fax"), row(id="C"))
    out, err = run(path, "--skip-errors")

    assert set(LegacyEntry.objects.values_list("source_id", flat=True)) == {"A", "C"}
    assert "line 3: type: Unknown type “fax”" in err
    assert "Imported 2 entries; left out 1 bad row." in out
    assert LegacyImport.objects.get().failed == 1


def test_skip_errors_leaves_out_only_a_row_with_a_nul_character(write_csv, karin):
    path = write_csv(row(id="A"), row(id="B", message="a\x00b"), row(id="C"))
    out, err = run(path, "--skip-errors")

    assert set(LegacyEntry.objects.values_list("source_id", flat=True)) == {"A", "C"}
    assert "line 3: message: contains a NUL character" in err


def test_a_dry_run_checks_everything_and_writes_nothing(write_csv, karin):
    out, _ = run(write_csv(row(id="A"), row(id="B")), "--dry-run")
    assert "Dry run: nothing was written." in out
    assert_nothing_written()


# --- Importing again --------------------------------------------------------------------------


def test_importing_the_same_file_again_adds_nothing(write_csv, karin):
    path = write_csv(row(id="A"), row(id="B"))
    run(path)
    out, _ = run(path)

    assert LegacyEntry.objects.count() == 2
    assert "created: 0" in out
    assert "skipped (already imported): 2" in out
    assert LegacyImport.objects.count() == 1  # the second import added nothing, not even a record


def test_rows_imported_before_are_skipped_even_if_their_account_changed(write_csv, karin):
    path = write_csv(row(id="A"))
    run(path)
    karin.email = "someone.else@example.se"
    karin.save()
    out, _ = run(path)
    assert "skipped (already imported): 1" in out


def test_an_id_is_unique_per_account_not_alone(write_csv, karin, olle):
    first = write_csv(row(id="A", proprietor=karin.email))
    second = write_csv(row(id="A", proprietor=olle.email))
    run(first)
    out, _ = run(second)
    assert "created: 1" in out
    assert {(e.account_id, e.source_id) for e in LegacyEntry.objects.all()} == {
        (karin.pk, "A"),
        (olle.pk, "A"),
    }
    out, _ = run(second)
    assert "skipped (already imported): 1" in out
    assert LegacyEntry.objects.count() == 2


def test_an_id_repeated_in_a_later_batch_is_still_caught(write_csv, karin):
    path = write_csv(row(id="A"), row(id="B"), row(id="C"), row(id="A"))
    text = refused(path, "--batch-size", "2")
    assert "line 5: id: The ID “A” is already on line 2." in text
    assert_nothing_written()


def test_batches_import_every_row(write_csv, karin):
    run(write_csv(*[row(id=f"A{n}") for n in range(7)]), "--batch-size", "3")
    assert LegacyEntry.objects.count() == 7


def test_a_file_with_errors_leaves_earlier_imports_alone(write_csv, karin):
    LegacyEntryFactory(source_id="OLD", account=karin)
    refused(write_csv(row(id="A"), row(id="B", type="fax")))
    assert list(LegacyEntry.objects.values_list("source_id", flat=True)) == ["OLD"]


# --- The service, as the admin calls it --------------------------------------------------------


def test_the_service_records_the_admin_user(karin, make_user):
    admin = make_user(roles.SYSTEM_ADMINISTRATOR, first_name="Alva", last_name="Berg")
    dataset = read_dataset(legacy_csv(row(id="A")).decode())
    report = legacy_history_import(actor=admin, datasets=[dataset], file_name="upload.csv")

    assert report.committed
    assert (report.created, report.skipped, report.failed) == (1, 0, 0)
    assert report.batch.actor == admin
    assert report.batch.actor_name == "Alva Berg"


def test_the_service_reports_errors_with_lines_and_writes_nothing(karin, make_user):
    admin = make_user(roles.SYSTEM_ADMINISTRATOR)
    dataset = read_dataset(legacy_csv(row(id="A"), row(id="B", created_at="soon")).decode())
    report = legacy_history_import(actor=admin, datasets=[dataset], file_name="upload.csv")

    assert not report.committed
    assert report.errors == [
        (3, "created_at: “soon” is not an ISO 8601 time; write it as 2019-05-01T23:59:59+01:00.")
    ]
    assert_nothing_written()


def test_a_dataset_with_a_wrong_header_imports_nothing(karin):
    dataset = Dataset(headers=["id", "event", "channel"])
    dataset.append(["A", "Account created", "web"])
    report = legacy_history_import(actor=None, datasets=[dataset], file_name="x.csv")

    assert not report.committed
    assert report.errors[0][0] is None
    assert "Unknown column “channel”" in report.errors[0][1]
    assert report.failed == 0
    assert_nothing_written()
