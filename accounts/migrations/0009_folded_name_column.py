"""An account's folded name (`backoffice_fold(name)`: unaccented, upper case) kept in a stored
generated column, `name_folded`, with the name search's pg_trgm GIN index on that column instead
of on the expression. A search by a name part (`name__fcontains`, core.lookups) reads each
candidate's stored text in the index's recheck instead of folding its name again: unaccent's
dictionary lookup per name was most of the time of a part that thousands of accounts share.
PostgreSQL computes the column on every insert and update (an erasure's new name included);
the column is not one of the model's fields, since SQLite has no such function."""

from django.db import migrations

TABLE = '"accounts_account"'


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'ALTER TABLE {TABLE} ADD COLUMN "name_folded" text'
        ' GENERATED ALWAYS AS (public.backoffice_fold("name")) STORED'
    )
    schema_editor.execute(
        f'CREATE INDEX "account_name_folded_trgm_idx" ON {TABLE}'
        ' USING gin ("name_folded" gin_trgm_ops)'
    )
    schema_editor.execute('DROP INDEX IF EXISTS "account_name_fold_trgm_idx"')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'CREATE INDEX "account_name_fold_trgm_idx" ON {TABLE}'
        ' USING gin (backoffice_fold("name") gin_trgm_ops)'
    )
    schema_editor.execute('DROP INDEX IF EXISTS "account_name_folded_trgm_idx"')
    schema_editor.execute(f'ALTER TABLE {TABLE} DROP COLUMN "name_folded"')


class Migration(migrations.Migration):
    dependencies = [("accounts", "0008_access_log")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
