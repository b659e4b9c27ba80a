from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"
    # Its part of erasing a customer (core.personal_data): the access log's filters.
    erasure = "accounts.erasure"
    # Its files in a customer's data export (core.personal_data).
    customer_export = "accounts.export"
    # Loaded by `manage.py load_demo`, in the order of INSTALLED_APPS.
    demo = "accounts.demo"

    def ready(self) -> None:
        from core import navigation

        navigation.register(navigation.Link("Accounts", "accounts:search", "accounts.view_account"))
