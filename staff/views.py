"""The pages of sign-in security (every signed-in user's own: the code after the password, the
second factor, the password) and the staff activity record (System Administrators)."""

import base64
import json
from collections.abc import Generator
from typing import Any
from urllib.parse import urlencode, urlsplit

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, resolve, reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.views import View
from django.views.generic import TemplateView
from django_filters.views import FilterView
from django_otp import login as otp_login
from django_otp_webauthn import exceptions as passkey_errors
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from core import savedviews
from core.paging import PagedTableMixin
from core.views import FilteredCsvDownloadView, safe_next
from staff import export, services
from staff.context import client_address
from staff.filters import StaffActivityFilter
from staff.forms import CodeForm, EnrolForm, RemoveForm, SavedViewForm, TimeZoneForm
from staff.middleware import (
    SHOW_UTC_KEY,
    enrolment_view,
    remember_preferences,
    second_factor_exempt,
    session_preferences,
)
from staff.models import StaffActivityExport
from staff.selectors import saved_view_visible, staff_activity
from staff.services.second_factor import NOT_A_TOTP_CODE
from staff.tables import StaffEventTable

# The secret of an app being set up, kept in the session until a code confirms it.
PENDING_KEY = "staff_pending_totp_key"
# The enrolment code given for a passkey's set-up, kept until the passkey is registered.
PASSKEY_CODE_KEY = "staff_passkey_enrolment_code"

ENROLLED = (
    "Your authenticator app is set up. Keep the recovery codes below somewhere safe: each "
    "signs you in once if you lose the app."
)
PASSKEY_ENROLLED = (
    "Your passkey is set up: after your password, sign-in asks for it. Keep the recovery codes "
    "below somewhere safe: each signs you in once without the passkey."
)
CODE_ACCEPTED = "Enrolment code accepted: now register your passkey."
REGENERATED = "New recovery codes made: the old ones no longer work."
REMOVED = "Your second factor was removed."
PASSWORD_CHANGED = "Your password was changed. Your other sessions have been signed out."


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@method_decorator(second_factor_exempt, name="dispatch")
class VerifyView(View):
    """After the password: a code from the authenticator app or a recovery code, then on to
    `next` (when it stays on this site)."""

    template_name = "staff/verify.html"

    def _next(self) -> str:
        return safe_next(self.request, reverse("home"))

    def get(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_verified():  # type: ignore[union-attr]
            return redirect(self._next())
        if not services.second_factor_enrolled(request.user):
            return redirect(reverse("account:security"))
        return self._page(CodeForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        if not services.second_factor_enrolled(request.user):
            return redirect(reverse("account:security"))
        form = CodeForm(request.POST)
        if form.is_valid():
            try:
                device = services.second_factor_verify(
                    user=request.user,  # type: ignore[arg-type]
                    token=form.cleaned_data["token"],
                    address=client_address(request),
                )
            except ValidationError as exc:
                form.add_error("token", _error_text(exc))
            else:
                # A new session key for the verified session, as at sign-in.
                request.session.cycle_key()
                otp_login(request, device)
                return redirect(self._next())
        return self._page(form)

    def _page(self, form: CodeForm) -> HttpResponse:
        user: Any = self.request.user
        has_passkey = WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "next": safe_next(self.request, ""),
                "passkey_config": passkey_config(self.request) if has_passkey else None,
            },
        )


@method_decorator(enrolment_view, name="dispatch")
class SecurityView(TemplateView):
    """The user's own second factor: set up an authenticator app (the QR code is drawn here,
    by segno), see and regenerate recovery codes, remove the app."""

    template_name = "staff/security.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user: Any = self.request.user
        context = super().get_context_data(**kwargs)
        enrolled = services.second_factor_enrolled(user)
        needs_code = services.passkey_enrolment_needs_code(user)
        context.update(
            enrolled=enrolled,
            app=services.app_enrolled(user),
            passkeys=services.passkeys(user),
            required=services.second_factor_required(user),
            next=safe_next(self.request, ""),
            passkey_config=passkey_config(self.request),
            passkey_needs_code=needs_code and not self.request.session.get(PASSKEY_CODE_KEY),
        )
        if enrolled:
            context.update(codes=services.recovery_codes(user), remove_form=RemoveForm())
        else:
            key = self.request.session.get(PENDING_KEY) or services.totp_new_key()
            self.request.session[PENDING_KEY] = key
            url = services.totp_config_url(user=user, key=key)
            context.update(
                qr_svg=segno.make(url, error="m").svg_inline(
                    scale=5, dark="#111", light="#fff", title="QR code for your authenticator app"
                ),
                secret=_base32(key),
                enrol_form=EnrolForm(),
            )
        return context


def _base32(key: str) -> str:
    """The secret as an app's "enter a key" field takes it, in groups of four."""
    text = base64.b32encode(bytes.fromhex(key)).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@method_decorator(enrolment_view, name="dispatch")
class EnrolView(View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        form = EnrolForm(request.POST)
        key = request.session.get(PENDING_KEY)
        if not key:
            messages.error(request, "The set-up expired: scan the new QR code below.")
            return redirect(reverse("account:security"))
        if not form.is_valid():
            messages.error(request, f"Set-up failed: {NOT_A_TOTP_CODE}")
            return redirect(reverse("account:security"))
        try:
            device = services.second_factor_enrol(
                user=request.user,  # type: ignore[arg-type]
                key=key,
                token=form.cleaned_data["token"],
                enrolment_code=form.cleaned_data["enrolment_code"],
                address=client_address(request),
            )
        except ValidationError as exc:
            messages.error(request, f"Set-up failed: {_error_text(exc)}")
            return redirect(reverse("account:security"))
        del request.session[PENDING_KEY]
        request.session.cycle_key()
        otp_login(request, device)
        messages.success(request, ENROLLED)
        # The codes are shown on the security page; it offers the way on to `next`.
        target = safe_next(request, "")
        query = f"?{urlencode({'next': target})}" if target else ""
        return redirect(reverse("account:security") + query)


def passkey_config(request: HttpRequest) -> dict[str, Any]:
    """What django-otp-webauthn's scripts read from the page (its `otp_webauthn_config`),
    pointing at this site's passkey addresses."""
    return {
        "autocompleteLoginFieldSelector": None,
        "nextFieldSelector": "input[name='next']",
        "csrfToken": get_token(request),
        "beginRegistrationUrl": reverse("account:passkey-register-begin"),
        "completeRegistrationUrl": reverse("account:passkey-register-complete"),
        "beginAuthenticationUrl": reverse("account:passkey-verify-begin"),
        "completeAuthenticationUrl": reverse("account:passkey-verify-complete"),
    }


@method_decorator(enrolment_view, name="dispatch")
class PasskeyCodeView(View):
    """The enrolment code before a passkey's set-up, for a first second factor that the role
    requires: checked here, used when the passkey is registered."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        code = request.POST.get("enrolment_code", "").strip()
        try:
            services.enrolment_code_check(user=request.user, code=code)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, f"Passkey set-up: {_error_text(exc)}")
        else:
            request.session[PASSKEY_CODE_KEY] = code
            messages.success(request, CODE_ACCEPTED)
        target = safe_next(request, "")
        query = f"?{urlencode({'next': target})}" if target else ""
        return redirect(reverse("account:security") + query)


class EnrolmentCodeNeeded(passkey_errors.OTPWebAuthnApiError):
    status_code = 403
    default_code = "enrolment_code_needed"
    default_detail = services.ENROLMENT_CODE_NEEDED


class PasskeyRegistrationMixin:
    """django-otp-webauthn's registration, held to this site's rule: a user whose role requires
    a second factor and who has none registers a passkey only after giving an enrolment code
    (the library itself asks a user who has one to have verified this session with it)."""

    request: HttpRequest

    def check_can_register(self) -> None:
        user: Any = self.request.user
        if services.passkey_enrolment_needs_code(user):
            code = self.request.session.get(PASSKEY_CODE_KEY, "")
            try:
                services.enrolment_code_check(user=user, code=code)
            except ValidationError:
                raise EnrolmentCodeNeeded() from None


@method_decorator(enrolment_view, name="dispatch")
class PasskeyRegisterBeginView(PasskeyRegistrationMixin, BeginCredentialRegistrationView):
    pass


@method_decorator(enrolment_view, name="dispatch")
class PasskeyRegisterCompleteView(PasskeyRegistrationMixin, CompleteCredentialRegistrationView):
    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        verified_before = self.request.user.is_verified()  # type: ignore[union-attr]
        response: HttpResponse = super().post(*args, **kwargs)
        passkey = WebAuthnCredential.objects.get(pk=json.loads(response.content)["id"])
        try:
            services.passkey_enrol(
                user=self.request.user,  # type: ignore[arg-type]
                passkey=passkey,
                enrolment_code=self.request.session.pop(PASSKEY_CODE_KEY, ""),
                address=client_address(self.request),
            )
        except ValidationError:
            raise EnrolmentCodeNeeded() from None
        if not verified_before:
            # The new passkey verified this session: a new session key, as at sign-in.
            self.request.session.cycle_key()
        messages.success(self.request, PASSKEY_ENROLLED)
        return response


class PasskeyVerifyMixin:
    """A passkey as the second factor only: the password comes first (no passwordless
    sign-in), and the passkey must be the signed-in user's (the library checks that)."""

    request: HttpRequest

    def check_can_authenticate(self) -> None:
        if not self.request.user.is_authenticated:
            raise passkey_errors.PasswordlessLoginDisabled()


@method_decorator(second_factor_exempt, name="dispatch")
class PasskeyVerifyBeginView(PasskeyVerifyMixin, BeginCredentialAuthenticationView):
    pass


@method_decorator(second_factor_exempt, name="dispatch")
class PasskeyVerifyCompleteView(PasskeyVerifyMixin, CompleteCredentialAuthenticationView):
    def complete_auth(self, device: Any) -> None:
        # A new session key for the verified session, as with a code.
        self.request.session.cycle_key()
        otp_login(self.request, device)
        services.second_factor_verified(
            user=device.user, device=device, address=client_address(self.request)
        )

    def get_success_url(self) -> str:
        return safe_next(self.request, reverse("home"))


class RecoveryCodesView(View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            services.recovery_codes_regenerate(
                user=request.user,  # type: ignore[arg-type]
                address=client_address(request),
            )
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, REGENERATED)
        return redirect(reverse("account:security"))


class RemoveView(View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        form = RemoveForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Removal failed: enter your password and a current code.")
            return redirect(reverse("account:security"))
        try:
            services.second_factor_remove(
                user=request.user,  # type: ignore[arg-type]
                password=form.cleaned_data["password"],
                token=form.cleaned_data["token"],
                address=client_address(request),
            )
        except ValidationError as exc:
            messages.error(request, f"Removal failed: {_error_text(exc)}")
        else:
            messages.success(request, REMOVED)
        return redirect(reverse("account:security"))


class PasswordChangeView(auth_views.PasswordChangeView):
    """Every user's own password, checked by AUTH_PASSWORD_VALIDATORS. Django keeps this
    session signed in and signs out the others (their session hash no longer matches)."""

    template_name = "staff/password.html"
    success_url = reverse_lazy("account:security")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, PASSWORD_CHANGED)
        return response


class StaffActivityView(PermissionRequiredMixin, PagedTableMixin, FilterView):
    """Who did what to whose access, newest first, filtered by user, kind and dates."""

    permission_required = "staff.view_staffevent"
    filterset_class = StaffActivityFilter
    table_class = StaffEventTable
    template_name = "staff/activity.html"

    def get_queryset(self) -> Any:
        return staff_activity()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(export_query=query.urlencode(), **kwargs)


class StaffActivityExportView(PermissionRequiredMixin, FilteredCsvDownloadView):
    """The CSV of exactly the filtered rows (all pages), newest first; every download is
    recorded like the ledger's."""

    permission_required = "staff.export_staffevent"
    file_stem = "staff-activity"
    filterset_class = StaffActivityFilter
    list_url_name = "staff:activity"

    def base_queryset(self) -> Any:
        return staff_activity()

    def rows(self, request: HttpRequest) -> Generator[bytes, None, int]:
        return export.csv_rows(self.filterset.qs)

    def start_record(self, request: HttpRequest) -> StaffActivityExport:
        return services.staff_activity_export_start(
            actor=request.user, filters=self.filterset.used_filters()
        )


# --- Each user's own settings: time zone, columns, saved views -------------------------------

TIME_ZONE_SAVED = "Times are now shown in {}."
SHOWING_UTC = "Times are now shown in UTC."
SHOWING_OWN = "Times are now shown in {}, your time zone."
COLUMNS_SAVED = "Your columns on {} are saved."
VIEW_SAVED = "Saved view “{}” saved."
VIEW_DELETED = "Saved view “{}” deleted."
VIEW_NOT_FOUND = "That saved view no longer exists, or it is not shared with you."
UNKNOWN_PAGE = "Saved views are not offered on that page."
VIEW_STALE = "Saved view “{}” opened without the filters that no longer apply: {}"
NOT_SAVED = "Not saved: {}"


def _back(request: HttpRequest) -> str:
    return safe_next(request, reverse("account:preferences"))


class PreferencesView(View):
    """The signed-in user's own settings: the time zone they read times in."""

    template_name = "staff/preferences.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(TimeZoneForm(initial={"time_zone": self._own().time_zone}))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = TimeZoneForm(request.POST)
        if form.is_valid():
            try:
                chosen = services.time_zone_choose(
                    actor=request.user,
                    user=request.user,  # type: ignore[arg-type]
                    time_zone=form.cleaned_data["time_zone"],
                    address=client_address(request),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                remember_preferences(request, chosen)
                request.session.pop(SHOW_UTC_KEY, None)
                messages.success(request, TIME_ZONE_SAVED.format(chosen.zone_name))
                return redirect(reverse("account:preferences"))
        return self._page(form, status=400)

    def _own(self) -> services.Settings:
        return session_preferences(self.request)

    def _page(self, form: TimeZoneForm, status: int = 200) -> HttpResponse:
        own = self._own()
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "zones": services.time_zone_names(),
                "own_zone": own.zone_name,
                "site_zone": settings.TIME_ZONE,
                "errors": [e for errors in form.errors.values() for e in errors],
            },
            status=status,
        )


class ClockView(View):
    """One click between the user's own time zone and UTC (kept for the session)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        if request.POST.get("utc") == "1":
            request.session[SHOW_UTC_KEY] = True
            messages.info(request, SHOWING_UTC)
        else:
            request.session.pop(SHOW_UTC_KEY, None)
            messages.info(request, SHOWING_OWN.format(session_preferences(request).zone_name))
        return redirect(_back(request))


class ColumnsView(View):
    """The columns the user keeps shown on a page that offers a column chooser."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, page: str) -> HttpResponse:
        registered = savedviews.get(page)
        if registered is None or not registered.columns:
            messages.error(request, UNKNOWN_PAGE)
            return redirect(_back(request))
        try:
            chosen = services.columns_choose(
                actor=request.user,
                user=request.user,  # type: ignore[arg-type]
                page=registered.code,
                columns=list(registered.columns),
                shown=request.POST.getlist("columns"),
            )
        except ValidationError as exc:
            messages.error(request, NOT_SAVED.format(_error_text(exc)))
        else:
            remember_preferences(request, chosen)
            messages.success(request, COLUMNS_SAVED.format(registered.label))
        return redirect(_back(request))


class SavedViewSaveView(View):
    """Save the page's current filters under a name (posted from the page's menu)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SavedViewForm(request.POST)
        back = _back(request)
        if not form.is_valid():
            messages.error(request, NOT_SAVED.format(_form_errors(form)))
            return redirect(back)
        data = form.cleaned_data
        page = savedviews.get(data["page"])
        if page is None:
            messages.error(request, UNKNOWN_PAGE)
            return redirect(back)
        query = savedviews.filters_of(QueryDict(data["query"])).urlencode()
        try:
            view = services.saved_view_save(
                actor=request.user,
                page=page.code,
                page_label=page.label,
                name=data["name"],
                query=query,
                shared_with=data["shared_with"],
                address=client_address(request),
            )
        except ValidationError as exc:
            messages.error(request, NOT_SAVED.format(_error_text(exc)))
        else:
            messages.success(request, VIEW_SAVED.format(view.name))
        return redirect(back)


def _form_errors(form: forms.Form) -> str:
    return " ".join(
        f"{form.fields[name].label or name}: {' '.join(str(e) for e in errors)}"
        if name in form.fields
        else ""
        for name, errors in form.errors.items()
    ).strip()


class SavedViewOpenView(View):
    """Open a saved view on the page it was saved on: its filters as they still apply, with a
    message naming those that no longer do (a type that is gone, a date that is not one)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        view = saved_view_visible(request.user, pk)
        page = savedviews.get(view.page) if view is not None else None
        if view is None or page is None:
            messages.error(request, VIEW_NOT_FOUND if view is None else UNKNOWN_PAGE)
            return redirect(safe_next(request, reverse("home")))
        path = self._page_path(request, page)
        if path is None:
            messages.error(request, UNKNOWN_PAGE)
            return redirect(reverse("home"))
        query, problems = savedviews.check_query(page, view.query)
        if problems:
            messages.warning(request, VIEW_STALE.format(view.name, " ".join(problems)))
        return redirect(f"{path}?{query}" if query else path)

    @staticmethod
    def _page_path(request: HttpRequest, page: savedviews.Page) -> str | None:
        """The page to open the view on: `next` when it is that page (an account's timeline
        names the account), else the page's own address when it takes no arguments."""
        target = safe_next(request, "")
        path = urlsplit(target).path
        if path:
            try:
                if resolve(path).view_name == page.url_name:
                    return path
            except Http404:
                pass
        try:
            return reverse(page.url_name)
        except NoReverseMatch:
            return None


class SavedViewDeleteView(View):
    """Delete one of one's own saved views."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        view = saved_view_visible(request.user, pk)
        page = savedviews.get(view.page) if view is not None else None
        if view is None:
            messages.error(request, VIEW_NOT_FOUND)
            return redirect(_back(request))
        try:
            services.saved_view_delete(
                actor=request.user,
                view=view,
                page_label=page.label if page else view.page,
                address=client_address(request),
            )
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, VIEW_DELETED.format(view.name))
        return redirect(_back(request))
