"""Where an erasure is started: the confirmation page, the API and the command."""

import pytest
from django.core.management import CommandError, call_command

from accounts.forms import CONFIRM_MISMATCH
from accounts.models import Account
from activity.models import ActivityEvent
from tests.factories import AccountFactory, PaymentMethodFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(db):
    account = AccountFactory(customer_number="850001", name="Olle Ek", email="olle@example.se")
    PaymentMethodFactory(account=account, masked_details="•••• 1881")
    return account


def url(account):
    return f"/accounts/{account.customer_number}/anonymise/"


@pytest.fixture
def admin(client, make_user):
    client.force_login(make_user("System Administrator", is_staff=True))
    return client


def test_the_confirmation_page_lists_what_will_be_redacted(admin, customer):
    page = admin.get(url(customer)).content.decode()

    assert "Olle Ek" in page
    assert 'Payment methods</td><td class="num">1</td>' in page
    assert "Type the customer number to confirm" in page


def test_the_account_page_offers_it_to_administrators_only(client, make_user, customer):
    client.force_login(make_user("System Administrator", is_staff=True))
    assert url(customer) in client.get(customer.get_absolute_url()).content.decode()
    client.force_login(make_user("Customer Service"))
    assert url(customer) not in client.get(customer.get_absolute_url()).content.decode()
    assert client.get(url(customer)).status_code == 403
    assert client.post(url(customer), {"confirm": "850001", "reason": "x"}).status_code == 403


def test_posting_the_confirmation_anonymises(admin, customer):
    response = admin.post(url(customer), {"confirm": "850001", "reason": "Request 12"})

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.is_anonymised
    assert ActivityEvent.objects.filter(type="customer_anonymised").count() == 1


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"confirm": "850002", "reason": "Request 12"}, "confirm", CONFIRM_MISMATCH),
        ({"confirm": "", "reason": "Request 12"}, "confirm", "This field is required."),
        ({"confirm": "850001", "reason": ""}, "reason", "This field is required."),
        ({"confirm": "850001", "reason": "x" * 501}, "reason", None),
    ],
)
def test_a_bad_confirmation_changes_nothing(admin, customer, form, field, message):
    response = admin.post(url(customer), form)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    if message:
        assert errors[field] == [message]
    customer.refresh_from_db()
    assert customer.name == "Olle Ek"
    assert not ActivityEvent.objects.filter(type="customer_anonymised").exists()


def test_posting_it_twice_changes_nothing_the_second_time(admin, customer):
    admin.post(url(customer), {"confirm": "850001", "reason": "Request 12"})
    response = admin.post(url(customer), {"confirm": "850001", "reason": "Request 12"}, follow=True)

    assert "anonymised already" in response.content.decode()
    assert ActivityEvent.objects.filter(type="customer_anonymised").count() == 1


# --- The API ------------------------------------------------------------------------------------


def test_an_integration_anonymises_and_the_second_call_changes_nothing(api, customer):
    path = f"/api/v1/accounts/{customer.customer_number}/anonymise/"

    first = api.post(path, {"reason": "Portal request 9"})
    second = api.post(path, {"reason": "Portal request 9"})

    assert first.status_code == second.status_code == 200
    assert first.json()["anonymised_now"] is True
    assert first.json()["redacted"]["payment methods"] == 1
    assert second.json() == {
        "account": "850001",
        "status": "anonymised",
        "anonymised_now": False,
        "redacted": {},
    }
    event = ActivityEvent.objects.get(type="customer_anonymised")
    assert (event.actor_name, event.actor_kind) == ("Billing engine", "system")


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "ok", "colour": "red"}])
def test_the_api_refuses_bad_input_and_changes_nothing(api, customer, body):
    response = api.post(f"/api/v1/accounts/{customer.customer_number}/anonymise/", body)

    assert response.status_code == 400
    customer.refresh_from_db()
    assert customer.status == Account.Status.ACTIVE


def test_the_api_answers_404_for_an_unknown_account(api, db):
    assert api.post("/api/v1/accounts/999999/anonymise/", {"reason": "x"}).status_code == 404


# --- The command --------------------------------------------------------------------------------


def test_the_command_reports_and_a_dry_run_changes_nothing(customer, capsys):
    call_command("anonymise_accounts", "850001", "--dry-run")
    customer.refresh_from_db()
    assert not customer.is_anonymised
    assert "Would anonymise 1 account(s)" in capsys.readouterr().out

    call_command("anonymise_accounts", "850001")
    customer.refresh_from_db()
    assert customer.is_anonymised
    out = capsys.readouterr().out
    assert "850001: " in out and "1 payment methods" in out

    call_command("anonymise_accounts", "850001")
    assert "850001: anonymised already" in capsys.readouterr().out


def test_the_command_refuses_unknown_customer_numbers_before_changing_anything(customer):
    with pytest.raises(CommandError, match="No account with customer number 999999"):
        call_command("anonymise_accounts", "850001", "999999")
    customer.refresh_from_db()
    assert not customer.is_anonymised


def test_an_anonymised_account_offers_no_form_that_would_be_refused(admin, customer):
    from accounts.services import account_anonymise

    before = admin.get(f"/accounts/{customer.customer_number}/").content.decode()
    assert "Edit address" in before and "Add a comment" in before and "Grant credit" in before

    account_anonymise(actor=None, account=customer, reason="The customer asked (GDPR art. 17)")
    page = admin.get(f"/accounts/{customer.customer_number}/").content.decode()

    assert "This customer's personal data was erased." in page
    for form in ("Edit address", "Add a comment", "Grant credit", "Revoke credit", "Erase"):
        assert form not in page, form
    assert "Change billing day" in page  # not personal data: still offered
