from django.conf import settings


def site(request):
    """What the layout shows on every page: the signed-in user's roles and the time zone."""
    user = getattr(request, "user", None)
    roles = []
    if user is not None and user.is_authenticated:
        # One small query, cached on the user for the rest of the request.
        if not hasattr(user, "_role_names"):
            user._role_names = list(user.groups.order_by("name").values_list("name", flat=True))
        roles = user._role_names
    return {"user_roles": roles, "site_time_zone": settings.TIME_ZONE}
