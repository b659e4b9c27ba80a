"""The base of the back-office's form posts, and what every page's views share."""

from collections.abc import Generator, Iterator
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from config.downloads import DownloadRecord, recorded


def safe_next(request: HttpRequest, default: str) -> str:
    """The `next` address posted with a form, if it stays on this site; else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


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
                return redirect(target.get_absolute_url())
            data = form.cleaned_data
        try:
            self.call(target, data)
        except ValidationError as exc:
            messages.error(request, f"{self.failure_message} failed: {' '.join(exc.messages)}")
        else:
            messages.success(request, self.success_message)
        return redirect(target.get_absolute_url())


class CsvDownloadView(View):
    """A streamed CSV download that is recorded (config.downloads).

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
        return redirect(f"{reverse(self.list_url_name)}?{request.GET.urlencode()}")


def csv_download(chunks: Iterator[bytes], *, stem: str) -> StreamingHttpResponse:
    """A streamed CSV file named `<stem>-<local date and time>.csv`, never cached."""
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="{stem}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


CSRF_FAILED = (
    "This form could not be sent: it was open too long, or it did not come from this site. "
    "Nothing was changed. Go back, reload the page and try again."
)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a page in the site's layout that says what happened (Django's own
    carries inline style, which the Content-Security-Policy refuses)."""
    return render(request, "403_csrf.html", {"message": CSRF_FAILED}, status=403)
