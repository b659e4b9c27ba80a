from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class StaffConfig(AppConfig):
    """Staff activity and sign-in security: lockout (django-axes), the second factor
    (django-otp), session lifetime, and the record of who did what to whose access."""

    name = "staff"
    verbose_name = "Staff activity and sign-in"
    default_auto_field = "django.db.models.BigAutoField"
    # Its note under the demo logins (manage.py load_demo).
    demo = "staff.demo"

    def ready(self) -> None:
        from core import navigation
        from staff import signals

        signals.connect()
        navigation.register(
            navigation.Link("Staff activity", "staff:activity", "staff.view_staffevent"),
            navigation.Link("Preferences", "account:preferences", "", place=navigation.ACCOUNT),
            navigation.Link("Security", "account:security", "", place=navigation.ACCOUNT),
        )


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the verified admin site (staff.sites) as `admin.site`."""

    default = False
    default_site = "staff.sites.VerifiedAdminSite"
