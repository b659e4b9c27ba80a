"""`manage.py load_demo`: the demo accounts, timelines, ledger and users, built once for this
module (loading takes seconds) inside a transaction that is rolled back after its last test
(tests.shared_rows), so no other test ever sees the demo rows."""

import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import Client, RequestFactory, override_settings

from accounts.models import Account
from activity.models import ActivityEvent
from config import roles
from credits.models import Activity, CreditEntry, CreditType, CreditWallet, GiftCardStatus
from staff.models import Kind, StaffEvent
from tests.conftest import FAST_PASSWORD_HASHERS
from tests.shared_rows import rows_for_the_module

pytestmark = pytest.mark.django_db

# The large account's events here: the demo's 20,000 (DEMO_LARGE_ACCOUNT_EVENTS) are made the
# same way, one bulk write, and would only make the module slower.
LARGE = 2_000


def counts() -> tuple[int, int, int]:
    return (Account.objects.count(), ActivityEvent.objects.count(), CreditEntry.objects.count())


def load_demo() -> str:
    """What the first load_demo prints."""
    out = io.StringIO()
    with override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS, DEMO_LARGE_ACCOUNT_EVENTS=LARGE):
        call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker):
    """What the first load_demo printed; its rows are the module's (tests.shared_rows), rolled
    back after its last test."""
    with django_db_blocker.unblock():
        without_demo = counts()
    with rows_for_the_module(django_db_blocker, load_demo) as output:
        yield output
    with django_db_blocker.unblock():
        assert counts() == without_demo, "the demo's rows outlived its module"


def test_the_demo_has_the_accounts_and_the_large_timeline(demo_output):
    assert Account.objects.count() >= 201
    assert ActivityEvent.objects.filter(account__customer_number="100000").count() >= LARGE
    assert f"account 100000 has {LARGE:,}" in demo_output


def test_the_demo_has_subscriptions_in_every_status(demo_output):
    statuses = set(Account.objects.values_list("subscriptions__status", flat=True))
    assert {"trial", "active", "paused", "cancelled", "expired"} <= statuses


@pytest.mark.parametrize(
    ("username", "role"),
    [
        ("demo-admin", roles.SYSTEM_ADMINISTRATOR),
        ("demo-service", roles.CUSTOMER_SERVICE),
        ("demo-sales", roles.SALES_AGENT),
        ("demo-finance", roles.FINANCE),
    ],
)
def test_each_demo_user_signs_in_and_holds_only_their_role(demo_output, username, role):
    # As the sign-in page calls it (django-axes needs the request).
    request = RequestFactory().post("/login/")
    user = authenticate(request, username=username, password="demo-password")
    assert user is not None
    assert list(user.groups.values_list("name", flat=True)) == [role]


def test_load_demo_prints_the_demo_logins(demo_output):
    assert "Demo logins (password: demo-password):" in demo_output
    assert "demo-finance" in demo_output


def test_load_demo_says_two_factor_sign_in_is_required_where_it_is(demo_output):
    assert "Two-factor sign-in is required for Finance and System Administrator" in demo_output


def test_with_mfa_off_the_demo_says_so_and_how_to_try_it(demo_output, settings):
    settings.MFA_REQUIRED = False
    out = io.StringIO()

    call_command("load_demo", stdout=out)

    note = out.getvalue()
    assert "Two-factor sign-in is OFF for this demo (MFA_REQUIRED=false)" in note
    assert "/account/security/" in note and "MFA_REQUIRED=true make run" in note


@pytest.mark.parametrize("username", ["demo-admin", "demo-finance"])
def test_with_mfa_off_the_demo_logins_need_the_password_alone(demo_output, settings, username):
    settings.MFA_REQUIRED = False
    client = Client()

    response = client.post("/login/", {"username": username, "password": "demo-password"})

    assert response.status_code == 302
    assert client.get("/credits/activity/").status_code == 200


def test_with_mfa_on_the_demo_finance_user_sets_up_an_app_first(demo_output):
    client = Client()
    client.post("/login/", {"username": "demo-finance", "password": "demo-password"})

    assert client.get("/credits/activity/").url.startswith("/account/security/")


def test_no_demo_user_holds_a_permission_directly(demo_output):
    assert not get_user_model().user_permissions.through.objects.exists()


def test_a_second_load_changes_no_password(demo_output):
    before = StaffEvent.objects.filter(kind=Kind.PASSWORD_CHANGED).count()
    call_command("load_demo", stdout=io.StringIO())
    assert StaffEvent.objects.filter(kind=Kind.PASSWORD_CHANGED).count() == before


def test_the_demo_ledger_has_every_activity_and_every_gift_card_status(demo_output):
    assert CreditEntry.objects.count() > 500
    assert set(CreditEntry.objects.values_list("activity", flat=True)) == set(Activity.values)
    statuses = set(CreditEntry.objects.values_list("gift_card_status", flat=True)) - {""}
    assert statuses == set(GiftCardStatus.values)


def test_the_demo_has_token_subscription_and_account_wallets(demo_output):
    wallets = CreditWallet.objects
    assert wallets.filter(credit_type=CreditType.TOKEN).exists()
    assert wallets.filter(subscription__isnull=False, credit_type=CreditType.CURRENCY).exists()
    assert wallets.filter(subscription__isnull=True).exists()


def test_the_demo_ledger_verifies(demo_output):
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)  # raises CommandError on any drift
    assert "no drift" in out.getvalue()


def test_a_second_load_adds_nothing_and_says_so(demo_output):
    before = counts()
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert counts() == before
    assert "Demo accounts already present; left as they are." in out.getvalue()
    assert "Demo credit activity already present; left as it is." in out.getvalue()


# --- One consistent story -------------------------------------------------------------------


def test_every_event_type_of_the_registry_appears(demo_output):
    from activity.registry import REGISTRY

    assert set(ActivityEvent.objects.values_list("type", flat=True).distinct()) == set(REGISTRY)


def test_the_timelines_month_counts_agree_with_the_events(demo_output):
    from activity.verification import count_problems

    assert count_problems() == []


def test_each_account_is_created_once(demo_output):
    from django.db.models import Count

    repeated = (
        ActivityEvent.objects.filter(type="new_customer_created")
        .values("account")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not repeated.exists()


def test_payment_method_events_name_methods_the_account_has(demo_output):
    large = Account.objects.get(customer_number="100000")
    assert (
        not ActivityEvent.objects.filter(account=large, type="new_payment_method")
        .exclude(data__masked_details__in=[str(m) for m in large.payment_methods.all()])
        .exists()
    )


def test_trials_are_recent(demo_output):
    import datetime as dt

    from django.utils import timezone

    from accounts.models import Subscription

    trials = Subscription.objects.filter(status="trial")
    assert trials.exists()
    assert not trials.filter(started_on__lt=timezone.localdate() - dt.timedelta(days=31)).exists()


def test_no_billing_while_a_pause_runs(demo_output):
    for ended in ActivityEvent.objects.filter(type="pause_ended").select_related("subscription"):
        started = (
            ActivityEvent.objects.filter(
                subscription=ended.subscription,
                type="pause_activated",
                occurred_at__lt=ended.occurred_at,
            )
            .order_by("-occurred_at")
            .first()
        )
        assert started is not None
        assert not ActivityEvent.objects.filter(
            subscription=ended.subscription,
            type="subscription_billing_success",
            occurred_at__gt=started.occurred_at,
            occurred_at__lt=ended.occurred_at,
        ).exists()


def test_a_second_load_keeps_a_changed_password(demo_output):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="demo-sales")
    user.set_password("changed-password-123")
    user.save()
    with override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS):
        call_command("load_demo", stdout=io.StringIO())
    request = RequestFactory().post("/login/")  # as the sign-in page calls it (django-axes)
    assert authenticate(request, username="demo-sales", password="changed-password-123")


def test_the_demo_has_a_user_in_another_time_zone_and_saved_views(demo_output):
    from core import savedviews
    from staff.models import Preferences, SavedView

    assert Preferences.objects.get(user__username="demo-sales").time_zone == "America/New_York"
    assert "demo-sales reads times in America/New_York" in demo_output
    views = SavedView.objects.filter(actor__username__startswith="demo-")
    assert {v.page for v in views} == {"recent_activity", "credit_activity"}
    assert views.filter(shared_with__isnull=False).count() == 2
    for view in views:  # each opens with all its filters
        assert savedviews.check_query(savedviews.get(view.page), view.query)[1] == []
    call_command("load_demo", stdout=io.StringIO())
    assert SavedView.objects.filter(actor__username__startswith="demo-").count() == views.count()
