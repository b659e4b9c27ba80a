from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "activity"
    verbose_name = "Activity"
    # Its part of erasing a customer (core.personal_data).
    erasure = "activity.erasure"

    def ready(self) -> None:
        from activity.models import ActivityEvent
        from activity.services import forget_months
        from core.partitions import months_dropped

        # A month of events dropped by retention takes its month counts with it.
        months_dropped.connect(forget_months, sender=ActivityEvent, dispatch_uid="activity")
