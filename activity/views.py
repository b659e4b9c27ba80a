from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.generic import FormView, TemplateView

from accounts.selectors import account_get
from activity.filters import ActivityFilter
from activity.forms import CommentForm
from activity.selectors import InvalidCursor, events_for_account, keyset_page
from activity.services import comment_add
from config.replicas import ReplicaReadsMixin
from config.views import safe_next


class RecentActivityView(ReplicaReadsMixin, PermissionRequiredMixin, TemplateView):
    """One account's timeline: filters in the query string, keyset pages of 25."""

    permission_required = "activity.view_activityevent"
    template_name = "activity/recent_activity.html"

    def get_context_data(self, **kwargs):
        account = account_get(customer_number=self.kwargs["customer_number"])
        filterset = ActivityFilter(self.request.GET, queryset=events_for_account(account))
        events = filterset.qs if filterset.is_valid() else events_for_account(account).none()
        cursor = self.request.GET.get("cursor")
        try:
            page = keyset_page(events, cursor)
        except InvalidCursor as exc:
            messages.error(self.request, str(exc))
            page = keyset_page(events, None)
        query = self.request.GET.copy()
        query.pop("cursor", None)
        return super().get_context_data(
            account=account,
            filter=filterset,
            page=page,
            filter_query=query.urlencode(),
            comment_form=CommentForm(),
            **kwargs,
        )


class CommentAddView(PermissionRequiredMixin, FormView):
    permission_required = "activity.add_comment"
    form_class = CommentForm
    http_method_names = ["post"]

    def form_valid(self, form):
        account = account_get(customer_number=self.kwargs["customer_number"])
        try:
            comment_add(actor=self.request.user, account=account, text=form.cleaned_data["comment"])
        except ValidationError as exc:
            messages.error(self.request, " ".join(exc.messages))
        else:
            messages.success(self.request, "Comment added.")
        return redirect(safe_next(self.request, account.get_absolute_url()))

    def form_invalid(self, form):
        account = account_get(customer_number=self.kwargs["customer_number"])
        for errors in form.errors.values():
            messages.error(self.request, "Comment not saved: " + " ".join(errors))
        return redirect(safe_next(self.request, account.get_absolute_url()))
