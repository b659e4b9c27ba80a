from django.urls import path
from django.views.i18n import JavaScriptCatalog

from staff import views
from staff.middleware import second_factor_exempt

app_name = "account"
urlpatterns = [
    path("verify/", views.VerifyView.as_view(), name="verify"),
    path("security/", views.SecurityView.as_view(), name="security"),
    path("security/enrol/", views.EnrolView.as_view(), name="enrol"),
    path("security/recovery-codes/", views.RecoveryCodesView.as_view(), name="recovery-codes"),
    path("security/remove/", views.RemoveView.as_view(), name="remove"),
    path("password/", views.PasswordChangeView.as_view(), name="password"),
    path("preferences/", views.PreferencesView.as_view(), name="preferences"),
    path("preferences/clock/", views.ClockView.as_view(), name="clock"),
    path("preferences/columns/<slug:page>/", views.ColumnsView.as_view(), name="columns"),
    path("saved-views/", views.SavedViewSaveView.as_view(), name="saved-view-save"),
    path("saved-views/<int:pk>/", views.SavedViewOpenView.as_view(), name="saved-view-open"),
    path(
        "saved-views/<int:pk>/delete/",
        views.SavedViewDeleteView.as_view(),
        name="saved-view-delete",
    ),
    path("security/passkey/code/", views.PasskeyCodeView.as_view(), name="passkey-code"),
    path(
        "security/passkey/register/begin/",
        views.PasskeyRegisterBeginView.as_view(),
        name="passkey-register-begin",
    ),
    path(
        "security/passkey/register/complete/",
        views.PasskeyRegisterCompleteView.as_view(),
        name="passkey-register-complete",
    ),
    path(
        "verify/passkey/begin/", views.PasskeyVerifyBeginView.as_view(), name="passkey-verify-begin"
    ),
    path(
        "verify/passkey/complete/",
        views.PasskeyVerifyCompleteView.as_view(),
        name="passkey-verify-complete",
    ),
    # The texts of django-otp-webauthn's scripts (their `gettext`).
    path(
        "passkey/texts.js",
        second_factor_exempt(JavaScriptCatalog.as_view(packages=["django_otp_webauthn"])),
        name="passkey-texts",
    ),
]
