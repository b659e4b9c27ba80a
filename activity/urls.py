from django.urls import path

from activity import views

app_name = "activity"
urlpatterns = [
    path("", views.RecentActivityView.as_view(), name="recent"),
    path("comment/", views.CommentAddView.as_view(), name="comment"),
    path("new", views.NewActivityView.as_view(), name="new"),
    path("export.csv", views.ActivityExportView.as_view(), name="export"),
]
