"""Each app offers its own links; the layout shows a user the ones they may open."""

import pytest
from django.contrib.auth.models import Group, Permission

from config.roles import ROLE_PERMISSIONS, ROLES
from core import navigation
from tests.factories import AccountFactory


@pytest.fixture
def account(db):
    return AccountFactory(customer_number="820001")


@pytest.mark.parametrize("role", ROLES)
def test_the_header_shows_the_main_links_the_role_may_open(client, make_user, role):
    client.force_login(make_user(role))
    page = client.get("/accounts/").content.decode()

    for link in navigation.links(navigation.MAIN):
        shown = f">{link.label}</a>" in page
        assert shown == (link.permission in ROLE_PERMISSIONS[role]), link.label


def test_an_account_timeline_offers_legacy_mode_to_those_who_may_read_it(
    client, make_user, account
):
    user = make_user("Customer Service")
    client.force_login(user)
    timeline = f"/accounts/{account.customer_number}/activity/"
    legacy = f'href="/accounts/{account.customer_number}/activity/legacy/"'
    assert legacy in client.get(timeline).content.decode()
    assert legacy in client.get(account.get_absolute_url()).content.decode()

    # The same user without the legacy permission: the timeline stays, the link goes.
    reader = Group.objects.create(name="Timeline only")
    reader.permissions.set(
        Permission.objects.filter(codename__in=["view_account", "view_activityevent"])
    )
    user.groups.set([reader])
    client.force_login(user)
    assert legacy not in client.get(timeline).content.decode()
