"""The pages of four eyes on credit: a form over the limit sends the operation for approval, the
approvals list and its filters, a request's page and the decisions posted from it."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from config import roles
from core.actors import Actor
from core.views import ALREADY_DONE
from credits import services
from credits.models import ApprovalOperation, ApprovalState, CreditApproval, CreditEntry
from credits.services.approvals import REJECTION_REASON_REQUIRED
from tests.conftest import messages_of
from tests.credits.conftest import SEK, TOKENS
from tests.credits.test_limits import use_limits
from tests.factories import AccountFactory, PaymentMethodFactory
from tests.signin import VerifiedClient

pytestmark = pytest.mark.django_db

LIST = reverse("credits:approvals")


@pytest.fixture(autouse=True)
def limits(settings):
    use_limits(settings)


@pytest.fixture
def approver(make_user):
    return make_user(roles.FINANCE, first_name="Per", last_name="Holm")


@pytest.fixture
def approver_client(approver):
    """A client of its own, beside `client` (which finance_client and agent_client sign in)."""
    client = VerifiedClient()
    client.force_login(approver)
    return client


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def ask(actor, account, amount="600", operation=ApprovalOperation.GRANT, **kwargs):
    submitted = services.credit_request(
        actor=actor,
        operation=operation,
        account=account,
        amount=amount,
        note=kwargs.pop("note", "Missed delivery"),
        **{**SEK, **kwargs},
    )
    assert submitted.waiting
    return submitted.approval


def rows(response) -> list[str]:
    """The rows of the page's list (past the totals above it, where there are any)."""
    html = response.content.decode()
    if 'class="totals"' in html:
        html = html.split('class="totals"', 1)[1].split("</section>", 1)[1]
    body = html.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr.*?</tr>", body, re.S)


def listed_ids(response) -> set[int]:
    return {int(n) for row in rows(response) for n in re.findall(r">Request (\d+)</a>", row)}


def detail(approval) -> str:
    return reverse("credits:approval", args=[approval.pk])


# --- Asking from the account page ---------------------------------------------------------


def test_a_grant_over_the_limit_from_the_account_page_is_sent_for_approval(
    agent_client, account, subscription
):
    response = agent_client.post(
        reverse("credits:grant", args=[account.customer_number]),
        {
            "grant-credit_type": "currency",
            "grant-currency": "SEK",
            "grant-amount": "600",
            "grant-note": "Missed delivery",
        },
        follow=True,
    )

    approval = CreditApproval.objects.get()
    assert messages_of(response) == [
        f"Not done yet: 600.00 SEK is over the limit of 500.00 SEK per grant. It is sent for "
        f"approval as request {approval.pk}, and runs when a second person (Finance) approves "
        "it; follow it under My requests, and the account's Recent Activity shows when it is "
        "decided."
    ]
    assert not CreditEntry.objects.exists()


def test_a_grant_within_the_limit_from_the_account_page_is_done(
    agent_client, account, subscription
):
    response = agent_client.post(
        reverse("credits:grant", args=[account.customer_number]),
        {
            "grant-credit_type": "currency",
            "grant-currency": "SEK",
            "grant-amount": "500",
            "grant-note": "Missed delivery",
        },
        follow=True,
    )

    assert messages_of(response) == ["Credit granted."]
    assert CreditEntry.objects.get().amount == Decimal("500")


def test_the_grant_form_tells_the_users_limits(agent_client, account, subscription):
    html = agent_client.get(reverse("accounts:detail", args=[account.customer_number]))
    form = html.content.decode().split("<summary>Grant credit</summary>", 1)[1].split("</form>")[0]

    assert (
        "Alone you may make a grant of up to 500.00 SEK, 100 tokens, and grant up to "
        "2000.00 SEK, 400 tokens a day. Above that it waits for another person&#x27;s approval."
    ) in form


def confirm(client, url, choices, reason="Asked by the customer"):
    page = client.get(url, choices)
    assert page.status_code == 200 and page.context["valid"], page.content.decode()
    posted = {**choices, "reason": reason, "key": page.context["reason_form"]["key"].value()}
    return client.post(url, posted, follow=True)


@pytest.mark.parametrize(
    ("action", "operation"),
    [
        ("revoke", ApprovalOperation.REVOKE),
        ("charge", ApprovalOperation.CHARGE),
        ("refund", ApprovalOperation.MANUAL_REFUND),
    ],
)
def test_a_confirmed_operation_over_the_limit_becomes_a_request(
    finance_client, finance, account, subscription, action, operation
):
    method = PaymentMethodFactory(account=account)
    wallet = services.credit_grant(actor=None, account=account, amount="50000", **SEK).wallet
    choices = {
        "revoke": {"revoke-wallet": str(wallet.pk), "revoke-amount": "10000.01"},
        "charge": {"charge-amount": "25000.01", "charge-currency": "SEK"},
        "refund": {
            "refund-amount": "25000.01",
            "refund-currency": "SEK",
            "refund-refunded_to": str(method.pk),
        },
    }[action]

    response = confirm(finance_client, reverse(f"credits:{action}", args=["700001"]), choices)

    approval = CreditApproval.objects.get()
    assert (approval.operation, approval.actor, approval.reason) == (
        operation,
        finance,
        "Asked by the customer",
    )
    (message,) = messages_of(response)
    assert message.startswith("Not done yet:") and "sent for approval" in message
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("50000") and CreditEntry.objects.count() == 1


def test_a_request_confirmed_twice_is_made_once(finance_client, account, subscription):
    wallet = services.credit_grant(actor=None, account=account, amount="50000", **SEK).wallet
    url = reverse("credits:revoke", args=[account.customer_number])
    choices = {"revoke-wallet": str(wallet.pk), "revoke-amount": "10000.01"}
    page = finance_client.get(url, choices)
    posted = {**choices, "reason": "Twice", "key": page.context["reason_form"]["key"].value()}
    finance_client.post(url, posted, follow=True)

    again = finance_client.post(url, posted, follow=True)

    assert messages_of(again) == [ALREADY_DONE]
    assert CreditApproval.objects.count() == 1


# --- The approvals list -------------------------------------------------------------------


def test_finance_sees_the_waiting_request_in_the_list(approver_client, account, agent):
    approval = ask(agent, account, note="Missed delivery")

    response = approver_client.get(LIST)

    assert response.status_code == 200
    (row,) = rows(response)
    assert f'href="{detail(approval)}"' in row
    for text in ("Karin Nilsson", "Grant", "600.00", "Missed delivery", "Sara Lind", "Waiting"):
        assert text in row


def test_the_navigation_counts_the_requests_waiting_for_the_user(
    approver_client, finance_client, account, agent, finance
):
    ask(agent, account)
    ask(agent, account, "700")
    ask(Actor.integration("Billing engine"), account, "6000", note="")
    ask(finance, account, "20000")  # Maja's own: not hers to decide

    badge = re.compile(r'<span class="badge" title="(\d+) waiting for a decision">')
    assert badge.findall(approver_client.get(LIST).content.decode()) == ["4"]
    assert badge.findall(finance_client.get(LIST).content.decode()) == ["3"]


def test_no_badge_when_nothing_waits(approver_client, account):
    assert 'class="badge"' not in approver_client.get(LIST).content.decode()


@pytest.mark.parametrize("role", [roles.CUSTOMER_SERVICE, roles.SYSTEM_ADMINISTRATOR])
def test_only_approvers_may_open_the_approvals(client, make_user, account, role):
    approval = ask(make_user(roles.FINANCE), account, "20000")
    client.force_login(make_user(role, is_staff=role == roles.SYSTEM_ADMINISTRATOR))

    assert client.get(LIST).status_code == 403
    assert client.get(detail(approval)).status_code == 403
    assert client.post(reverse("credits:approve", args=[approval.pk])).status_code == 403
    assert not CreditEntry.objects.exists()


@pytest.fixture
def requests(account, agent, finance, approver):
    """One request of each kind the filters tell apart."""
    other = AccountFactory(customer_number="700002", name="Olle Berg")
    services.credit_grant(actor=None, account=account, amount="20000", **SEK)
    made = {
        "grant": ask(agent, account, "600"),
        "tokens": ask(agent, other, 101, **TOKENS),
        "revoke": ask(finance, account, "10000.01", operation=ApprovalOperation.REVOKE),
        "rejected": ask(agent, account, "700"),
    }
    services.approval_reject(actor=approver, approval=made["rejected"], reason="No")
    return {name: approval.pk for name, approval in made.items()}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"grant", "tokens", "revoke"}),
        ("state=pending", {"grant", "tokens", "revoke"}),
        ("state=rejected", {"rejected"}),
        ("state=", {"grant", "tokens", "revoke", "rejected"}),
        ("operation=revoke", {"revoke"}),
        ("operation=grant&state=", {"grant", "tokens", "rejected"}),
        ("currency=sek", {"grant", "revoke"}),
        ("requested_by=maja", {"revoke"}),
        ("requested_by=sara&state=", {"grant", "tokens", "rejected"}),
        ("account_id=700002", {"tokens"}),
    ],
)
def test_each_filter_narrows_the_list(approver_client, requests, query, expected):
    response = approver_client.get(f"{LIST}?{query}")

    assert listed_ids(response) == {requests[name] for name in expected}


@pytest.mark.parametrize("unit", ["tokens", "TOKEN"])
def test_the_currency_filter_takes_tokens(approver_client, requests, unit):
    response = approver_client.get(f"{LIST}?currency={unit}")

    assert 'class="error"' not in response.content.decode()
    assert listed_ids(response) == {requests["tokens"]}


def test_an_overdue_request_is_listed_as_expired_not_waiting(approver_client, account, agent):
    from django.utils import timezone

    approval = ask(agent, account)
    CreditApproval.objects.filter(pk=approval.pk).update(expires_at=timezone.now())

    assert listed_ids(approver_client.get(LIST)) == set()
    assert listed_ids(approver_client.get(f"{LIST}?state=expired")) == {approval.pk}


@pytest.mark.parametrize(
    "query",
    [
        "state=teleported",
        "operation=steal",
        "currency=" + "X" * 50,
        "requested_by=" + "x" * 500,
        "page=abc",
        "page=99999999999999999999",
        "sort=nonsense",
    ],
)
def test_bad_filters_are_answered_not_a_server_error(approver_client, requests, query):
    response = approver_client.get(f"{LIST}?{query}")

    assert response.status_code == 200


def test_a_nul_character_in_a_filter_is_a_bad_request(approver_client, requests):
    assert approver_client.get(f"{LIST}?account_id=%00").status_code == 400


def test_the_list_costs_the_same_queries_for_few_or_many_requests(
    approver_client, account, agent, django_assert_max_num_queries
):
    ask(agent, account)
    approver_client.get(LIST)  # session and permission caches warm
    # session, user, the session's second factor, two permission lookups, the count in the
    # navigation, the roles in the header, the count of the list's rows and its page
    with django_assert_max_num_queries(7) as few:
        approver_client.get(LIST)
    others = [AccountFactory() for _ in range(5)]
    for n in range(20):
        ask(agent, others[n % 5], str(600 + n))

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = approver_client.get(LIST)
    assert len(rows(response)) == 21


# --- A request's page ---------------------------------------------------------------------


def test_the_request_page_offers_the_decisions_to_another_approver(approver_client, account, agent):
    approval = ask(agent, account)

    html = approver_client.get(detail(approval)).content.decode()

    assert "Request" in html and "600.00 SEK" in html and "Missed delivery" in html
    assert f'action="{reverse("credits:approve", args=[approval.pk])}"' in html
    assert f'action="{reverse("credits:reject", args=[approval.pk])}"' in html


def test_the_requester_sees_their_request_without_the_decisions(finance_client, account, finance):
    approval = ask(finance, account, "20000")

    html = finance_client.get(detail(approval)).content.decode()

    assert "You asked for this: another person must decide on it." in html
    assert reverse("credits:approve", args=[approval.pk]) not in html
    assert reverse("credits:reject", args=[approval.pk]) not in html


def test_a_decided_request_shows_the_decision_and_no_forms(
    approver_client, approver, account, agent
):
    approval = ask(agent, account)
    services.approval_approve(actor=approver, approval=approval)

    html = approver_client.get(detail(approval)).content.decode()

    assert "Approved by Per Holm" in html
    assert reverse("credits:approve", args=[approval.pk]) not in html


def test_an_unknown_request_is_not_found(approver_client, db):
    assert approver_client.get(reverse("credits:approval", args=[999999])).status_code == 404


def test_the_request_page_costs_a_fixed_number_of_queries(
    approver_client, approver, account, subscription, agent, django_assert_max_num_queries
):
    approval = ask(agent, account, subscription=subscription)
    approver_client.get(detail(approval))
    # session, user, the session's second factor, two permission lookups, the request with its
    # account, subscription, product and entry, the roles in the header, the navigation count
    with django_assert_max_num_queries(6):
        assert approver_client.get(detail(approval)).status_code == 200
    services.approval_approve(actor=approver, approval=approval)
    with django_assert_max_num_queries(6):
        assert approver_client.get(detail(approval)).status_code == 200


# --- Deciding -----------------------------------------------------------------------------


def test_approving_from_the_request_page_runs_the_grant(approver_client, account, agent):
    approval = ask(agent, account)

    response = approver_client.post(reverse("credits:approve", args=[approval.pk]), follow=True)

    assert messages_of(response) == ["Approved: the grant of 600.00 SEK for Sara Lind ran now."]
    entry = CreditEntry.objects.get()
    assert (entry.actor_name, entry.approved_by_name) == ("Sara Lind", "Per Holm")


def test_the_credit_activity_page_shows_who_approved_the_entry(approver_client, account, agent):
    approval = ask(agent, account)
    approver_client.post(reverse("credits:approve", args=[approval.pk]))

    response = approver_client.get(reverse("credits:activity"))

    (row,) = rows(response)
    assert "Sara Lind" in row and "approved by Per Holm" in row


def test_a_refused_approval_is_shown_on_the_request_page(finance_client, account, finance):
    approval = ask(finance, account, "20000")

    response = finance_client.post(reverse("credits:approve", args=[approval.pk]), follow=True)

    assert messages_of(response) == [
        "Approval failed: You cannot approve your own request: another person must."
    ]
    assert not CreditEntry.objects.exists()


def test_rejecting_without_a_reason_says_so_and_changes_nothing(approver_client, account, agent):
    approval = ask(agent, account)

    response = approver_client.post(
        reverse("credits:reject", args=[approval.pk]), {"reject-reason": "  "}, follow=True
    )

    assert messages_of(response) == [f"Rejection failed: {REJECTION_REASON_REQUIRED}"]
    approval.refresh_from_db()
    assert approval.state == ApprovalState.PENDING


def test_rejecting_from_the_request_page(approver_client, account, agent):
    approval = ask(agent, account)

    response = approver_client.post(
        reverse("credits:reject", args=[approval.pk]),
        {"reject-reason": "No such delivery"},
        follow=True,
    )

    assert messages_of(response) == [
        "Rejected: nothing was changed, and the requester can read your reason."
    ]
    approval.refresh_from_db()
    assert (approval.state, approval.decision_note) == (ApprovalState.REJECTED, "No such delivery")
    assert "No such delivery" in response.content.decode()
    assert not CreditEntry.objects.exists()
