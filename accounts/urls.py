from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.AccountSearchView.as_view(), name="search"),
    path("<key:customer_number>/", views.AccountDetailView.as_view(), name="detail"),
    path("<key:customer_number>/presence/", views.AccountPresenceView.as_view(), name="presence"),
    path("<key:customer_number>/address/", views.AddressUpdateView.as_view(), name="address"),
    path(
        "<key:customer_number>/billing-day/",
        views.BillingDayUpdateView.as_view(),
        name="billing-day",
    ),
    path(
        "<key:customer_number>/payment-methods/<int:pk>/default/",
        views.PaymentMethodDefaultView.as_view(),
        name="payment-method-default",
    ),
    path(
        "<key:customer_number>/access-log/",
        views.AccessLogView.as_view(),
        name="access-log",
    ),
    path(
        "<key:customer_number>/data-export.zip",
        views.CustomerDataExportView.as_view(),
        name="data-export",
    ),
    path(
        "<key:customer_number>/anonymise/",
        views.AnonymiseView.as_view(),
        name="anonymise",
    ),
    path(
        "<key:customer_number>/subscriptions/<key:order_id>/<slug:action>/",
        views.SubscriptionActionView.as_view(),
        name="subscription-action",
    ),
]
