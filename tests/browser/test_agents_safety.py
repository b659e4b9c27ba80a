"""The account at a glance and agents' safety, walked in Chromium as each role would: the
confirmation steps, the pickers, the header, the timeline's chips, ID and CSV, SVG flags,
error pages, the admin's times, and every main page at 1440 and 390 px wide with axe-core."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Subscription
from activity.models import ActivityEvent
from config import roles
from credits import services as credit_services
from tests.browser.axe import assert_accessible, axe_findings
from tests.factories import (
    AccountFactory,
    ActivityEventFactory,
    PaymentMethodFactory,
    ProductFactory,
    SubscriptionFactory,
)
from tests.signin import browser_signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
# What axe-core found on each page walked (every one must be empty), for the report.
WALKED: list[tuple[str, int, int]] = []


@pytest.fixture
def world(make_user):
    make_user(roles.CUSTOMER_SERVICE, username="agent", first_name="Sara", last_name="Lind")
    make_user(roles.FINANCE, username="analyst", first_name="Maja", last_name="Ek")
    make_user(roles.SALES_AGENT, username="seller")
    make_user(roles.SYSTEM_ADMINISTRATOR, username="boss", is_staff=True)
    account = AccountFactory(
        customer_number="610001", name="Ingrid Hansen", phone="+47 22 33 44 55", country="NO"
    )
    basic = ProductFactory(name="Digital Basic (NOK)", price=Decimal("99.00"), currency="NOK")
    ProductFactory(name="Digital Plus (NOK)", price=Decimal("149.00"), currency="NOK")
    ProductFactory(name="Digital Basic (GBP)", price=Decimal("7.99"), currency="GBP")
    SubscriptionFactory(account=account, product=basic, order_id="ORD-610001")
    PaymentMethodFactory(
        account=account, kind="card", brand="Visa", masked_details="•••• 4242", is_default=True
    )
    credit_services.credit_grant(
        actor=None, account=account, amount="50", credit_type="currency", currency="NOK"
    )
    credit_services.credit_grant(
        actor=None, account=account, amount=5, credit_type="token", transaction_id="PUR-1"
    )
    start = timezone.now() - dt.timedelta(days=40)
    for i in range(40):
        ActivityEventFactory(
            account=account,
            type="email_sent" if i % 2 else "subscription_billing_success",
            data={"subject": "Your receipt", "to": "ingrid@example.no"}
            if i % 2
            else {"product": "Digital Basic (NOK)", "order_id": "ORD-610001"},
            occurred_at=start + dt.timedelta(days=i),
        )
    return account


def new_page(browser, live_server, viewport):
    context = browser.new_context(base_url=live_server.url, viewport=viewport, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def sign_in(page, username, live_server):
    """Signed in as `username`, with the authenticator app's code for the roles that need one."""
    browser_signed_in(page, get_user_model().objects.get(username=username), live_server.url)


def walk(page, path, width):
    """Open a page, check it has no serious or critical axe-core violation and, on a phone,
    that the page itself does not scroll sideways (tables scroll inside their panels)."""
    page.goto(path)
    found = assert_accessible(page)
    WALKED.append((path, width, len(found)))
    if width == PHONE["width"]:
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"{path} is {overflow}px wide at {width}px"


# --- 1 and 2: confirmation steps and valid choices only ------------------------------------------


def test_cancel_now_asks_for_a_reason_and_a_repost_does_nothing_twice(browser, live_server, world):
    page = new_page(browser, live_server, WIDE)
    sign_in(page, "agent", live_server)
    page.goto(world.get_absolute_url())
    row = page.locator("#subscription-ORD-610001")
    row.locator("summary", has_text="Actions").click()
    row.get_by_role("link", name="Cancel now…").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Cancel the subscription now"
    changes = page.locator("table.changes").inner_text()
    assert "Active" in changes and "Cancelled" in changes and "99.00 NOK" in changes
    assert Subscription.objects.get(order_id="ORD-610001").status == "active"
    walk(page, page.url.removeprefix(live_server.url), WIDE["width"])

    page.get_by_role("button", name="Cancel now").click()  # no reason: the browser refuses
    assert page.get_by_role("heading", level=1).inner_text() == "Cancel the subscription now"
    page.get_by_label("Reason").fill("Moving abroad, asked on the phone.")
    page.get_by_role("button", name="Cancel now").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").first.inner_text() == "Subscription cancelled."

    page.go_back()  # the confirmation page again
    page.get_by_label("Reason").fill("Moving abroad, asked on the phone.")
    page.get_by_role("button", name="Cancel now").click()
    page.wait_for_load_state()
    # The same page's key replays ("Already done"); a page shown anew says the subscription
    # is cancelled already. Either way one line, and no second event.
    said = page.locator("ul.messages").inner_text()
    assert "Already done" in said or "Subscription ORD-610001 is cancelled." in said
    events = ActivityEvent.objects.filter(account=world, type="subscription_cancelled")
    assert [e.data["reason"] for e in events] == ["Moving abroad, asked on the phone."]


def test_the_product_picker_offers_the_subscriptions_currency_and_the_change_is_confirmed(
    browser, live_server, world
):
    page = new_page(browser, live_server, WIDE)
    sign_in(page, "agent", live_server)
    page.goto(world.get_absolute_url())
    row = page.locator("#subscription-ORD-610001")
    row.locator("summary", has_text="Actions").click()
    change_to = row.get_by_label("Change to")
    options = change_to.locator("option").all_inner_texts()
    assert options == ["Digital Plus (NOK) (149.00 NOK)"]
    downgrade = row.locator("form[action$='/schedule-downgrade/']").inner_text()
    assert "No cheaper product in NOK" in downgrade
    row.get_by_role("button", name="Change product now…").click()

    changes = page.locator("table.changes").inner_text()
    assert "Digital Basic (NOK) (99.00 NOK a month)" in changes
    assert "Digital Plus (NOK) (149.00 NOK a month)" in changes
    page.get_by_label("Reason").fill("Wants the sports section.")
    page.get_by_role("button", name="Change product now").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").first.inner_text() == "Product changed."
    assert Subscription.objects.get(order_id="ORD-610001").product.currency == "NOK"


def test_finance_confirms_a_charge_and_sees_what_credit_pays(browser, live_server, world):
    page = new_page(browser, live_server, WIDE)
    sign_in(page, "analyst", live_server)
    page.goto(world.get_absolute_url())
    page.locator("summary", has_text="Manual charge").click()
    form = page.locator("form[action$='/charge/']")
    assert form.get_by_label("Currency").locator("option").all_inner_texts() == [
        "Choose…",
        "GBP",
        "NOK",
    ]
    form.get_by_label("Amount").fill("80")
    form.get_by_label("Currency").select_option("NOK")
    form.get_by_role("button", name="Add charge…").click()

    changes = page.locator("table.changes").inner_text()
    assert "50.00 NOK" in changes and "Billed to Visa •••• 4242" in changes
    assert "30.00 NOK" in changes
    page.get_by_label("Reason").fill("Replacement access card.")
    page.get_by_role("button", name="Add charge").click()
    page.wait_for_load_state()
    assert "Charge added: 50.00 NOK from credit, 30.00 NOK billed" in (
        page.get_by_role("status").first.inner_text()
    )


# --- 3: the account at a glance, and search -----------------------------------------------------


def test_a_phone_number_opens_the_account_with_its_header(browser, live_server, world):
    AccountFactory(name="Someone Else", phone="+46 70 000 00 00")
    page = new_page(browser, live_server, WIDE)
    sign_in(page, "agent", live_server)
    page.get_by_placeholder("Name, e-mail", exact=False).fill("22334455")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()

    assert page.url.endswith(world.get_absolute_url())
    header = page.get_by_label("Account at a glance")
    text = header.inner_text()
    assert "Digital Basic (NOK) · 99.00 NOK" in text
    assert "Never in credit control" in text
    assert "Subscription Billing Success" in text
    assert "Account: " in text and "50.00" in text


# --- 4: the timeline: chips, ID, links, jumps, the CSV ------------------------------------------


def test_chips_show_the_filters_and_the_csv_has_the_rows_of_the_page(
    browser, live_server, world, tmp_path
):
    page = new_page(browser, live_server, WIDE)
    sign_in(page, "agent", live_server)
    page.goto(reverse("activity:recent", args=[world.customer_number]))
    picker = page.locator("details.type-picker")
    assert picker.get_attribute("open") is None  # closed by default
    picker.locator("summary").click()
    page.get_by_label("Email sent", exact=True).check()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()

    chips = page.get_by_role("list", name="Active filters")
    assert chips.inner_text().startswith("Email sent")
    assert (
        page.locator(".match-count").inner_text()
        == "20 events match these filters; 20 on this page."
    )
    shown_ids = page.locator(".event-id code").all_inner_texts()
    assert len(shown_ids) == 20

    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    header, *rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert header[:5] == ["Time (Europe/Stockholm)", "Unique ID", "Type", "Category", "Actor"]
    assert [row[1] for row in rows] == shown_ids
    assert {row[2] for row in rows} == {"Email sent"}

    page.get_by_role("link", name="Remove filter: Email sent").click()
    expect(page.get_by_role("list", name="Active filters")).to_have_count(0)
    assert page.locator("li.event").count() == 25

    page.get_by_role("link", name="Oldest ⇥").first.click()
    expect(page.get_by_role("link", name="Older →")).to_have_count(0)
    page.locator("#jump-top").fill((timezone.localdate() - dt.timedelta(days=20)).isoformat())
    page.locator("form.jump").first.get_by_role("button", name="Go").click()
    page.wait_for_load_state()
    first_day = page.locator("h2.day-head").first.inner_text()
    target = timezone.localdate() - dt.timedelta(days=20)
    assert first_day.endswith(f"{target.day} {target:%B %Y}")


# --- 5: flags ------------------------------------------------------------------------------------


def test_amounts_carry_svg_flags_named_by_the_currency(browser, live_server, world):
    page = new_page(browser, live_server, WIDE)
    sign_in(page, "analyst", live_server)
    page.goto(reverse("credits:activity"))
    flag = page.get_by_role("img", name="Norwegian Krone").first
    assert flag.get_attribute("src").endswith("/flag-icons/4x3/no.svg")
    assert flag.get_attribute("title") == "Norwegian Krone"
    assert flag.evaluate("img => img.naturalWidth") > 0  # the file was served
    token = page.get_by_role("img", name="Tokens").first
    assert token.get_attribute("src").endswith("/img/token.svg")


# --- 6: error pages ------------------------------------------------------------------------------


def test_error_pages_sit_in_the_layout_and_say_what_to_do(browser, live_server, world):
    page = new_page(browser, live_server, WIDE)
    sign_in(page, "seller", live_server)
    response = page.goto(reverse("credits:activity"))
    assert response.status == 403
    assert "Finance or System Administrator" in page.locator("main").inner_text()
    assert page.get_by_role("navigation", name="Main").is_visible()
    assert_accessible(page)
    response = page.goto("/accounts/no-such-customer/")
    assert response.status == 404
    assert "Search for the customer" in page.locator("main").inner_text()
    assert_accessible(page)


# --- 10: the admin -------------------------------------------------------------------------------


def test_the_admin_shows_24_hour_times_and_type_titles(browser, live_server, world):
    ActivityEventFactory(
        account=world,
        type="comment_added",
        data={"comment": "Late call."},
        occurred_at=timezone.now().replace(hour=20, minute=45),
    )
    page = new_page(browser, live_server, WIDE)
    sign_in(page, "boss", live_server)
    page.goto("/admin/activity/activityevent/")
    assert "20:45" in page.locator("#result_list").inner_text() or "p.m." not in page.content()
    assert "p.m." not in page.locator("#result_list").inner_text()
    assert page.get_by_role("link", name="Subscription Cancellation Withdrawn").count() == 1


# --- 8: every main page, at 1440 and at 390 px, with axe-core ------------------------------------


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1440px", "390px"])
def test_every_main_page_passes_axe_at_both_widths(browser, live_server, world, viewport):
    number = world.customer_number
    width = viewport["width"]
    page = new_page(browser, live_server, viewport)
    walk(page, "/login/", width)
    sign_in(page, "analyst", live_server)
    for path in (
        reverse("accounts:search"),
        world.get_absolute_url(),
        reverse("activity:recent", args=[number]),
        reverse("activity:recent", args=[number]) + "?type=email_sent&date_from=2020-01-01",
        reverse("legacy_history:legacy", args=[number]),
        reverse("credits:activity"),
        reverse("credits:transaction", args=["PUR-1"]),
        reverse("credits:charge", args=[number]) + "?charge-amount=10&charge-currency=NOK",
        reverse("credits:refund", args=[number]),
    ):
        walk(page, path, width)
    sign_in(page, "agent", live_server)
    walk(
        page,
        reverse("accounts:subscription-action", args=[number, "ORD-610001", "cancel"]),
        width,
    )
    if width == PHONE["width"]:
        # The header wraps instead of pushing the page sideways, and a table scrolls inside.
        page.goto(world.get_absolute_url())
        nav = page.get_by_role("navigation", name="Main").bounding_box()
        assert nav["x"] + nav["width"] <= width
    print("\naxe-core:", ", ".join(f"{p} @{w}px: {n}" for p, w, n in WALKED))


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1440px", "390px"])
def test_the_account_page_has_no_axe_finding_at_all(browser, live_server, world, viewport):
    """Not only serious ones: no finding of any impact (the moderate `landmark-unique`, when
    every table's scroll region had the same name, among them), for every role, with every
    folded form and menu open, on a wide screen and a phone."""
    PaymentMethodFactory(account=world, kind="invoice", masked_details="Invoice to home")
    for username in ("agent", "analyst", "seller", "boss"):
        page = new_page(browser, live_server, viewport)
        sign_in(page, username, live_server)
        page.goto(world.get_absolute_url())
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")

        assert axe_findings(page) == [], username
        regions = page.locator('[role="region"]').evaluate_all("els => els.map(e => e.ariaLabel)")
        assert len(regions) == len(set(regions)) >= 4, username
        page.context.close()
