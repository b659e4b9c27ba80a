"""The ledger's part of the integration API: credit operations, consumption before billing, and
an account's entries.

Every write calls the same service as the pages (`credits.services`), with the integration's
name as the actor label. Idempotency keys are the integration's own: they are stored prefixed
with the integration's ID, so that two integrations that happen to pick the same key never
replay (or block) each other's operations.
"""

import datetime as dt

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Account, Subscription
from accounts.selectors import account_get
from config.api import (
    ERROR_RESPONSES,
    LIMIT_SCHEMA,
    MAX_PAGE_SIZE,
    NOT_FOUND_RESPONSE,
    ApiConflict,
    OffsetDateTimeField,
    StrictFieldsMixin,
    page_size,
)
from credits import money, services
from credits.filters import CreditActivityFilter
from credits.models import Activity, CreditEntry, CreditOperation, CreditType, GiftCardStatus

MAX_API_KEY_LENGTH = 80  # leaves room for the integration's prefix within the stored 100

NO_ACCOUNT = "No account with customer number “{}”."
NO_SUBSCRIPTION = "No subscription with order ID “{}”."
NOT_USED = "Not used by this operation."
INVALID_CURSOR = "This cursor is not valid: use a `next` or `previous` link as it was given."


class Operation:
    GRANT = "grant"
    REVOKE = "revoke"
    REFUND = "refund"
    GIFT_CARD_REDEMPTION = "gift_card_redemption"
    GIFT_CARD_REVERSAL = "gift_card_reversal"
    GIFT_CARD_STATUS_INQUIRY = "gift_card_status_inquiry"


# Per operation: its service, the fields it requires and the optional ones it takes.
_COMMON = {"operation", "idempotency_key", "account", "note", "created_at"}
OPERATIONS = {
    Operation.GRANT: (
        services.credit_grant,
        {"amount", "credit_type"},
        {"currency", "subscription", "transaction_id"},
    ),
    Operation.REVOKE: (
        services.credit_revoke,
        {"amount", "credit_type"},
        {"currency", "subscription"},
    ),
    Operation.REFUND: (
        services.credit_refund,
        {"amount", "credit_type", "transaction_id"},
        {"currency", "subscription"},
    ),
    Operation.GIFT_CARD_REDEMPTION: (
        services.gift_card_redeem,
        {"amount", "currency", "gift_card"},
        {"transaction_id"},
    ),
    Operation.GIFT_CARD_REVERSAL: (
        services.gift_card_reverse,
        {"amount", "currency", "gift_card"},
        {"transaction_id"},
    ),
    Operation.GIFT_CARD_STATUS_INQUIRY: (
        services.gift_card_status_inquiry,
        {"currency", "gift_card", "gift_card_status"},
        {"transaction_id"},
    ),
}


# --- Serializers ------------------------------------------------------------------------------


class CreditEntrySerializer(serializers.Serializer):
    """One ledger entry. Amounts are decimal strings with the unit's minor units; signed."""

    id = serializers.IntegerField()
    account = serializers.CharField(source="account.customer_number")
    subscription = serializers.CharField(source="subscription.order_id", allow_null=True)
    credit_type = serializers.ChoiceField(choices=CreditType.choices)
    currency = serializers.CharField(help_text="Empty for tokens.")
    activity = serializers.ChoiceField(choices=Activity.choices)
    amount = serializers.CharField(source="display_amount")
    balance_after = serializers.CharField(source="display_balance")
    transaction_id = serializers.CharField()
    gift_card = serializers.CharField()
    gift_card_status = serializers.CharField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField(default_timezone=dt.UTC, help_text="In UTC.")
    actor = serializers.CharField(source="actor_name")


class _KeyedRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    idempotency_key = serializers.CharField(
        max_length=MAX_API_KEY_LENGTH,
        help_text="Your key for this request: a retry with the same key and content returns "
        "the first result and writes nothing; the same key with other content is a conflict.",
    )
    account = serializers.CharField(max_length=20, help_text="The account's customer number.")
    note = serializers.CharField(max_length=services.MAX_NOTE_LENGTH, required=False)
    created_at = OffsetDateTimeField(
        required=False, help_text="When it happened (ISO 8601 with offset); default now."
    )


class CreditOperationSerializer(_KeyedRequestSerializer):
    operation = serializers.ChoiceField(choices=list(OPERATIONS))
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

    def validate(self, data):
        _, required, optional = OPERATIONS[data["operation"]]
        errors = {
            name: [serializers.Field.default_error_messages["required"]]
            for name in sorted(required - set(data))
        }
        errors |= {name: [NOT_USED] for name in sorted(set(data) - required - optional - _COMMON)}
        if errors:
            raise ValidationError(errors)
        return data


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


# --- Calling the services ---------------------------------------------------------------------


def _stored_key(integration, key: str) -> str:
    return f"api-{integration.pk}:{key}"


def _targets(data) -> tuple[Account, Subscription | None]:
    """The account and subscription named by customer number and order ID, or a 400."""
    try:
        account = Account.objects.get(customer_number=data["account"])
    except Account.DoesNotExist:
        raise ValidationError({"account": [NO_ACCOUNT.format(data["account"])]}) from None
    order = data.get("subscription")
    if not order:
        return account, None
    try:
        subscription = Subscription.objects.select_related("product").get(order_id=order)
    except Subscription.DoesNotExist:
        raise ValidationError({"subscription": [NO_SUBSCRIPTION.format(order)]}) from None
    return account, subscription


def _call(service, *, key: str, **kwargs):
    """Call a ledger service; its refusals become 400s naming the field, a reused key a 409.

    Returns (result, replayed): whether the key had already been used for this request.
    """
    replayed = CreditOperation.objects.filter(key=key).exists()
    try:
        return service(idempotency_key=key, **kwargs), replayed
    except DjangoValidationError as exc:
        errors = exc.message_dict
        if errors.get("idempotency_key") == [services.KEY_REUSED]:
            raise ApiConflict({"idempotency_key": [services.KEY_REUSED]}) from exc
        raise ValidationError(errors) from exc


def credit_operation_perform(*, integration, data: dict):
    """Run one credit operation (validated by CreditOperationSerializer) for an integration."""
    service, required, optional = OPERATIONS[data["operation"]]
    account, subscription = _targets(data)
    kwargs = {
        name: data[name]
        for name in (required | optional | {"note", "created_at"}) - {"subscription"}
        if name in data
    }
    if "subscription" in required | optional:
        kwargs["subscription"] = subscription
    if data["operation"] == Operation.GIFT_CARD_STATUS_INQUIRY:
        kwargs["status"] = kwargs.pop("gift_card_status")
    return _call(
        service,
        key=_stored_key(integration, data["idempotency_key"]),
        actor=None,
        actor_label=integration.name,
        account=account,
        **kwargs,
    )


def credits_apply(*, integration, data: dict):
    """Consume credit before billing (validated by ApplyCreditsSerializer)."""
    account, subscription = _targets(data)
    return _call(
        services.apply_credits,
        key=_stored_key(integration, data["idempotency_key"]),
        actor=None,
        actor_label=integration.name,
        account=account,
        subscription=subscription,
        amount=data["amount"],
        credit_type=data["credit_type"],
        currency=data.get("currency", ""),
        transaction_id=data["transaction_id"],
        note=data.get("note", ""),
        created_at=data.get("created_at"),
    )


def _application_data(application) -> dict:
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
CONFLICT_RESPONSE = {
    409: OpenApiResponse(OpenApiTypes.OBJECT, description="Idempotency key used for other content.")
}


class CreditOperationView(APIView):
    """Grant, revoke or refund credit, or record a gift card's redemption, reversal or status.

    The fields each operation takes: grant (amount, credit_type, currency for currency credit,
    optional subscription and transaction_id); revoke (amount, credit_type, currency, optional
    subscription); refund (amount, credit_type, currency, transaction_id of the consumption,
    optional subscription); gift_card_redemption and gift_card_reversal (amount, currency,
    gift_card, optional transaction_id); gift_card_status_inquiry (currency, gift_card,
    gift_card_status). A field an operation does not take is refused.
    """

    @extend_schema(
        request=CreditOperationSerializer,
        responses={
            201: CreditEntrySerializer,
            200: OpenApiResponse(CreditEntrySerializer, description=REPLAY),
            **CONFLICT_RESPONSE,
            **ERROR_RESPONSES,
        },
    )
    def post(self, request):
        serializer = CreditOperationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry, replayed = credit_operation_perform(
            integration=request.auth, data=serializer.validated_data
        )
        return Response(
            CreditEntrySerializer(entry).data,
            status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED,
        )


class ApplyCreditsView(APIView):
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
        application, replayed = credits_apply(
            integration=request.auth, data=serializer.validated_data
        )
        return Response(
            CreditApplicationSerializer(_application_data(application)).data,
            status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED,
        )


class EntryCursorPagination(CursorPagination):
    """Newest first by (created_at, id); `limit` sets the page size. DRF's cursor names a
    position in that order, so pages cost the same at any depth."""

    ordering = ("-created_at", "-id")
    page_size_query_param = "limit"
    max_page_size = MAX_PAGE_SIZE

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:  # DRF's answer to a bad cursor; it is bad input here
            raise ValidationError({"cursor": [INVALID_CURSOR]}) from exc
        # The position is compared with created_at in SQL: it must be a time, or the query
        # itself would fail.
        if cursor is not None and cursor.position is not None:
            try:
                when = parse_datetime(cursor.position)
            except ValueError:
                when = None
            if when is None or when.utcoffset() is None:
                raise ValidationError({"cursor": [INVALID_CURSOR]})
            try:
                # In UTC: PostgreSQL refuses offsets beyond ±15:59 that Python accepts.
                utc = when.astimezone(dt.UTC)
            except OverflowError:
                raise ValidationError({"cursor": [INVALID_CURSOR]}) from None
            cursor = cursor._replace(position=utc.isoformat())
        return cursor

    def get_page_size(self, request):
        return page_size(request)


class CreditEntryPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The page of older entries.")
    previous = serializers.URLField(allow_null=True, help_text="The page of newer entries.")
    results = CreditEntrySerializer(many=True)


class AccountCreditEntryListView(APIView):
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
        paginator = EntryCursorPagination()
        page = paginator.paginate_queryset(filterset.qs, request, view=self)
        return paginator.get_paginated_response(CreditEntrySerializer(page, many=True).data)
