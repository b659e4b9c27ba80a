from django.conf import settings

from config.roles import role_names


def site(request):
    """What the layout shows on every page: the signed-in user's roles and the time zone."""
    user = getattr(request, "user", None)
    roles = []
    if user is not None and user.is_authenticated:
        roles = role_names(user)
    return {"user_roles": roles, "site_time_zone": settings.TIME_ZONE}
