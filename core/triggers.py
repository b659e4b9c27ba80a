"""The database triggers that keep the records of what happened as they were written
(django-pgtrigger; PostgreSQL only). A record is corrected by a new record, never rewritten;
the one path allowed to change written records is anonymisation, which redacts personal data
in place under `pgtrigger.ignore`."""

import pgtrigger


def append_only() -> pgtrigger.Protect:
    """No UPDATE or DELETE of any row."""
    return pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)


def no_delete() -> pgtrigger.Protect:
    return pgtrigger.Protect(name="no_delete", operation=pgtrigger.Delete)


def no_truncate() -> pgtrigger.Trigger:
    """No TRUNCATE, also not as the cascade of another table's (`TRUNCATE accounts CASCADE`).
    Only `manage.py flush` (tests) may empty the tables (core.postgresql)."""
    return pgtrigger.Trigger(
        name="no_truncate",
        when=pgtrigger.Before,
        operation=pgtrigger.Truncate,
        level=pgtrigger.Statement,
        func="RAISE EXCEPTION 'pgtrigger: Cannot truncate % table', TG_TABLE_NAME; RETURN NULL;",
    )


def written_once(*fields: str, until: pgtrigger.Q) -> pgtrigger.Protect:
    """A row whose `fields` never change, and whose other fields change only until `until`
    (a condition on OLD) says it is finished."""
    condition = until
    for field in fields:
        condition |= pgtrigger.Q(**{f"old__{field}__df": pgtrigger.F(f"new__{field}")})
    return pgtrigger.Protect(name="written_once", operation=pgtrigger.Update, condition=condition)
