"""`flush` (core/management/commands/flush.py), which empties the database after every
transactional test: it leaves what Django's flush leaves, while it truncates only the tables
that hold rows and keeps the tables post_migrate fills when nothing changed them."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection

from config import roles
from core.postgresql.base import post_migrate_tables
from tests.factories import AccountFactory, ActivityEventFactory, CreditEntryFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.single_node("on a Citus coordinator, flush is Django's own"),
]


def flush() -> None:
    call_command("flush", interactive=False, verbosity=0, reset_sequences=False)


def holding() -> set[str]:
    """The project's tables that hold at least one row."""
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    with connection.cursor() as cursor:
        found = set()
        for table in tables:
            cursor.execute(f"SELECT EXISTS (SELECT FROM {connection.ops.quote_name(table)})")
            if cursor.fetchone()[0]:
                found.add(table)
    return found


def role_permissions() -> dict[str, set[str]]:
    return {
        group.name: {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        for group in Group.objects.prefetch_related("permissions__content_type")
    }


def test_a_flush_leaves_only_what_post_migrate_fills(make_user):
    make_user(roles.FINANCE)
    account = AccountFactory()
    ActivityEventFactory(account=account)
    CreditEntryFactory(wallet__account=account)
    filled = role_permissions()

    flush()

    assert holding() == set(post_migrate_tables())
    assert role_permissions() == filled


def test_tables_post_migrate_filled_stay_when_nothing_changed_them(make_user):
    flush()
    permissions = list(Permission.objects.order_by("pk").values_list("pk", "codename"))
    make_user(roles.CUSTOMER_SERVICE)  # a user in a role group: the group itself is not changed

    flush()

    assert list(Permission.objects.order_by("pk").values_list("pk", "codename")) == permissions
    assert holding() == set(post_migrate_tables())


def test_a_changed_role_group_is_made_again(make_user):
    flush()
    matrix = role_permissions()
    Group.objects.get(name=roles.FINANCE).permissions.clear()
    Group.objects.create(name="Temporary")
    Permission.objects.filter(codename="view_account").delete()

    flush()

    assert role_permissions() == matrix
    assert not Group.objects.filter(name="Temporary").exists()
    assert Permission.objects.filter(codename="view_account").exists()


def test_rows_pointing_at_emptied_tables_go_with_them(make_user):
    """A user's own permission points at a kept permission and at the emptied user: it goes,
    the permission stays."""
    flush()
    user = make_user(None)
    permission = Permission.objects.get(codename="view_account")
    user.user_permissions.add(permission)

    flush()

    assert holding() == set(post_migrate_tables())
    assert Permission.objects.filter(pk=permission.pk).exists()
