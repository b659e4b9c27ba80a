from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "activity"
    verbose_name = "Activity"
    # Its part of erasing a customer (core.personal_data).
    erasure = "activity.erasure"

    def ready(self) -> None:
        from activity.filters import ActivityFilter
        from core import savedviews

        # Recent Activity's filters can be saved under a name (staff keeps the views).
        savedviews.register(
            savedviews.Page("recent_activity", "Recent Activity", "activity:recent", ActivityFilter)
        )
