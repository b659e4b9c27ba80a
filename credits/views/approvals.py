"""Requests for approval: the list, one request's page, and the approver's decisions."""

from typing import Any

from django.conf import settings
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.views.generic import TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from core.paging import PagedTableMixin
from core.views import ActionView
from credits import forms, services
from credits.filters import CreditApprovalFilter
from credits.models import ApprovalState
from credits.operations import OPERATIONS
from credits.selectors import credit_approval, credit_approvals, own_requests
from credits.tables import CreditApprovalTable, OwnRequestTable


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


def may_ask(user: Any) -> bool:
    """Whether `user` may ask for any credit operation (and so has requests of their own)."""
    return any(user.has_perm(operation.permission) for operation in OPERATIONS)


class OwnRequestsView(PermissionRequiredMixin, PagedTableMixin, SingleTableMixin, TemplateView):
    """The signed-in user's own requests for approval, newest first, each with its state and
    who decided: the requester follows what they asked for here."""

    table_class = OwnRequestTable
    template_name = "credits/own_requests.html"

    def has_permission(self) -> bool:
        return may_ask(self.request.user)

    def get_table_data(self) -> Any:
        return own_requests(self.request.user)


class ApprovalDetailView(PermissionRequiredMixin, TemplateView):
    """One request: what it would do, who asked and why, and the decision (or its forms). An
    approver opens any; the requester opens their own."""

    permission_required = "credits.approve_credit"
    template_name = "credits/approval.html"

    def has_permission(self) -> bool:
        self.approval = credit_approval(pk=self.kwargs["pk"])
        own = self.approval.actor_id is not None and self.approval.actor_id == self.request.user.pk
        return own or super().has_permission()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        approval = self.approval
        own = approval.actor_id == self.request.user.pk
        may_decide = self.request.user.has_perm(self.permission_required)
        decidable = (
            may_decide
            and approval.state == ApprovalState.PENDING
            and not approval.overdue
            and not own
        )
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
