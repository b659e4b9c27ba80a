"""The authentication backend: a user's permissions and roles in one query a request, the same
answers as Django's ModelBackend, and nothing kept from one request to the next."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission

from core.authentication import RoleBackend
from core.roles import Role, user_roles

pytestmark = pytest.mark.django_db


def fresh(user):
    """The user as the next request loads it (no per-request caches)."""
    return get_user_model().objects.get(pk=user.pk)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_has_the_permissions_djangos_backend_gives(make_user, role):
    user = make_user(role.value)
    assert RoleBackend().get_all_permissions(fresh(user)) == ModelBackend().get_all_permissions(
        fresh(user)
    )
    assert RoleBackend().get_group_permissions(fresh(user))


def test_permissions_and_roles_cost_one_query(make_user, django_assert_num_queries):
    user = fresh(make_user(Role.FINANCE.value))
    with django_assert_num_queries(1):
        assert user.has_perm("credits.view_credit_activity")
        assert not user.has_perm("auth.delete_user")
        assert user_roles(user) == (Role.FINANCE,)


def test_a_users_own_permission_counts_and_is_told_apart(make_user):
    user = make_user(Role.CUSTOMER_SERVICE.value)
    own = Permission.objects.get(content_type__app_label="auth", codename="delete_group")
    user.user_permissions.add(own)

    backend = RoleBackend()
    assert backend.get_user_permissions(fresh(user)) == {"auth.delete_group"}
    assert "auth.delete_group" not in backend.get_group_permissions(fresh(user))
    assert fresh(user).has_perm("auth.delete_group")


def test_a_role_taken_away_applies_on_the_next_request(make_user):
    user = make_user(Role.FINANCE.value)
    assert fresh(user).has_perm("credits.view_credit_activity")

    user.groups.remove(Group.objects.get(name=Role.FINANCE.value))

    again = fresh(user)
    assert not again.has_perm("credits.view_credit_activity")
    assert user_roles(again) == ()


def test_inactive_users_have_none_and_superusers_all(make_user):
    inactive = make_user(Role.FINANCE.value, is_active=False)
    assert RoleBackend().get_all_permissions(fresh(inactive)) == set()

    superuser = make_user(None, is_superuser=True)
    assert fresh(superuser).has_perm("credits.view_credit_activity")
