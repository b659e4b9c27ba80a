import pytest
from playwright.sync_api import expect

from config import roles
from legacy_history.models import LegacyEntry, LegacyImport
from tests.factories import AccountFactory
from tests.legacy_history.conftest import legacy_csv, row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_uploads_a_file_fixes_it_and_imports_it(
    page, sign_in, make_user, tmp_path
):
    make_user(roles.SYSTEM_ADMINISTRATOR, username="alva", is_staff=True)
    AccountFactory(customer_number="610001", email="karin.nilsson@example.se")
    bad = tmp_path / "history.csv"
    bad.write_bytes(legacy_csv(row(id="A"), row(id="B", type=":fax")))
    good = tmp_path / "history-fixed.csv"
    good.write_bytes(legacy_csv(row(id="A"), row(id="B", type=":voucher"), bom=True))

    sign_in("alva")
    page.goto("/admin/legacy_history/legacyentry/")
    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_label("File to import").set_input_files(bad)
    page.get_by_role("button", name="Submit").click()

    expect(page.get_by_text("Some rows cannot be imported")).to_be_visible()
    expect(page.get_by_text("Unknown type “:fax”")).to_be_visible()
    expect(page.get_by_role("button", name="Confirm import")).to_have_count(0)

    page.get_by_label("File to import").set_input_files(good)
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("table.import-preview tr.new")).to_have_count(2)
    page.get_by_role("button", name="Confirm import").click()

    assert page.get_by_text(
        "Imported 2 legacy entries; 0 imported before were skipped."
    ).is_visible()
    assert sorted(LegacyEntry.objects.values_list("source_id", flat=True)) == ["A", "B"]
    assert LegacyImport.objects.get().actor.username == "alva"
