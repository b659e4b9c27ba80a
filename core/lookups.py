"""`fcontains`: a text contains another, whatever their case and accents (`Lövgren`, `LOVGREN`
and `lovgren` match one another), as staff type names.

On PostgreSQL both sides go through `backoffice_fold` (unaccent, then upper case: an immutable
function made by migration accounts 0007), and a pg_trgm GIN index on the folded text serves
it as the old index on `UPPER(name)` served `icontains`. A column whose folded text the table
keeps in a stored generated column (`STORED_FOLDS`) is compared through that column: the
index's recheck then reads the stored text instead of folding every candidate again. SQLite
(the `make run` demo) has no unaccent: there it ignores case only, as `icontains` did.
"""

from typing import Any

from django.db.models import CharField, TextField
from django.db.models.expressions import Col
from django.db.models.lookups import Contains

FOLD = "backoffice_fold"

# (table, column) -> the stored generated column that holds `backoffice_fold(column)`, made by
# a migration on PostgreSQL only (not a model field: SQLite has no such function).
STORED_FOLDS = {("accounts_account", "name"): "name_folded"}


class FoldedContains(Contains):
    lookup_name = "fcontains"

    def _fold(self, connection: Any) -> str:
        return FOLD if connection.vendor == "postgresql" else "UPPER"

    def process_lhs(self, compiler: Any, connection: Any, lhs: Any = None) -> tuple[str, Any]:
        column = lhs if lhs is not None else self.lhs
        if connection.vendor == "postgresql" and isinstance(column, Col):
            stored = STORED_FOLDS.get((column.target.model._meta.db_table, column.target.column))
            if stored is not None:
                quote = compiler.quote_name_unless_alias
                return f"{quote(column.alias)}.{quote(stored)}", []
        sql, params = super().process_lhs(compiler, connection, lhs)
        return f"{self._fold(connection)}({sql})", params

    def get_rhs_op(self, connection: Any, rhs: str) -> str:
        op: str = connection.operators["contains"] % f"{self._fold(connection)}({rhs})"
        return op


CharField.register_lookup(FoldedContains)
TextField.register_lookup(FoldedContains)
