from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "activity"
    verbose_name = "Activity"
    # Its part of erasing a customer (core.personal_data).
    erasure = "activity.erasure"
    # Its files in a customer's data export (core.personal_data).
    customer_export = "activity.export"
