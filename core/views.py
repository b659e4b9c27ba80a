"""The base of the back-office's form posts, and what every page's views share."""

import secrets
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from core.downloads import DownloadRecord, recorded


def safe_next(request: HttpRequest, default: str) -> str:
    """The `next` address posted with a form, if it stays on this site; else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# What a refused form said, kept for the page it was posted from to show again (one form at a
# time, read once): a refusal never makes a person type the amount and the reason again.
REFUSED_FORM_KEY = "refused_form"


def remember_refused(request: HttpRequest, prefix: str) -> None:
    """Keep the posted values of the form with `prefix` for the next page."""
    values = {
        key.removeprefix(f"{prefix}-"): value
        for key, value in request.POST.items()
        if key.startswith(f"{prefix}-")
    }
    request.session[REFUSED_FORM_KEY] = {"prefix": prefix, "values": values}


def refused_values(request: Any, prefix: str) -> dict[str, str] | None:
    """The values of the refused form with `prefix`, once (None for any other form)."""
    session = getattr(request, "session", None)
    if session is None:
        return None
    kept = session.get(REFUSED_FORM_KEY)
    if not kept or kept.get("prefix") != prefix:
        return None
    del session[REFUSED_FORM_KEY]
    return dict(kept.get("values") or {})


class ActionView(PermissionRequiredMixin, View):
    """POST-only: parse a form, call one service, go back to the record acted on (its
    `get_absolute_url`) with a message saying what happened or why nothing did.

    Subclasses name the record (`get_object`), the form (`form_class`, or None for a button),
    and the service call (`call`); a service's ValidationError becomes the failure message.
    """

    http_method_names = ["post"]
    form_class: type[forms.BaseForm] | None = None
    form_prefix: str | None = None
    success_message = ""
    failure_message = ""
    object: Any

    def get_object(self) -> Any:
        """The record acted on; the answer goes back to its `get_absolute_url()`."""
        raise NotImplementedError

    def make_form(self, data: Any) -> forms.BaseForm:
        assert self.form_class is not None
        return self.form_class(data, prefix=self.form_prefix)

    def call(self, target: Any, data: dict[str, Any]) -> None:
        raise NotImplementedError

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        target = self.object = self.get_object()
        data: dict[str, Any] = {}
        if self.form_class is not None:
            form = self.make_form(request.POST)
            if not form.is_valid():
                for name, errors in form.errors.items():
                    field = form.fields.get(name)
                    label = (
                        f"{field.label or name.replace('_', ' ').capitalize()}: " if field else ""
                    )
                    text = " ".join(str(error) for error in errors)
                    messages.error(request, f"{self.failure_message} failed: {label}{text}")
                if self.form_prefix:
                    remember_refused(request, self.form_prefix)
                return redirect(target.get_absolute_url())
            data = form.cleaned_data
        try:
            self.call(target, data)
        except ValidationError as exc:
            messages.error(request, f"{self.failure_message} failed: {' '.join(exc.messages)}")
            if self.form_prefix:
                remember_refused(request, self.form_prefix)
        else:
            messages.success(request, self.success_message)
        return redirect(target.get_absolute_url())


class CsvDownloadView(View):
    """A streamed CSV download that is recorded (core.downloads).

    GET checks the request (`refuse`), records the download (`start_record`) and streams the
    file (`rows`), recording its row count when the last row has gone out. HEAD answers the same
    headers after the same checks, without running the export or recording anything.
    """

    file_stem = "download"

    def refuse(self, request: HttpRequest) -> HttpResponse | None:
        """The answer to a request that cannot be served (bad filters), or None."""
        return None

    def rows(self, request: HttpRequest) -> Generator[bytes, None, int]:
        raise NotImplementedError

    def start_record(self, request: HttpRequest) -> DownloadRecord:
        raise NotImplementedError

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        refused = self.refuse(request)
        if refused is not None:
            return refused
        chunks = recorded(self.rows(request), self.start_record(request))
        return csv_download(chunks, stem=self.file_stem)

    def head(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        refused = self.refuse(request)
        if refused is not None:
            return refused
        return csv_download(iter(()), stem=self.file_stem)


class FilteredCsvDownloadView(CsvDownloadView):
    """The CSV of exactly what a list page's filters select (all pages). Bad filters start no
    download: the list page says why. The record keeps the filters as they were typed."""

    filterset_class: Any
    list_url_name = ""

    def base_queryset(self) -> Any:
        raise NotImplementedError

    def list_url(self) -> str:
        """The list page whose filters these are (where bad filters are explained)."""
        return reverse(self.list_url_name)

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.filterset = self.filterset_class(request.GET, queryset=self.base_queryset())

    def refuse(self, request: HttpRequest) -> HttpResponse | None:
        if self.filterset.is_valid():
            return None
        for name, errors in self.filterset.errors.items():
            field = self.filterset.form.fields.get(name)
            label = f"{field.label}: " if field else ""
            messages.error(request, f"Download not started: {label}{' '.join(errors)}")
        return redirect(f"{self.list_url()}?{request.GET.urlencode()}")


MAX_REASON_LENGTH = 1000
CONFIRMATION_EXPIRED = (
    "This confirmation is no longer valid: check what will happen and confirm again."
)
ALREADY_DONE = "Already done: this confirmation was posted before, and nothing was changed now."


class ReasonForm(forms.Form):
    """The confirmation step's own fields: the reason the person must write, and the key made
    when the page was shown (so that posting it twice does the action once)."""

    reason = forms.CharField(
        label="Reason",
        max_length=MAX_REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 50}),
        help_text="Required: it is kept with the record of this action.",
    )
    key = forms.CharField(max_length=40, widget=forms.HiddenInput)


@dataclass(frozen=True)
class Change:
    """One line of a confirmation page: what changes, as it is now and as it will be."""

    label: str
    now: str
    after: str = ""


class ConfirmedActionView(ActionView):
    """An action that cannot be undone, in two steps served without JavaScript.

    GET shows the confirmation page: exactly what will happen (`changes`, from the choices in
    the query string, parsed by `form_class`), a reason to write, and a one-time key. POST does
    it: the choices again, the reason and the key; the service gets the key scoped to the user
    (`idempotency_key`), so a second post of the same page (back button, double click) does
    nothing twice. Every POST answers with a redirect: to the record with the outcome, or back
    to the confirmation page when the reason is missing.
    """

    http_method_names = ["get", "post"]
    template_name = "confirm.html"
    title = ""
    confirm_label = ""
    warning = "This cannot be undone."
    replayed = False

    def changes(self, target: Any, data: dict[str, Any]) -> list[Change]:
        raise NotImplementedError

    def call_confirmed(self, target: Any, data: dict[str, Any], *, reason: str, key: str) -> Any:
        """Run the service; return what it made (its `replayed` says whether it was a repeat)."""
        raise NotImplementedError

    def call(self, target: Any, data: dict[str, Any]) -> None:
        raise NotImplementedError  # a confirmed action runs through `call_confirmed`

    def choices_form(self, data: Any) -> forms.BaseForm | None:
        return self.make_form(data) if self.form_class is not None else None

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        target = self.object = self.get_object()
        form = self.choices_form(request.GET)
        valid = form is None or form.is_valid()
        data = form.cleaned_data if form is not None and valid else {}
        return render(
            request,
            self.template_name,
            {
                "title": self.title,
                "object": target,
                "back_url": target.get_absolute_url(),
                "form": form,
                "valid": valid,
                "changes": self.changes(target, data) if valid else [],
                "warning": self.warning,
                "confirm_label": self.confirm_label,
                "reason_form": ReasonForm(initial={"key": secrets.token_urlsafe(18)}),
            },
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        target = self.object = self.get_object()
        form = self.choices_form(request.POST)
        if form is not None and not form.is_valid():
            return super().post(request, *args, **kwargs)  # the choices' errors, on the record
        reason_form = ReasonForm(request.POST)
        if not reason_form.is_valid():
            if "key" in reason_form.errors:
                messages.error(request, CONFIRMATION_EXPIRED)
            else:
                for error in reason_form.errors.get("reason", []):
                    messages.error(request, f"{self.failure_message} not done: Reason: {error}")
            return redirect(f"{request.path}?{self.choices_query(request.POST)}")
        data = form.cleaned_data if form is not None else {}
        key = f"confirm:{request.user.pk}:{reason_form.cleaned_data['key']}"
        try:
            done = self.call_confirmed(
                target, data, reason=reason_form.cleaned_data["reason"], key=key
            )
        except ValidationError as exc:
            messages.error(request, f"{self.failure_message} failed: {' '.join(exc.messages)}")
        else:
            if getattr(done, "replayed", False):
                messages.info(request, ALREADY_DONE)
            else:
                messages.success(request, self.success_message)
        return redirect(target.get_absolute_url())

    def choices_query(self, posted: QueryDict) -> str:
        """The posted choices as a query string, to show the confirmation page again."""
        query = posted.copy()
        for name in ("csrfmiddlewaretoken", "reason", "key"):
            query.pop(name, None)
        return query.urlencode()


def csv_download(chunks: Iterator[bytes], *, stem: str) -> StreamingHttpResponse:
    """A streamed CSV file named `<stem>-<local date and time>.csv`, never cached."""
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="{stem}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
