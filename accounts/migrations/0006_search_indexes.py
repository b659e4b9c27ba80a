"""Indexes for account search at millions of accounts.

pg_trgm's GIN indexes serve `icontains` (Django writes it as `UPPER(col::text) LIKE UPPER(%s)`,
hence the indexes on UPPER(...)). They exist on PostgreSQL only:
SQLite (`make run`) has no pg_trgm, and a small database needs no index there. They are
created here rather than declared in the models' Meta so that SQLite's table rebuilds, which
recreate every declared index, never meet a GIN index.
"""

import django.db.models.functions.text
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

# (table, index, column): each index is GIN on UPPER(column) with gin_trgm_ops.
TRIGRAM_INDEXES = [
    ("accounts_account", "account_name_trgm_idx", "name"),
    ("accounts_account", "account_email_trgm_idx", "email"),
    ("accounts_product", "product_name_trgm_idx", "name"),
]


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name, column in TRIGRAM_INDEXES:
        schema_editor.execute(
            f'CREATE INDEX "{name}" ON "{table}" USING gin (UPPER("{column}") gin_trgm_ops)'
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, name, _column in TRIGRAM_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_country_field"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes, elidable=False),
        migrations.AddIndex(
            model_name="account",
            index=models.Index(fields=["name", "customer_number"], name="account_name_number_idx"),
        ),
        migrations.AddIndex(
            model_name="account",
            index=models.Index(
                django.db.models.functions.text.Upper("customer_number"),
                name="account_number_upper_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="subscription",
            index=models.Index(
                django.db.models.functions.text.Upper("order_id"),
                name="subscription_order_upper_idx",
            ),
        ),
    ]
