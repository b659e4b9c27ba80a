"""Credit Activity downloads too large to stream: asking for one, its status page (with the
progress its page polls), its file, and the user's recent ones.

Every address here is the user's own: another user's download answers 404, whoever asks."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from credits import services, tasks
from credits.filters import CreditActivityFilter
from credits.models import ExportState
from credits.selectors import credit_activity, own_export_job, own_export_jobs
from credits.tables import ExportJobTable

RECENT = 20
NOT_READY = "This file is not ready yet."
EXPORT_NOT_STARTED = "Export not started"


class ExportsView(PermissionRequiredMixin, View):
    """GET: the user's recent background downloads. POST (the filters of Credit Activity, and
    `sort`): ask for one, and go to its status page."""

    permission_required = "credits.export_credit_activity"
    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest) -> HttpResponse:
        table = ExportJobTable(own_export_jobs(user=request.user)[:RECENT])
        return render(request, "credits/exports.html", {"table": table})

    def post(self, request: HttpRequest) -> HttpResponse:
        filterset = CreditActivityFilter(request.POST, queryset=credit_activity())
        if not filterset.is_valid():
            for name, errors in filterset.errors.items():
                field = filterset.form.fields.get(name)
                label = f"{field.label}: " if field else ""
                messages.error(request, f"{EXPORT_NOT_STARTED}: {label}{' '.join(errors)}")
            return redirect(reverse("credits:activity"))
        job = services.credit_export_job_start(
            actor=request.user,
            filters=filterset.used_filters(),
            time_zone=timezone.get_current_timezone_name(),
            oldest_first=request.POST.get("sort") == "created_at",
        )
        tasks.export_enqueue(job)
        return redirect(job)


class ExportJobView(PermissionRequiredMixin, View):
    """A background download's status page: its progress (which the page's script keeps up to
    date from `progress/`), then its file, or why there is none."""

    permission_required = "credits.export_credit_activity"
    template_name = "credits/export_job.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = own_export_job(user=request.user, pk=pk)
        return render(request, self.template_name, {"job": job})


class ExportProgressView(ExportJobView):
    """The status part of the page alone, for its script to swap in."""

    template_name = "credits/_export_status.html"


class ExportFileView(PermissionRequiredMixin, View):
    """The finished file, to the user who asked for it, until it expires."""

    permission_required = "credits.export_credit_activity"

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        job = own_export_job(user=request.user, pk=pk)
        if job.state == ExportState.READY and job.expires_at and job.expires_at <= timezone.now():
            # Its time is up, though the watch has not removed it yet.
            services.credit_export_jobs_expire()
            job.refresh_from_db()
        if job.state != ExportState.READY:
            messages.error(request, job.error if job.state == ExportState.EXPIRED else NOT_READY)
            return redirect(job)
        # Named as the streamed file is, after the time it was asked for.
        stamp = timezone.localtime(job.record.created_at).strftime("%Y-%m-%d-%H%M%S")
        response = FileResponse(
            services.credit_export_job_file(job=job),
            as_attachment=True,
            filename=f"credit-activity-{stamp}.csv",
            content_type="text/csv; charset=utf-8",
        )
        response["Cache-Control"] = "no-store"
        return response
