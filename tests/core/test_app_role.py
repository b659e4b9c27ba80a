"""The application can run as a database role that owns nothing: such a role reads and writes
rows, and cannot TRUNCATE, drop or disable the triggers, or switch them off for its session."""

import uuid

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def app_role():
    role = f"app_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" LOGIN')
        cursor.execute(
            f'GRANT CONNECT ON DATABASE "{connection.settings_dict["NAME"]}" TO "{role}"'
        )
    try:
        call_command("grant_app_role", role)
        yield role
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')


def connect_as(role):
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        dbname=settings["NAME"],
        user=role,
        autocommit=True,
    )


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE credits_creditentry",
        "TRUNCATE activity_activityevent CASCADE",
        "DROP TRIGGER pgtrigger_append_only_{suffix} ON credits_creditentry",
        "ALTER TABLE credits_creditentry DISABLE TRIGGER ALL",
        "SET session_replication_role = replica",
    ],
)
def test_the_application_role_cannot_undo_the_protection(app_role, statement):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'pgtrigger_append_only_%%' "
            "AND tgrelid = 'credits_creditentry'::regclass"
        )
        (trigger,) = cursor.fetchone()
    sql = statement.format(suffix=trigger.rsplit("_", 1)[1])
    with connect_as(app_role) as app, pytest.raises(psycopg.errors.InsufficientPrivilege):
        app.execute(sql)


def test_the_application_role_reads_and_writes_rows(app_role):
    with connect_as(app_role) as app:
        app.execute("SELECT count(*) FROM credits_creditentry").fetchone()
        app.execute(
            "INSERT INTO accounts_product (name, code, price, currency, period_months, "
            "is_active) VALUES ('Role test', 'role-test', 1, 'SEK', 1, true)"
        )
        app.execute("DELETE FROM accounts_product WHERE code = 'role-test'")
