"""The admin site on the same verified session as every other page: `has_permission` also asks
for the second factor (as django-otp's OTPAdminSite does), with the same rule as
staff.middleware — a user with a device must have entered a code; a user whose role requires
one must have one. Installed as the default admin site by `AdminConfig`, in INSTALLED_APPS in
place of django.contrib.admin (staff.apps.AdminConfig)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from staff.services import second_factor_enrolled, second_factor_required


def second_factor_satisfied(user: Any) -> bool:
    """The second-factor rule of every page, for a signed-in user."""
    if getattr(user, "is_verified", None) is not None and user.is_verified():
        return True
    return not second_factor_enrolled(user) and not second_factor_required(user)


class VerifiedAdminSite(admin.AdminSite):
    site_header = "Back-office administration"
    site_title = "Back-office administration"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and second_factor_satisfied(request.user)
