"""Requests for approval: the list, one request's page, and the approver's decisions."""

from typing import Any

from django.conf import settings
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.views.generic import TemplateView
from django_filters.views import FilterView

from core.paging import PagedTableMixin
from core.views import ActionView
from credits import forms, services
from credits.filters import CreditApprovalFilter
from credits.models import ApprovalState
from credits.selectors import credit_approval, credit_approvals
from credits.tables import CreditApprovalTable


class ApprovalListView(PermissionRequiredMixin, PagedTableMixin, FilterView):
    """Requests for approval; what waits for a decision unless another state is chosen."""

    permission_required = "credits.approve_credit"
    filterset_class = CreditApprovalFilter
    table_class = CreditApprovalTable
    template_name = "credits/approvals.html"

    def get_queryset(self) -> Any:
        return credit_approvals()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(expiry_days=settings.APPROVAL_EXPIRY_DAYS, **kwargs)

    def get_filterset_kwargs(self, filterset_class: Any) -> dict[str, Any]:
        kwargs = super().get_filterset_kwargs(filterset_class)
        if "state" not in self.request.GET:
            data = self.request.GET.copy()
            data["state"] = ApprovalState.PENDING
            kwargs["data"] = data
        return kwargs


class ApprovalDetailView(PermissionRequiredMixin, TemplateView):
    """One request: what it would do, who asked and why, and the decision (or its forms)."""

    permission_required = "credits.approve_credit"
    template_name = "credits/approval.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        approval = credit_approval(pk=self.kwargs["pk"])
        own = approval.actor_id == self.request.user.pk
        decidable = approval.state == ApprovalState.PENDING and not approval.overdue and not own
        return super().get_context_data(
            approval=approval,
            own=own,
            decidable=decidable,
            reject_form=forms.RejectForm(prefix="reject"),
            **kwargs,
        )


class ApprovalActionView(ActionView):
    """A decision on a request, posted from its page; back to the page with the outcome."""

    permission_required = "credits.approve_credit"

    def get_object(self) -> Any:
        return credit_approval(pk=self.kwargs["pk"])


class ApproveView(ApprovalActionView):
    failure_message = "Approval"

    def call(self, target: Any, data: dict[str, Any]) -> None:
        approval = services.approval_approve(actor=self.request.user, approval=target)
        self.success_message = (
            f"Approved: the {approval.get_operation_display().lower()} of "
            f"{approval.described_amount} for {approval.actor_name} ran now."
        )


class RejectView(ApprovalActionView):
    form_class = forms.RejectForm
    form_prefix = "reject"
    failure_message = "Rejection"
    success_message = "Rejected: nothing was changed, and the requester can read your reason."

    def call(self, target: Any, data: dict[str, Any]) -> None:
        services.approval_reject(actor=self.request.user, approval=target, reason=data["reason"])
