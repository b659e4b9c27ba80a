from django.urls import path

from staff import views

app_name = "staff"
urlpatterns = [
    path("activity/", views.StaffActivityView.as_view(), name="activity"),
    path("activity/export.csv", views.StaffActivityExportView.as_view(), name="export"),
]
