import pytest
from django.urls import reverse

from accounts.models import Account
from accounts.selectors import account_search
from tests.factories import AccountFactory, PaymentMethodFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db
SEARCH = reverse("accounts:search")


def _numbers(response):
    if response.status_code == 302:  # exactly one match: the account opens
        return [response.url.strip("/").rsplit("/", 1)[-1]]
    return [row.record.customer_number for row in response.context["table"].page.object_list]


def test_search_by_partial_name(service_client):
    AccountFactory(name="Karin Nilsson", customer_number="100")
    AccountFactory(name="Johan Berg", customer_number="101")
    assert _numbers(service_client.get(SEARCH, {"q": "nils"})) == ["100"]


def test_search_by_email_ignores_case(service_client):
    AccountFactory(email="karin.nilsson@example.se", customer_number="100")
    AccountFactory(customer_number="101")
    assert _numbers(service_client.get(SEARCH, {"q": "Karin.Nilsson@EXAMPLE.se"})) == ["100"]


def test_search_by_customer_number_exact_first_then_its_first_digits(service_client):
    AccountFactory(customer_number="100", name="Zed")
    AccountFactory(customer_number="1000", name="Anna")
    AccountFactory(customer_number="2100", name="Bo")
    assert _numbers(service_client.get(SEARCH, {"q": "100"})) == ["100", "1000"]


def test_the_first_digits_of_a_customer_number_find_it(service_client):
    # Addresses without digits: the factory's numbered ones ("customer110@") contain "10".
    AccountFactory(customer_number="100134", name="Anna Ekelund", email="anna@example.com")
    AccountFactory(customer_number="100139", name="Bo Ek", email="bo@example.com")
    AccountFactory(customer_number="200134", name="Cay Ek", email="cay@example.com")
    assert _numbers(service_client.get(SEARCH, {"q": "10013"})) == ["100134", "100139"]
    # Two digits are too few to mean a customer number.
    assert "100134" not in _numbers(service_client.get(SEARCH, {"q": "10"}))


def test_a_name_is_found_with_its_words_in_any_order(service_client):
    AccountFactory(customer_number="100", name="Anna Ekelund")
    AccountFactory(customer_number="101", name="Anna Berg")
    AccountFactory(customer_number="102", name="Per Ekelund")
    assert _numbers(service_client.get(SEARCH, {"q": "Ekelund Anna"})) == ["100"]
    assert _numbers(service_client.get(SEARCH, {"q": "ekel  ANN"})) == ["100"]


def test_search_by_order_id_finds_the_account_once(service_client):
    account = AccountFactory(customer_number="100")
    SubscriptionFactory(account=account, order_id="ORD-42")
    SubscriptionFactory(account=account, order_id="ORD-43")
    AccountFactory(customer_number="101")
    assert _numbers(service_client.get(SEARCH, {"q": "ord-42"})) == ["100"]


def test_status_and_country_filters(service_client):
    AccountFactory(customer_number="100", country="SE", status="active")
    AccountFactory(customer_number="101", country="NO", status="active")
    AccountFactory(customer_number="102", country="NO", status="closed")
    assert _numbers(service_client.get(SEARCH, {"country": "NO", "status": "active"})) == ["101"]


def test_empty_search_lists_every_account(service_client):
    AccountFactory.create_batch(3)
    assert service_client.get(SEARCH).context["table"].paginator.count == 3


def test_over_long_search_is_refused_with_a_message(service_client):
    AccountFactory()
    response = service_client.get(SEARCH, {"q": "x" * 201})
    assert response.status_code == 200
    assert "Ensure this value has at most 200 characters" in response.content.decode()
    assert _numbers(response) == []


def test_unknown_status_is_refused_with_a_message(service_client):
    AccountFactory()
    response = service_client.get(SEARCH, {"status": "bogus"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize("page", ["9999", "-1", "abc", "1e9", "99999999999999999999"])
def test_bad_page_numbers_never_fail(service_client, page):
    AccountFactory.create_batch(3)
    assert service_client.get(SEARCH, {"page": page}).status_code == 200


def test_unknown_sort_column_is_ignored(service_client):
    AccountFactory.create_batch(2)
    assert service_client.get(SEARCH, {"sort": "password"}).status_code == 200


@pytest.mark.parametrize("count", [3, 60])
def test_search_page_runs_a_fixed_number_of_queries(
    service_client, django_assert_max_num_queries, count
):
    AccountFactory.create_batch(count)
    # As before, plus one for the second factor (whether the user has an authenticator app).
    with django_assert_max_num_queries(6):
        assert service_client.get(SEARCH).status_code == 200


# --- Phone numbers, card digits, and the one match that opens the account ---------------------


@pytest.mark.parametrize(
    "typed", ["+46 8-555 010 00", "08 555 01000", "0046855501000", "855501000"]
)
def test_a_phone_number_in_any_common_format_finds_the_account(typed):
    karin = AccountFactory(phone="+46 8-555 010 00")
    AccountFactory(phone="+46 70 123 45 67")
    assert list(account_search(q=typed)) == [karin]


def test_the_last_four_digits_of_a_card_find_the_account():
    karin = AccountFactory()
    PaymentMethodFactory(account=karin, kind="card", brand="Visa", masked_details="•••• 4242")
    other = AccountFactory()
    PaymentMethodFactory(account=other, kind="card", brand="Visa", masked_details="•••• 1111")
    assert list(account_search(q="4242")) == [karin]


def test_a_search_with_exactly_one_match_opens_the_account(service_client):
    karin = AccountFactory(name="Karin Nilsson")
    AccountFactory(name="Olle Berg")
    response = service_client.get(reverse("accounts:search"), {"q": "karin"})
    assert response.status_code == 302
    assert response.url == karin.get_absolute_url()


def test_a_search_with_two_matches_lists_them(service_client):
    AccountFactory(name="Karin Nilsson")
    AccountFactory(name="Karin Berg")
    response = service_client.get(reverse("accounts:search"), {"q": "karin"})
    assert response.status_code == 200
    assert response.context["table"].paginator.count == 2


def test_countries_are_chosen_by_name(service_client):
    AccountFactory(customer_number="101", country="NO")
    page = service_client.get(SEARCH)
    assert '<option value="NO">Norway</option>' in page.content.decode()
    assert _numbers(service_client.get(SEARCH, {"country": "NO"})) == ["101"]


def test_exact_matches_come_first_then_by_name(service_client):
    AccountFactory(name="Anna Ek", customer_number="100")
    AccountFactory(name="Bo Ekberg", customer_number="ek")
    AccountFactory(name="Cilla Berg", customer_number="102", email="ekdahl@example.se")
    orders = AccountFactory(name="Dan Åberg", customer_number="103")
    SubscriptionFactory(account=orders, order_id="EK")
    found = _numbers(service_client.get(SEARCH, {"q": "EK"}))
    # The customer number and the order ID that are "ek" (any case), by name; then the names
    # and e-mails that contain it.
    assert found == ["ek", "103", "100", "102"]


def test_an_exact_email_comes_before_emails_that_contain_it(service_client):
    AccountFactory(name="Anna Holm", customer_number="100", email="hanna@example.se")
    AccountFactory(name="Bo Lind", customer_number="101", email="Anna@Example.se")
    found = _numbers(service_client.get(SEARCH, {"q": "anna@example.se"}))
    assert found == ["101", "100"]


def test_a_clicked_header_orders_the_results(service_client):
    AccountFactory(name="Anna Ek", customer_number="100")
    AccountFactory(name="Bo Ek", customer_number="ek")
    found = _numbers(service_client.get(SEARCH, {"q": "ek", "sort": "-customer_number"}))
    assert found == ["ek", "100"]


def test_a_name_is_found_whatever_its_accents(service_client):
    AccountFactory(customer_number="100", name="Åsa Lövgren")
    AccountFactory(customer_number="101", name="Bo Berg")
    assert _numbers(service_client.get(SEARCH, {"q": "lovgren"})) == ["100"]
    assert _numbers(service_client.get(SEARCH, {"q": "asa LÖVGREN"})) == ["100"]
    assert _numbers(service_client.get(SEARCH, {"q": "Lövg"})) == ["100"]


def test_the_name_search_is_served_by_the_folded_trigram_index(db):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    found = account_search(q="lovgren")
    # The candidates are rechecked against the stored folded name, not folded again.
    assert '"name_folded"' in str(found.query)
    plan = found.explain()
    assert "account_name_folded_trgm_idx" in plan, plan


def test_the_stored_folded_name_follows_every_change_of_the_name(db):
    from django.db import connection

    account = AccountFactory(customer_number="100", name="Åsa Lövgren")

    def stored() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT name_folded FROM accounts_account WHERE id = %s", [account.pk])
            return cursor.fetchone()[0]

    assert stored() == "ASA LOVGREN"
    Account.objects.filter(pk=account.pk).update(name="Örjan Ängström")
    assert stored() == "ORJAN ANGSTROM"
    assert [a.customer_number for a in account_search(q="angstrom")] == ["100"]
    assert not account_search(q="lovgren").exists()
