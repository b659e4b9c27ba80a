"""An address opened with a method it does not take answers with a page that says what to do,
in the layout, with the methods it takes; nothing changes. The API keeps its JSON."""

import pytest
from django.urls import reverse

from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def test_an_actions_address_opened_in_the_browser_explains_itself(service_client):
    account = AccountFactory()
    address = reverse("accounts:billing-day", args=[account.customer_number])

    answer = service_client.get(address)

    assert answer.status_code == 405
    assert answer["Allow"] == "POST"
    html = answer.content.decode()
    assert "<h1" in html and "Not a page to open" in html
    assert "nothing was changed" in html
    assert 'class="site-header"' in html  # in the layout, with the way back


def test_the_apis_own_answer_stays_json(api):
    answer = api.get(reverse("api:events"))

    assert answer.status_code == 405
    assert answer["Content-Type"].startswith("application/json")
