"""How the app's database connections are set up."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_queries_are_planned_without_jit_compilation():
    # A plan whose estimate runs high would otherwise spend a page's worth of time compiling.
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
