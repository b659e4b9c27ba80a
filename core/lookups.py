"""`fcontains`: a text contains another, whatever their case and accents (`Lövgren`, `LOVGREN`
and `lovgren` match one another), as staff type names.

On PostgreSQL both sides go through `backoffice_fold` (unaccent, then upper case: an immutable
function made by migration accounts 0007), and a pg_trgm GIN index on `backoffice_fold(name)`
serves it as the old index on `UPPER(name)` served `icontains`. SQLite (the `make run` demo) has
no unaccent: there it ignores case only, as `icontains` did.
"""

from typing import Any

from django.db.models import CharField, TextField
from django.db.models.lookups import Contains

FOLD = "backoffice_fold"


class FoldedContains(Contains):
    lookup_name = "fcontains"

    def _fold(self, connection: Any) -> str:
        return FOLD if connection.vendor == "postgresql" else "UPPER"

    def process_lhs(self, compiler: Any, connection: Any, lhs: Any = None) -> tuple[str, Any]:
        sql, params = super().process_lhs(compiler, connection, lhs)
        return f"{self._fold(connection)}({sql})", params

    def get_rhs_op(self, connection: Any, rhs: str) -> str:
        op: str = connection.operators["contains"] % f"{self._fold(connection)}({rhs})"
        return op


CharField.register_lookup(FoldedContains)
TextField.register_lookup(FoldedContains)
