from django.urls import path

from legacy_history import views

app_name = "legacy_history"
urlpatterns = [
    path("", views.LegacyModeView.as_view(), name="legacy"),
    path("export.csv", views.LegacyExportView.as_view(), name="export"),
]
