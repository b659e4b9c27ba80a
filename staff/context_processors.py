from typing import Any

from django.http import HttpRequest

from staff.middleware import second_factor_pending


def second_factor(request: HttpRequest) -> dict[str, Any]:
    """`second_factor_pending`: signed in with the password, the code (or the set-up) still to
    come; the layout then shows no links to pages that would not open."""
    return {"second_factor_pending": bool(second_factor_pending(request))}
