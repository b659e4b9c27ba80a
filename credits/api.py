"""The ledger's part of the integration API: credit operations, consumption before billing, and
an account's entries.

Adapters only: each write parses the request's shape with its serializer and calls one service
(`credits.services.operations`), which runs the same ledger service as the pages with the
integration's name as the actor label and its keys in the integration's own scope.
"""

import datetime as dt
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import account_get
from core import money
from core.api import (
    ERROR_RESPONSES,
    LIMIT_SCHEMA,
    NOT_FOUND_RESPONSE,
    OffsetDateTimeField,
    ReplicaReadsAPIMixin,
    StrictFieldsMixin,
    WritingAPIMixin,
    keyset_response,
)
from credits import services
from credits.filters import CreditActivityFilter
from credits.models import (
    Activity,
    CreditApproval,
    CreditEntry,
    CreditType,
    GiftCardStatus,
    LotKind,
)
from credits.operations import API_OPERATIONS, api_fields_text
from credits.services.operations import MAX_SCOPED_KEY_LENGTH

# --- Serializers ------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class PlainAmountField(serializers.Field):
    """An amount of the row's unit as a plain decimal string, with the unit's minor units
    (core.money): `-12.50` for SEK, `7` for tokens."""

    def __init__(self, attribute: str, **kwargs: Any) -> None:
        self.attribute = attribute
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, row: Any) -> str:
        return row.unit.plain(getattr(row, self.attribute))


class CreditEntrySerializer(serializers.Serializer):
    """One ledger entry. Amounts are decimal strings with the unit's minor units; signed."""

    id = serializers.IntegerField()
    account = serializers.CharField(source="account.customer_number")
    subscription = serializers.CharField(source="subscription.order_id", allow_null=True)
    credit_type = serializers.ChoiceField(choices=CreditType.choices)
    currency = serializers.CharField(help_text="Empty for tokens.")
    activity = serializers.ChoiceField(choices=Activity.choices)
    amount = PlainAmountField("amount")
    balance_after = PlainAmountField("balance_after")
    transaction_id = serializers.CharField()
    gift_card = serializers.CharField()
    gift_card_status = serializers.CharField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField(default_timezone=dt.UTC, help_text="In UTC.")
    actor = serializers.CharField(source="actor_name")
    approved_by = serializers.CharField(
        source="approved_by_name",
        help_text="Who approved the operation when it was over its requester's limit; else empty.",
    )


class CreditApprovalSerializer(serializers.Serializer):
    """A credit operation over the integration's limits, waiting for a person's approval. It
    runs when approved; a repeat of the request (same idempotency key) tells where it stands."""

    request_id = serializers.IntegerField(source="pk")
    state = serializers.CharField()
    operation = serializers.CharField()
    account = serializers.CharField(source="account.customer_number")
    credit_type = serializers.ChoiceField(choices=CreditType.choices)
    currency = serializers.CharField(help_text="Empty for tokens.")
    amount = serializers.SerializerMethodField()
    requested_at = serializers.DateTimeField(default_timezone=dt.UTC)
    expires_at = serializers.DateTimeField(default_timezone=dt.UTC)

    def get_amount(self, approval: CreditApproval) -> str:
        return money.plain(approval.amount, approval.currency)


class _KeyedRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    idempotency_key = serializers.CharField(
        max_length=MAX_SCOPED_KEY_LENGTH,
        help_text="Your key for this request: a retry with the same key and content returns "
        "the first result and writes nothing; the same key with other content is a conflict.",
    )
    account = serializers.CharField(max_length=20, help_text="The account's customer number.")
    note = serializers.CharField(max_length=services.MAX_NOTE_LENGTH, required=False)
    created_at = OffsetDateTimeField(
        required=False, help_text="When it happened (ISO 8601 with offset); default now."
    )


class CreditOperationSerializer(_KeyedRequestSerializer):
    operation = serializers.ChoiceField(choices=list(API_OPERATIONS))
    amount = serializers.DecimalField(
        max_digits=18,
        decimal_places=4,
        required=False,
        help_text="Positive, as a decimal string: the operation decides the sign.",
    )
    credit_type = serializers.ChoiceField(choices=CreditType.choices, required=False)
    currency = serializers.CharField(max_length=3, required=False, allow_blank=True)
    subscription = serializers.CharField(
        max_length=40, required=False, allow_null=True, help_text="A subscription's order ID."
    )
    transaction_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    gift_card = serializers.CharField(
        max_length=40, required=False, help_text="The gift card's masked number."
    )
    gift_card_status = serializers.ChoiceField(choices=GiftCardStatus.choices, required=False)
    lot_kind = serializers.ChoiceField(
        choices=LotKind.choices,
        required=False,
        help_text="A grant's kind of credit (its lot). Default: paid when the grant names a "
        "transaction (a purchase), else promotional. Draw-downs take promotional and goodwill "
        "credit before paid credit of the same expiry.",
    )
    expires_on = serializers.DateField(
        required=False,
        help_text="A grant's expiry (YYYY-MM-DD, today or later); without it, it does not expire.",
    )


class ApplyCreditsSerializer(_KeyedRequestSerializer):
    amount = serializers.DecimalField(
        max_digits=18, decimal_places=4, help_text="The transaction's total, to bill."
    )
    credit_type = serializers.ChoiceField(choices=CreditType.choices)
    currency = serializers.CharField(max_length=3, required=False, allow_blank=True)
    subscription = serializers.CharField(
        max_length=40, required=False, allow_null=True, help_text="A subscription's order ID."
    )
    transaction_id = serializers.CharField(max_length=64)


class CreditApplicationSerializer(serializers.Serializer):
    transaction_id = serializers.CharField()
    credit_type = serializers.ChoiceField(choices=CreditType.choices)
    currency = serializers.CharField()
    requested = serializers.CharField(help_text="The amount asked for.")
    consumed = serializers.CharField(help_text="Taken from credit.")
    remainder = serializers.CharField(help_text="Left to bill to the payment method.")
    entries = CreditEntrySerializer(many=True)


def _application_data(application: services.CreditApplication) -> dict[str, Any]:
    plain = money.plain
    return {
        "transaction_id": application.transaction_id,
        "credit_type": application.credit_type,
        "currency": application.currency,
        "requested": plain(application.requested, application.currency),
        "consumed": plain(application.consumed, application.currency),
        "remainder": plain(application.remainder, application.currency),
        "entries": application.entries,
    }


# --- Views ------------------------------------------------------------------------------------

REPLAY = "Already done with this idempotency key; nothing new was written."
WAITING = (
    "Over the integration's limits: the operation waits for a person's approval and runs when "
    "approved. Repeat the request (same key) to learn where it stands: 202 while it waits, "
    "200 with the entry once it ran, 409 when it was rejected or expired."
)
CONFLICT_RESPONSE = {
    409: OpenApiResponse(OpenApiTypes.OBJECT, description="Idempotency key used for other content.")
}


class CreditOperationView(WritingAPIMixin, APIView):
    """Perform one credit operation of the registry (credits.operations) for an integration."""

    @extend_schema(
        description=(
            "Grant, revoke or refund credit, or record a gift card's redemption, reversal or"
            " status. Every operation takes `operation`, `idempotency_key`, `account`, and"
            " optionally `note` and `created_at`; beyond those, each takes these fields (a field"
            " an operation does not take is refused):\n\n" + api_fields_text()
        ),
        request=CreditOperationSerializer,
        responses={
            201: CreditEntrySerializer,
            200: OpenApiResponse(CreditEntrySerializer, description=REPLAY),
            202: OpenApiResponse(CreditApprovalSerializer, description=WAITING),
            **CONFLICT_RESPONSE,
            **ERROR_RESPONSES,
        },
    )
    def post(self, request):
        serializer = CreditOperationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.credit_operation_perform(
            actor=request.auth.actor, fields=serializer.validated_data
        )
        if isinstance(entry, CreditApproval):
            return Response(CreditApprovalSerializer(entry).data, status=status.HTTP_202_ACCEPTED)
        return Response(
            CreditEntrySerializer(entry).data,
            status=status.HTTP_200_OK if entry.replayed else status.HTTP_201_CREATED,
        )


class ApplyCreditsView(WritingAPIMixin, APIView):
    """Consume credit toward a transaction before billing it: the subscription's wallet first,
    then the account's. Returns the entries written and the remainder to bill."""

    @extend_schema(
        request=ApplyCreditsSerializer,
        responses={
            201: CreditApplicationSerializer,
            200: OpenApiResponse(CreditApplicationSerializer, description=REPLAY),
            **CONFLICT_RESPONSE,
            **ERROR_RESPONSES,
        },
    )
    def post(self, request):
        serializer = ApplyCreditsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        account, subscription = services.credit_targets(
            account=fields.pop("account"), subscription=fields.pop("subscription", None)
        )
        actor = request.auth.actor
        application = services.apply_credits(
            actor=actor,
            account=account,
            subscription=subscription,
            idempotency_key=actor.scoped_key(fields.pop("idempotency_key")),
            **fields,
        )
        return Response(
            CreditApplicationSerializer(_application_data(application)).data,
            status=status.HTTP_200_OK if application.replayed else status.HTTP_201_CREATED,
        )


class CreditEntryPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The page of older entries.")
    previous = serializers.URLField(allow_null=True, help_text="The page of newer entries.")
    results = CreditEntrySerializer(many=True)


class AccountCreditEntryListView(ReplicaReadsAPIMixin, APIView):
    """An account's credit entries, newest first, with the Credit Activity page's filters."""

    @extend_schema(
        parameters=[
            OpenApiParameter("subscription_id", OpenApiTypes.STR, description="Order ID."),
            OpenApiParameter("subscription_name", OpenApiTypes.STR, description="Product name."),
            OpenApiParameter("created_from", OpenApiTypes.DATE, description="First local day."),
            OpenApiParameter("created_to", OpenApiTypes.DATE, description="Last local day."),
            OpenApiParameter("activity", OpenApiTypes.STR, enum=Activity.values),
            OpenApiParameter("type", OpenApiTypes.STR, enum=CreditType.values),
            OpenApiParameter("account_name", OpenApiTypes.STR),
            OpenApiParameter("account_email", OpenApiTypes.STR),
            OpenApiParameter("cursor", OpenApiTypes.STR, description="From `next`/`previous`."),
            OpenApiParameter("limit", LIMIT_SCHEMA, description="Entries per page."),
        ],
        responses={200: CreditEntryPageSerializer, **ERROR_RESPONSES, **NOT_FOUND_RESPONSE},
    )
    def get(self, request, customer_number):
        account = account_get(customer_number=customer_number)
        entries = CreditEntry.objects.for_account(account).select_related("account", "subscription")
        filterset = CreditActivityFilter(request.query_params, queryset=entries)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return keyset_response(
            request, filterset.qs, time="created_at", serializer=CreditEntrySerializer
        )
