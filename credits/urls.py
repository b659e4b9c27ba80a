from django.urls import path

from credits import views

app_name = "credits"
urlpatterns = [
    path("activity/", views.CreditActivityView.as_view(), name="activity"),
    path("activity/export.csv", views.CreditActivityExportView.as_view(), name="export"),
    path("transactions/<str:transaction_id>/", views.TransactionView.as_view(), name="transaction"),
    path("accounts/<str:customer_number>/grant/", views.GrantView.as_view(), name="grant"),
    path("accounts/<str:customer_number>/revoke/", views.RevokeView.as_view(), name="revoke"),
    path("accounts/<str:customer_number>/charge/", views.ChargeView.as_view(), name="charge"),
    path("accounts/<str:customer_number>/refund/", views.RefundView.as_view(), name="refund"),
]
