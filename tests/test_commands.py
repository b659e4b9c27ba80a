import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts.models import Account
from activity.models import ActivityEvent
from config.roles import ROLE_PERMISSIONS, sync_roles


@pytest.mark.django_db
def test_sync_roles_gives_each_group_exactly_the_matrix():
    # The session starts with the groups synced: empty them all, so that each must be refilled.
    for group in Group.objects.filter(name__in=ROLE_PERMISSIONS):
        group.permissions.clear()
    sync_roles(strict=True)
    for role, perms in ROLE_PERMISSIONS.items():
        held = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in Group.objects.get(name=role).permissions.select_related("content_type")
        }
        assert held == perms


@pytest.mark.django_db
def test_load_demo_is_idempotent_and_its_users_sign_in(capsys):
    call_command("load_demo")
    counts = (Account.objects.count(), ActivityEvent.objects.count())
    call_command("load_demo")
    assert (Account.objects.count(), ActivityEvent.objects.count()) == counts
    assert counts[0] >= 201
    assert ActivityEvent.objects.filter(account__customer_number="100000").count() >= 20_000
    statuses = set(Account.objects.values_list("subscriptions__status", flat=True))
    assert {"trial", "active", "paused", "cancelled", "expired"} <= statuses
    for username, role in [
        ("demo-admin", "System Administrator"),
        ("demo-service", "Customer Service"),
        ("demo-sales", "Sales Agent"),
        ("demo-finance", "Finance"),
    ]:
        user = authenticate(username=username, password="demo-password")
        assert user is not None
        assert list(user.groups.values_list("name", flat=True)) == [role]
    assert "demo-finance" in capsys.readouterr().out


def test_deploy_check_passes_with_production_settings():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "false",
        "SECRET_KEY": "a-long-production-secret-" + "x" * 40,
        "ALLOWED_HOSTS": "backoffice.example.com",
        "SECURE_SSL_REDIRECT": "true",
        "STATIC_STORAGE": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DEBUG"] = "false"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_test_command_explains_how_to_point_at_a_database_when_none_answers():
    env = {**os.environ, "DATABASE_URL": "postgres://postgres@127.0.0.2:1/backoffice"}
    result = subprocess.run(
        [sys.executable, "-m", "config.dbcheck"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "No PostgreSQL server answers at 127.0.0.2:1" in result.stdout
    assert "DATABASE_URL=postgres://" in result.stdout
