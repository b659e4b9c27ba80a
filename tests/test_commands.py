import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command

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
        [sys.executable, "scripts/dbcheck.py"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "No PostgreSQL server answers at 127.0.0.2:1" in result.stdout
    assert "DATABASE_URL=postgres://" in result.stdout


@pytest.mark.django_db
def test_migrate_gives_the_role_groups_the_matrix(capsys):
    for group in Group.objects.all():
        group.permissions.clear()

    call_command("migrate", verbosity=0)

    for role, perms in ROLE_PERMISSIONS.items():
        held = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in Group.objects.get(name=role).permissions.select_related("content_type")
        }
        assert held == perms
