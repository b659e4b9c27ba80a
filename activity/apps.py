from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "activity"
    verbose_name = "Activity"
    # Its part of erasing a customer (core.personal_data).
    erasure = "activity.erasure"
    # Its files in a customer's data export (core.personal_data).
    customer_export = "activity.export"

    def ready(self) -> None:
        from activity.filters import ActivityFilter
        from activity.models import ActivityEvent
        from activity.services import forget_months
        from core import savedviews
        from core.partitions import months_dropped

        # Recent Activity's filters can be saved under a name (staff keeps the views).
        savedviews.register(
            savedviews.Page("recent_activity", "Recent Activity", "activity:recent", ActivityFilter)
        )
        # A month of events dropped by retention takes its month counts with it.
        months_dropped.connect(forget_months, sender=ActivityEvent, dispatch_uid="activity")
