"""The admin: legacy entries read-only, and the import (upload, preview, confirm) for
holders of the import permission only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from config import roles
from legacy_history.models import LegacyEntry, LegacyImport
from tests.factories import LegacyEntryFactory
from tests.legacy_history.conftest import legacy_csv, row

pytestmark = pytest.mark.django_db

IMPORT_URL = "admin:legacy_history_legacyentry_import"
PROCESS_URL = "admin:legacy_history_legacyentry_process_import"
CHANGELIST_URL = "admin:legacy_history_legacyentry_changelist"
# Session, user, the second factor (the session's verified device), permissions (user's and
# groups'), the count, one page of entries with their accounts, the layout's role names and the
# date hierarchy's two, and the savepoint around the list's queries
# (core.admin.SafeChangeListMixin): whatever the number of rows.
CHANGELIST_QUERY_BUDGET = 12


@pytest.fixture
def admin_client(client, make_user):
    # A named administrator: the import record keeps who ran it.
    client.force_login(
        make_user(roles.SYSTEM_ADMINISTRATOR, is_staff=True, first_name="Alva", last_name="Berg")
    )
    return client


def upload(client, data: bytes, name="history.csv"):
    return client.post(
        reverse(IMPORT_URL),
        {"resource": "0", "format": "0", "import_file": SimpleUploadedFile(name, data)},
    )


def test_the_preview_shows_every_row_and_writes_nothing(admin_client, karin):
    response = upload(admin_client, legacy_csv(row(id="A"), row(id="B"), bom=True))

    assert response.status_code == 200
    assert response.context["confirm_form"] is not None
    result = response.context["result"]
    assert [r.import_type for r in result.rows] == ["new", "new"]
    assert "Confirm import" in response.content.decode()
    assert LegacyEntry.objects.count() == 0
    assert LegacyImport.objects.count() == 0


def test_confirming_imports_and_records_the_admin(admin_client, karin):
    preview = upload(admin_client, legacy_csv(row(id="A"), row(id="B")))
    confirm = preview.context["confirm_form"]
    response = admin_client.post(reverse(PROCESS_URL), confirm.initial, follow=True)

    assert response.redirect_chain[-1][0] == reverse(CHANGELIST_URL)
    assert set(LegacyEntry.objects.values_list("source_id", flat=True)) == {"A", "B"}
    record = LegacyImport.objects.get()
    assert (record.actor_name, record.created, record.file_name) == ("Alva Berg", 2, "history.csv")
    assert "Imported 2 legacy entries; 0 imported before were skipped." in [
        str(m) for m in response.context["messages"]
    ]


def test_the_preview_lists_bad_rows_by_line_and_offers_no_confirm(admin_client, karin):
    data = legacy_csv(row(id="A"), row(id="B", type=":fax"), row(id="C", proprietor="x@y.se"))
    response = upload(admin_client, data)
    page = response.content.decode()

    assert response.context.get("confirm_form") is None
    assert [r.number for r in response.context["result"].invalid_rows] == [3, 4]
    assert "Unknown type “:fax”" in page
    assert "No account has the e-mail “x@y.se”." in page
    assert "Nothing will be imported from this file." in page
    assert LegacyEntry.objects.count() == 0


def test_rows_imported_before_are_shown_as_skipped(admin_client, karin):
    LegacyEntryFactory(source_id="A", account=karin)
    response = upload(admin_client, legacy_csv(row(id="A"), row(id="B")))
    assert [r.import_type for r in response.context["result"].rows] == ["skip", "new"]


def test_an_unknown_column_is_named_on_the_form(admin_client, karin):
    header = "id,event,type,message,producer,proprietor,created_at,updated_at,channel"
    response = upload(admin_client, legacy_csv(row() + ",web", header=header))
    assert response.status_code == 200
    assert "Unknown column “channel”" in str(response.context["form"].errors["import_file"])
    assert LegacyEntry.objects.count() == 0


def test_a_file_that_is_not_utf8_is_refused_on_the_form(admin_client, karin):
    response = upload(admin_client, "id,event\nÅ,ö\n".encode("latin-1"))
    assert response.status_code == 200
    assert "not UTF-8" in str(response.context["form"].errors["import_file"])


def test_staff_without_the_import_permission_cannot_import(client, make_user, karin):
    client.force_login(make_user(roles.CUSTOMER_SERVICE, is_staff=True))
    changelist = client.get(reverse(CHANGELIST_URL))
    assert changelist.status_code == 200
    assert reverse(IMPORT_URL) not in changelist.content.decode()
    assert client.get(reverse(IMPORT_URL)).status_code == 403
    assert upload(client, legacy_csv(row(id="A"))).status_code == 403
    assert LegacyEntry.objects.count() == 0


def test_administrators_see_the_import_link(admin_client):
    page = admin_client.get(reverse(CHANGELIST_URL)).content.decode()
    assert reverse(IMPORT_URL) in page


def test_entries_cannot_be_added_changed_or_deleted(admin_client, karin):
    entry = LegacyEntryFactory(account=karin)
    assert admin_client.get(reverse("admin:legacy_history_legacyentry_add")).status_code == 403
    change = reverse("admin:legacy_history_legacyentry_change", args=[entry.pk])
    assert admin_client.post(change, {"message": "edited"}).status_code == 403
    delete = reverse("admin:legacy_history_legacyentry_delete", args=[entry.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.message != "edited"


@pytest.mark.parametrize("entries", [1, 40])
def test_the_changelist_has_a_fixed_query_budget(
    admin_client, karin, entries, django_assert_max_num_queries
):
    LegacyEntryFactory.create_batch(entries, account=karin)
    with django_assert_max_num_queries(CHANGELIST_QUERY_BUDGET):
        response = admin_client.get(reverse(CHANGELIST_URL), {"q": karin.customer_number})
    assert response.status_code == 200


def test_the_import_records_are_listed(admin_client):
    response = admin_client.get(reverse("admin:legacy_history_legacyimport_changelist"))
    assert response.status_code == 200
