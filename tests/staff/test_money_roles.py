"""Separation of duties for roles: a money role (Finance, System Administrator) takes two
administrators, nobody changes their own roles, and every refusal is recorded and explained.
Replays the attack of 2026-12-05: an administrator giving themselves, or a puppet, Finance."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.test import RequestFactory
from django.urls import reverse

from config import roles
from core.models import RoleGrant
from staff import services
from staff.context import _request
from staff.models import Kind, StaffEvent
from staff.services.roles import GRANT_FOR_YOU, OWN_GRANT, OWN_ROLES
from tests.signin import VerifiedClient
from tests.staff.activity_scenarios import change_form
from tests.staff.conftest import ADMIN_ADDRESS

pytestmark = pytest.mark.django_db


@pytest.fixture
def bo(make_user):
    """A second administrator."""
    return make_user(roles.SYSTEM_ADMINISTRATOR, username="bo", is_staff=True)


@pytest.fixture
def puppet(make_user):
    return make_user(roles.CUSTOMER_SERVICE, username="puppet")


def group(name):
    return Group.objects.get(name=name)


def held(user):
    return set(user.groups.values_list("name", flat=True))


def test_ticking_finance_asks_for_it_and_gives_it_to_nobody_yet(admin, alva, puppet):
    response = admin.post(
        reverse("admin:auth_user_change", args=[puppet.pk]),
        change_form(puppet, groups=[group(roles.CUSTOMER_SERVICE).pk, group(roles.FINANCE).pk]),
        follow=True,
    )

    assert response.status_code == 200
    assert held(puppet) == {roles.CUSTOMER_SERVICE}
    grant = RoleGrant.objects.get(user=puppet)
    assert (grant.role, grant.state, grant.requested_by) == (roles.FINANCE, "pending", alva)
    notices = [str(m) for m in response.context["messages"]]
    assert any("waits for a second administrator's approval" in n for n in notices)
    assert StaffEvent.objects.filter(kind=Kind.ROLE_GRANT_REQUESTED, subject=puppet).exists()


def test_an_administrator_cannot_change_their_own_roles_in_the_admin(admin, alva):
    url = reverse("admin:auth_user_change", args=[alva.pk])
    response = admin.post(
        url,
        change_form(alva, groups=[group(roles.SYSTEM_ADMINISTRATOR).pk, group(roles.FINANCE).pk]),
    )

    assert response.status_code == 200  # the form again, with the reason
    assert OWN_ROLES in response.content.decode()
    assert held(alva) == {roles.SYSTEM_ADMINISTRATOR}
    assert not RoleGrant.objects.exists()
    refusal = StaffEvent.objects.get(kind=Kind.ROLE_CHANGE_REFUSED)
    assert (refusal.subject, refusal.actor, str(refusal.address)) == (alva, alva, ADMIN_ADDRESS)


def test_nobody_asks_for_their_own_money_role(alva):
    with pytest.raises(ValidationError, match=OWN_ROLES):
        services.role_grant_request(actor=alva, user=alva, role=roles.FINANCE)
    assert StaffEvent.objects.filter(kind=Kind.ROLE_CHANGE_REFUSED, subject=alva).exists()


def test_the_asker_and_the_user_cannot_approve_a_second_administrator_can(alva, bo, puppet):
    grant = services.role_grant_request(actor=alva, user=puppet, role=roles.FINANCE)

    with pytest.raises(ValidationError, match=OWN_GRANT):
        services.role_grant_approve(actor=alva, grant=grant)
    with pytest.raises(ValidationError):  # the puppet is no administrator either
        services.role_grant_approve(actor=puppet, grant=grant)
    assert held(puppet) == {roles.CUSTOMER_SERVICE}

    services.role_grant_approve(actor=bo, grant=grant)

    grant.refresh_from_db()
    assert (grant.state, grant.decided_by, grant.requested_by) == ("approved", bo, alva)
    assert held(puppet) == {roles.CUSTOMER_SERVICE, roles.FINANCE}
    approved = StaffEvent.objects.get(kind=Kind.ROLE_GRANT_APPROVED)
    assert approved.details == {"role": roles.FINANCE, "requested_by": alva.get_full_name()}
    assert StaffEvent.objects.filter(kind=Kind.ROLE_CHANGE_REFUSED, subject=puppet).count() == 2


def test_a_grant_for_an_administrator_is_not_theirs_to_decide(alva, bo):
    grant = services.role_grant_request(actor=alva, user=bo, role=roles.FINANCE)
    with pytest.raises(ValidationError, match=GRANT_FOR_YOU):
        services.role_grant_approve(actor=bo, grant=grant)


def test_a_refused_grant_gives_nothing_and_is_decided_once(alva, bo, puppet):
    grant = services.role_grant_request(actor=alva, user=puppet, role=roles.FINANCE)
    services.role_grant_refuse(actor=bo, grant=grant)

    assert held(puppet) == {roles.CUSTOMER_SERVICE}
    with pytest.raises(ValidationError):
        services.role_grant_approve(actor=bo, grant=grant)


def test_the_grants_page_approves_through_its_action(alva, bo, puppet):
    grant = services.role_grant_request(actor=alva, user=puppet, role=roles.FINANCE)
    client = VerifiedClient(REMOTE_ADDR=ADMIN_ADDRESS)
    client.force_login(bo)

    page = client.get(reverse("admin:core_rolegrant_changelist"))
    assert page.status_code == 200 and "puppet" in page.content.decode()
    client.post(
        reverse("admin:core_rolegrant_changelist"),
        {"action": "approve", "_selected_action": [grant.pk]},
    )

    assert roles.FINANCE in held(puppet)


def test_no_other_path_adds_a_money_role_during_a_persons_request(alva, puppet):
    """The backstop: an added money role that no approved grant carries is refused."""
    request = RequestFactory().post("/anywhere/")
    request.user = alva
    token = _request.set(request)
    try:
        with pytest.raises(PermissionDenied), transaction.atomic():
            puppet.groups.add(group(roles.FINANCE))
        with pytest.raises(PermissionDenied), transaction.atomic():
            group(roles.SYSTEM_ADMINISTRATOR).user_set.add(puppet)
        with pytest.raises(PermissionDenied), transaction.atomic():
            alva.groups.add(group(roles.SALES_AGENT))  # her own roles
        puppet.groups.add(group(roles.SALES_AGENT))  # not a money role: fine
    finally:
        _request.reset(token)
    assert held(puppet) == {roles.CUSTOMER_SERVICE, roles.SALES_AGENT}
