from django.urls import path

from credits import views

app_name = "credits"
urlpatterns = [
    path("activity/", views.CreditActivityView.as_view(), name="activity"),
    path("activity/export.csv", views.CreditActivityExportView.as_view(), name="export"),
    path("exports/", views.ExportsView.as_view(), name="exports"),
    path("exports/<int:pk>/", views.ExportJobView.as_view(), name="export-job"),
    path("exports/<int:pk>/progress/", views.ExportProgressView.as_view(), name="export-progress"),
    path("exports/<int:pk>/file.csv", views.ExportFileView.as_view(), name="export-file"),
    path("balances/", views.CreditBalancesView.as_view(), name="balances"),
    path("balances/export.csv", views.CreditBalancesExportView.as_view(), name="balances-export"),
    path("balances/at/", views.CreditBalancesAtView.as_view(), name="balances-at"),
    path("balances/<key:unit>/", views.CreditBalancesUnitView.as_view(), name="balances-unit"),
    path(
        "balances/<key:unit>/export.csv",
        views.CreditBalancesUnitExportView.as_view(),
        name="balances-unit-export",
    ),
    path("journal/", views.CreditJournalView.as_view(), name="journal"),
    path("journal/export.csv", views.CreditJournalExportView.as_view(), name="journal-export"),
    path("transactions/<key:transaction_id>/", views.TransactionView.as_view(), name="transaction"),
    path("accounts/<key:customer_number>/grant/", views.GrantView.as_view(), name="grant"),
    path("accounts/<key:customer_number>/revoke/", views.RevokeView.as_view(), name="revoke"),
    path("accounts/<key:customer_number>/charge/", views.ChargeView.as_view(), name="charge"),
    path("accounts/<key:customer_number>/refund/", views.RefundView.as_view(), name="refund"),
    path("approvals/", views.ApprovalListView.as_view(), name="approvals"),
    path("approvals/<int:pk>/", views.ApprovalDetailView.as_view(), name="approval"),
    path("requests/", views.OwnRequestsView.as_view(), name="own-requests"),
    path("approvals/<int:pk>/approve/", views.ApproveView.as_view(), name="approve"),
    path("approvals/<int:pk>/reject/", views.RejectView.as_view(), name="reject"),
]
