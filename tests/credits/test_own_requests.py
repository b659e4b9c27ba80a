"""My requests: a requester follows what they asked for — the list of their own requests with
each one's state, and each request's own page — and nobody else's."""

import pytest
from django.test import Client
from django.urls import reverse

from config import roles
from credits import services
from tests.credits.test_approval_pages import ask, detail, limits, listed_ids, rows  # noqa: F401
from tests.signin import VerifiedClient

pytestmark = pytest.mark.django_db

MINE = reverse("credits:own-requests")


def signed_in(user):
    client = VerifiedClient()
    client.force_login(user)
    return client


def test_a_requester_sees_their_own_requests_with_their_state(account, agent, make_user):
    other = make_user(roles.CUSTOMER_SERVICE, username="other")
    waiting = ask(agent, account, amount="600")
    rejected = ask(agent, account, amount="700")
    ask(other, account, amount="800")
    finance = make_user(roles.FINANCE, first_name="Per", last_name="Holm")
    services.approval_reject(actor=finance, approval=rejected, reason="Not this time")

    page = signed_in(agent).get(MINE)

    assert page.status_code == 200
    assert listed_ids(page) == {waiting.pk, rejected.pk}
    text = " ".join(rows(page))
    assert "Waiting" in text and "Rejected" in text and "Per Holm" in text


def test_a_requester_opens_their_own_request_but_decides_nothing(account, agent, make_user):
    mine = ask(agent, account)
    theirs = ask(make_user(roles.CUSTOMER_SERVICE, username="other"), account)
    client = signed_in(agent)

    page = client.get(detail(mine))

    assert page.status_code == 200
    html = page.content.decode()
    assert "You asked for this" in html
    assert "Approve and run" not in html
    assert f'href="{MINE}"' in html
    assert client.get(detail(theirs)).status_code == 403
    assert client.post(reverse("credits:approve", args=[mine.pk])).status_code == 403


def test_a_role_that_asks_for_nothing_has_no_requests_page(make_user):
    client = signed_in(make_user(roles.SALES_AGENT))

    assert client.get(MINE).status_code == 403
    assert "My requests" not in client.get(reverse("accounts:search")).content.decode()


def test_the_list_costs_the_same_queries_however_long(
    account, agent, django_assert_max_num_queries
):
    client = signed_in(agent)
    ask(agent, account)
    client.get(MINE)
    for amount in range(601, 620):
        ask(agent, account, amount=str(amount))
    with django_assert_max_num_queries(8):
        page = client.get(MINE)
    assert len(listed_ids(page)) == 20


def test_nobody_signed_in_is_sent_to_sign_in():
    answer = Client().get(MINE)

    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("login"))
