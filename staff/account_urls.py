from django.urls import path

from staff import views

app_name = "account"
urlpatterns = [
    path("verify/", views.VerifyView.as_view(), name="verify"),
    path("security/", views.SecurityView.as_view(), name="security"),
    path("security/enrol/", views.EnrolView.as_view(), name="enrol"),
    path("security/recovery-codes/", views.RecoveryCodesView.as_view(), name="recovery-codes"),
    path("security/remove/", views.RemoveView.as_view(), name="remove"),
    path("password/", views.PasswordChangeView.as_view(), name="password"),
]
