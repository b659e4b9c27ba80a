"""Saved views on Recent Activity and Credit Activity (a user's filters under a name, for
themselves or a role), and Credit Activity's column chooser, remembered per user."""

import re

import pytest
from django.urls import reverse

from config import roles
from staff import views
from staff.models import Kind, Preferences, SavedView, StaffEvent
from staff.services import preferences as service
from tests.conftest import messages_of
from tests.factories import AccountFactory, SavedViewFactory

pytestmark = pytest.mark.django_db

SAVE = reverse("account:saved-view-save")
CREDITS = reverse("credits:activity")


def open_url(view, next_path=""):
    url = reverse("account:saved-view-open", args=[view.pk])
    return f"{url}?next={next_path}" if next_path else url


def delete_url(view):
    return reverse("account:saved-view-delete", args=[view.pk])


def columns_url(page="credit_activity"):
    return reverse("account:columns", args=[page])


@pytest.fixture
def analyst(client, make_user):
    user = make_user(roles.FINANCE, username="analyst")
    client.force_login(user)
    return user


@pytest.fixture
def account(db):
    return AccountFactory(customer_number="720001")


def timeline(account):
    return reverse("activity:recent", args=[account.customer_number])


def save(client, **data):
    fields = {"page": "credit_activity", "name": "Karin", "query": "", "next": CREDITS}
    return client.post(SAVE, {**fields, **data}, follow=True)


# --- Saving ----------------------------------------------------------------------------------


def test_a_user_saves_the_filters_and_finds_them_in_the_menu(client, analyst):
    response = save(client, name="Karin's refunds", query="account_name=karin&activity=refund")

    assert views.VIEW_SAVED.format("Karin's refunds") in messages_of(response)
    view = SavedView.objects.get()
    assert (view.actor, view.page, view.query) == (
        analyst,
        "credit_activity",
        "account_name=karin&activity=refund",
    )
    assert view.shared_with is None
    assert "Karin&#x27;s refunds" in client.get(CREDITS).content.decode()


def test_a_saved_view_keeps_the_filters_not_the_place_in_the_list(client, analyst):
    save(client, query="account_name=karin&page=3&sort=created_at&utc=1")
    assert SavedView.objects.get().query == "account_name=karin"


def test_saving_records_who_did_it(client, analyst):
    save(client, name="Mine", shared_with=roles.FINANCE)
    event = StaffEvent.objects.get(kind=Kind.SAVED_VIEW_SAVED)
    assert event.actor == analyst
    assert event.description == "Saved view “Mine” on Credit Activity, shared with Finance"


def test_a_view_of_ones_own_is_not_seen_by_others(client, analyst, make_user):
    SavedViewFactory(actor=analyst, name="Private one")
    client.force_login(make_user(roles.FINANCE))
    assert "Private one" not in client.get(CREDITS).content.decode()


def test_a_view_shared_with_a_role_is_seen_by_that_role_only(client, make_user, account):
    agent = make_user(roles.CUSTOMER_SERVICE)
    SavedViewFactory(
        actor=agent, page="recent_activity", name="Comments", role=roles.CUSTOMER_SERVICE
    )
    client.force_login(make_user(roles.CUSTOMER_SERVICE))
    assert "Comments" in client.get(timeline(account)).content.decode()
    client.force_login(make_user(roles.SALES_AGENT))
    assert "Comments" not in client.get(timeline(account)).content.decode()


# --- Bad input when saving: a clear message, nothing saved -----------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "   "}, "Name: This field is required."),
        ({"name": "x" * 81}, service.NAME_TOO_LONG),
        ({"shared_with": roles.CUSTOMER_SERVICE}, service.NOT_YOUR_ROLE),
        ({"shared_with": "Nobody's group"}, service.NOT_YOUR_ROLE),
        ({"page": "no_such_page"}, views.UNKNOWN_PAGE),
        ({"query": "a=" + "x" * 2100}, service.QUERY_TOO_LONG),
    ],
)
def test_a_bad_save_is_refused_and_nothing_is_saved(client, analyst, data, message):
    response = save(client, **data)
    assert response.status_code == 200
    assert any(message in text for text in messages_of(response)), messages_of(response)
    assert not SavedView.objects.exists()
    assert not StaffEvent.objects.filter(kind=Kind.SAVED_VIEW_SAVED).exists()


def test_a_second_view_of_the_same_name_is_refused(client, analyst):
    save(client, name="Karin", query="account_name=karin")
    response = save(client, name="Karin", query="account_name=other")
    assert views.NOT_SAVED.format(service.NAME_TAKEN.format("Karin")) in messages_of(response)
    assert SavedView.objects.get().query == "account_name=karin"


def test_a_save_never_sends_off_the_site(client, analyst):
    response = client.post(
        SAVE, {"page": "credit_activity", "name": "X", "next": "https://evil.example/"}
    )
    assert response.url == reverse("account:preferences")


# --- Opening ---------------------------------------------------------------------------------


def test_opening_a_view_applies_its_filters(client, analyst):
    view = SavedViewFactory(actor=analyst, query="account_name=karin&activity=grant")
    response = client.get(open_url(view))
    assert response.status_code == 302
    assert response.url == f"{CREDITS}?account_name=karin&activity=grant"


def test_a_timeline_view_opens_on_the_account_it_is_opened_from(client, make_user, account):
    agent = make_user(roles.CUSTOMER_SERVICE)
    client.force_login(agent)
    view = SavedViewFactory(actor=agent, page="recent_activity", query="type=comment_added")
    response = client.get(open_url(view, timeline(account)))
    assert response.url == f"{timeline(account)}?type=comment_added"


def test_a_timeline_view_opened_from_elsewhere_says_so(client, make_user):
    agent = make_user(roles.CUSTOMER_SERVICE)
    client.force_login(agent)
    view = SavedViewFactory(actor=agent, page="recent_activity", query="type=comment_added")
    response = client.get(open_url(view, CREDITS), follow=True)
    assert views.UNKNOWN_PAGE in messages_of(response)


@pytest.mark.parametrize(
    ("query", "kept", "problem"),
    [
        ("activity=grant&type=stardust", "activity=grant", "Type: Select a valid choice."),
        ("created_from=not-a-date", "", "Created from: Enter a valid date."),
        ("created_from=2026-13-45&account_name=karin", "account_name=karin", "Enter a valid date"),
        ("created_from=1066-10-14", "", "Choose a date from 1900-01-01"),
    ],
)
def test_a_stale_view_opens_without_its_bad_filters_and_says_which(
    client, analyst, query, kept, problem
):
    view = SavedViewFactory(actor=analyst, name="Old one", query=query)

    response = client.get(open_url(view))
    assert response.url == (f"{CREDITS}?{kept}" if kept else CREDITS)
    page = client.get(response.url)
    assert page.status_code == 200
    [message] = messages_of(page)
    assert message.startswith("Saved view “Old one” opened without the filters")
    assert problem in message


def test_a_stale_timeline_type_opens_with_a_message(client, make_user, account):
    agent = make_user(roles.CUSTOMER_SERVICE)
    client.force_login(agent)
    view = SavedViewFactory(
        actor=agent, page="recent_activity", name="Gone", query="type=telegram_sent&actor=agent"
    )
    response = client.get(open_url(view, timeline(account)), follow=True)
    assert response.status_code == 200
    assert "Activity types: Select a valid choice." in messages_of(response)[0]
    assert response.request["QUERY_STRING"] == "actor=agent"


def test_someone_elses_private_view_does_not_open(client, analyst, make_user):
    view = SavedViewFactory(actor=make_user(roles.FINANCE), query="account_name=secret")
    response = client.get(open_url(view, CREDITS), follow=True)
    assert views.VIEW_NOT_FOUND in messages_of(response)
    assert response.request["PATH_INFO"] == CREDITS
    assert "account_name" not in response.request["QUERY_STRING"]


def test_a_view_that_no_longer_exists_says_so(client, analyst):
    response = client.get(reverse("account:saved-view-open", args=[999999]), follow=True)
    assert views.VIEW_NOT_FOUND in messages_of(response)


# --- Deleting --------------------------------------------------------------------------------


def test_the_owner_deletes_their_view(client, analyst):
    view = SavedViewFactory(actor=analyst, name="Done with it")
    response = client.post(delete_url(view), {"next": CREDITS}, follow=True)
    assert views.VIEW_DELETED.format("Done with it") in messages_of(response)
    assert not SavedView.objects.exists()
    assert StaffEvent.objects.get(kind=Kind.SAVED_VIEW_DELETED).actor == analyst


def test_a_shared_view_is_deleted_only_by_its_owner(client, analyst, make_user):
    view = SavedViewFactory(actor=make_user(roles.FINANCE), role=roles.FINANCE)
    response = client.post(delete_url(view), {"next": CREDITS}, follow=True)
    assert service.NOT_YOUR_VIEW in messages_of(response)
    assert SavedView.objects.filter(pk=view.pk).exists()
    assert "delete" not in client.get(CREDITS).content.decode().split("Saved views")[1][:400]


def test_deleting_someone_elses_private_view_is_refused(client, analyst, make_user):
    view = SavedViewFactory(actor=make_user(roles.FINANCE))
    response = client.post(delete_url(view), follow=True)
    assert views.VIEW_NOT_FOUND in messages_of(response)
    assert SavedView.objects.filter(pk=view.pk).exists()


# --- Credit Activity's columns ---------------------------------------------------------------


def headers(client) -> list[str]:
    """The column headings of the Credit Activity table."""
    html = client.get(CREDITS).content.decode()
    head = html[html.index("<thead") : html.index("</thead>")]
    cells = re.findall(r"<th.*?</th>", head, re.S)
    return [re.sub(r"<[^>]+>", "", th).split()[0] for th in cells]


def test_a_user_hides_columns_and_the_choice_is_remembered(client, analyst):
    shown = ["created_at", "account", "activity", "amount", "balance_after"]
    response = client.post(columns_url(), {"columns": shown, "next": CREDITS}, follow=True)

    assert views.COLUMNS_SAVED.format("Credit Activity") in messages_of(response)
    assert headers(client) == ["Date", "Account", "Activity", "Amount", "Balance"]
    # Remembered for the user: the next sign-in shows the same columns.
    client.logout()
    client.force_login(analyst)
    assert "Note" not in headers(client)
    hidden = Preferences.objects.get(user=analyst).hidden_columns["credit_activity"]
    assert hidden == [
        "credit_type", "lots", "transaction_id", "subscription", "note", "actor_name",
    ]  # fmt: skip


def test_the_columns_of_one_user_are_not_anothers(client, analyst, make_user):
    client.post(columns_url(), {"columns": ["created_at", "amount"]})
    client.force_login(make_user(roles.FINANCE))
    assert "Note" in headers(client)


@pytest.mark.parametrize(
    ("shown", "message"),
    [
        ([], service.NO_COLUMN_LEFT),
        (["created_at", "password_hash"], service.UNKNOWN_COLUMN.format("password_hash")),
    ],
)
def test_a_bad_column_choice_is_refused_and_nothing_changes(client, analyst, shown, message):
    client.post(columns_url(), {"columns": ["created_at", "amount", "note"]})
    response = client.post(columns_url(), {"columns": shown, "next": CREDITS}, follow=True)
    assert views.NOT_SAVED.format(message) in messages_of(response)
    assert headers(client) == ["Date", "Amount", "Note"]


def test_a_page_without_a_column_chooser_is_refused(client, analyst):
    response = client.post(columns_url("recent_activity"), {"columns": ["x"]}, follow=True)
    assert views.UNKNOWN_PAGE in messages_of(response)
    assert not Preferences.objects.exists()
