from django.contrib import admin

from accounts.models import Account, PaymentMethod, Product, Subscription
from core.admin import ReadOnlyAdmin, SafeModelAdmin


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    fk_name = "account"
    fields = ("order_id", "product", "status", "started_on", "next_billing_on")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class PaymentMethodInline(admin.TabularInline):
    model = PaymentMethod
    fields = ("kind", "brand", "masked_details", "expires_on", "is_default")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("customer_number", "name", "email", "city", "country", "status", "created_at")
    list_filter = ("status", "country", "billing_day")
    search_fields = ("customer_number", "name", "email", "subscriptions__order_id")
    date_hierarchy = "created_at"
    inlines = [SubscriptionInline, PaymentMethodInline]
    show_full_result_count = False


@admin.register(Product)
class ProductAdmin(SafeModelAdmin):
    list_display = ("name", "code", "price", "currency", "period_months", "is_active")
    list_filter = ("is_active", "currency")
    search_fields = ("name", "code")

    def has_delete_permission(self, request, obj=None):
        return False  # subscriptions keep pointing at their products


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("order_id", "account", "product", "status", "started_on", "next_billing_on")
    list_filter = ("status", "product")
    search_fields = ("order_id", "account__customer_number", "account__email")
    list_select_related = ("account", "product")
    raw_id_fields = ("account",)


@admin.register(PaymentMethod)
class PaymentMethodAdmin(ReadOnlyAdmin):
    list_display = ("account", "kind", "brand", "masked_details", "is_default")
    list_filter = ("kind", "brand", "is_default")
    search_fields = ("account__customer_number", "account__email")
    list_select_related = ("account",)
