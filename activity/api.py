"""The timeline's part of the integration API: the registry, event ingestion, an account's events.

Ingestion writes through `activity_record_bulk`, the same service (and the same registry
validation) as every other writer; a request's integration is the events' actor.
"""

import datetime as dt
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Account, Subscription
from accounts.selectors import account_get
from activity.filters import ActivityFilter
from activity.models import ActivityEvent
from activity.registry import EVENT_TYPES, REGISTRY, Category, Kind
from activity.selectors import InvalidCursor, events_for_account, keyset_page
from activity.services import activity_record_bulk, build_event
from config.api import (
    ERROR_RESPONSES,
    LIMIT_SCHEMA,
    NOT_FOUND_RESPONSE,
    ApiConflict,
    OffsetDateTimeField,
    StrictFieldsMixin,
    cursor_links,
    page_size,
)

MAX_BATCH = 1000

EMPTY_BATCH = "Send at least one event."
BATCH_TOO_LARGE = "At most {max} events per request; this one has {count}."
NOT_AN_OBJECT = "Each event must be a JSON object."
BODY_SHAPE = "Send one event object or a list of them."
NO_ACCOUNT = "No account with customer number “{}”."
NO_SUBSCRIPTION = "No subscription with order ID “{}”."
REPEATED_ID = "This ID is used by an earlier event of the same batch (item {})."
CONFLICT = "An event with this ID is already stored with other content."
CONCURRENT = "An event of this batch was stored by another request meanwhile; send it again."
INVALID_CURSOR = "This cursor is not valid: use a `next` or `previous` link as it was given."


# --- Serializers ------------------------------------------------------------------------------


class AttributeSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=[k.value for k in Kind])
    required = serializers.BooleanField()


class EventTypeSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The value of an event's `type`.")
    title = serializers.CharField()
    category = serializers.ChoiceField(
        choices=[c.code for c in Category], source="category.code", help_text="Filter value."
    )
    category_title = serializers.CharField(source="category.value")
    description = serializers.CharField()
    attributes = AttributeSerializer(many=True)


class EventInSerializer(StrictFieldsMixin, serializers.Serializer):
    """One event as an integration sends it."""

    id = serializers.UUIDField(
        required=False,
        help_text="Your unique ID for the event. Re-sending the same ID and content stores "
        "nothing and returns the stored event; the same ID with other content is a conflict.",
    )
    account = serializers.CharField(max_length=20, help_text="The account's customer number.")
    type = serializers.ChoiceField(
        choices=list(REGISTRY),
        help_text="A type code from /api/v1/event-types/.",
        error_messages={"invalid_choice": "Unknown activity type “{input}”."},
    )
    occurred_at = OffsetDateTimeField(help_text="ISO 8601 with its UTC offset.")
    subscription = serializers.CharField(
        max_length=40, required=False, allow_null=True, help_text="A subscription's order ID."
    )
    attributes = serializers.DictField(
        required=False,
        default=dict,
        help_text="The type's attributes by key (see /api/v1/event-types/).",
    )


class EventSerializer(serializers.Serializer):
    """A stored event."""

    id = serializers.UUIDField()
    account = serializers.CharField(source="account.customer_number")
    type = serializers.CharField()
    title = serializers.CharField()
    category = serializers.SerializerMethodField()
    occurred_at = serializers.DateTimeField(help_text="In UTC.")
    recorded_at = serializers.DateTimeField(help_text="In UTC.")
    actor = serializers.CharField(source="actor_name", help_text="The agent or the System name.")
    actor_kind = serializers.ChoiceField(choices=ActivityEvent.ActorKind.choices)
    origin = serializers.ChoiceField(choices=ActivityEvent.Origin.choices)
    subscription = serializers.CharField(source="subscription.order_id", allow_null=True)
    attributes = serializers.DictField(source="data")

    def get_category(self, event) -> str | None:
        return event.category.code if event.category else None

    def to_representation(self, event):
        # The fields above, written out: a response carries up to 1,000 events, and DRF's
        # generic field machinery costs more than the rest of the request.
        category = event.category
        return {
            "id": str(event.id),
            "account": event.account.customer_number,
            "type": event.type,
            "title": event.title,
            "category": category.code if category else None,
            "occurred_at": _utc(event.occurred_at),
            "recorded_at": _utc(event.recorded_at),
            "actor": event.actor_name,
            "actor_kind": event.actor_kind,
            "origin": event.origin,
            "subscription": event.subscription.order_id if event.subscription_id else None,
            "attributes": event.data,
        }


def _utc(value) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


class EventPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The page of older events.")
    previous = serializers.URLField(allow_null=True, help_text="The page of newer events.")
    results = EventSerializer(many=True)


EVENT_OR_BATCH_IN = PolymorphicProxySerializer(
    component_name="EventOrBatch",
    serializers=[EventInSerializer, EventInSerializer(many=True, max_length=MAX_BATCH)],
    resource_type_field_name=None,
    many=False,
)
EVENT_OR_BATCH_OUT = PolymorphicProxySerializer(
    component_name="StoredEventOrBatch",
    serializers=[EventSerializer, EventSerializer(many=True)],
    resource_type_field_name=None,
    many=False,
)


# --- Ingestion --------------------------------------------------------------------------------


@dataclass
class IngestResult:
    events: list[ActivityEvent]
    created: int


def _errors_response(errors: dict[int, dict], *, single: bool) -> dict:
    """Errors by item index and field; a single posted object gets its fields' errors alone."""
    if single:
        return errors[0]
    return {str(index): errors[index] for index in sorted(errors)}


def events_ingest(*, integration, payload) -> IngestResult:
    """Validate a posted event or batch as a whole, then store the new events in one bulk write.

    Raises ValidationError (400) listing every bad item and field, or ApiConflict (409) for an
    ID stored with other content; in both cases nothing is stored. Events whose ID is already
    stored with the same content are returned as stored, not written again.
    """
    single = isinstance(payload, dict)
    items = [payload] if single else payload
    if not isinstance(items, list):
        raise ValidationError({"non_field_errors": [BODY_SHAPE]})
    if not items:
        raise ValidationError({"non_field_errors": [EMPTY_BATCH]})
    if len(items) > MAX_BATCH:
        message = BATCH_TOO_LARGE.format(max=MAX_BATCH, count=len(items))
        raise ValidationError({"non_field_errors": [message]})

    errors: dict[int, dict] = {}
    valid: dict[int, dict] = {}
    shape = EventInSerializer()  # one instance validates every item: no per-item field copies
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors[index] = {"non_field_errors": [NOT_AN_OBJECT]}
            continue
        try:
            valid[index] = shape.run_validation(item)
        except ValidationError as exc:
            errors[index] = exc.detail

    # One query for the batch's accounts and one for its subscriptions.
    numbers = {item["account"] for item in valid.values()}
    accounts = {a.customer_number: a for a in Account.objects.filter(customer_number__in=numbers)}
    orders = {item["subscription"] for item in valid.values() if item.get("subscription")}
    subscriptions = (
        {s.order_id: s for s in Subscription.objects.filter(order_id__in=orders)} if orders else {}
    )

    first_seen: dict[uuid.UUID, int] = {}
    arguments: dict[int, dict] = {}
    for index, item in valid.items():
        item_errors: dict[str, list[str]] = {}
        account = accounts.get(item["account"])
        if account is None:
            item_errors["account"] = [NO_ACCOUNT.format(item["account"])]
        order = item.get("subscription")
        subscription = subscriptions.get(order) if order else None
        if order and subscription is None:
            item_errors["subscription"] = [NO_SUBSCRIPTION.format(order)]
        event_id = item.get("id")
        if event_id is not None:
            if event_id in first_seen:
                item_errors["id"] = [REPEATED_ID.format(first_seen[event_id])]
            else:
                first_seen[event_id] = index
        if account is not None:
            arguments[index] = {
                "account": account,
                "type": item["type"],
                "occurred_at": item["occurred_at"],
                "subscription": subscription,
                "data": item["attributes"],
                "origin": ActivityEvent.Origin.API,
                "actor_label": integration.name,
                "id": event_id,
            }
        if item_errors:
            errors[index] = item_errors

    # Events whose ID is stored: the same content is a replay, other content a conflict.
    stored = (
        ActivityEvent.objects.select_related("account", "subscription").in_bulk(list(first_seen))
        if first_seen
        else {}
    )
    known = {index for index, kwargs in arguments.items() if kwargs["id"] in stored}
    new = [index for index in arguments if index not in known]
    built, registry_errors = _build(arguments, known)
    conflicts = {
        index: {"id": [CONFLICT]}
        for index, event in built.items()
        if not _same_event(stored[event.id], event)
    }
    if errors or registry_errors or conflicts:
        # Report every bad item, not only the first one the bulk service would stop at.
        _merge(errors, registry_errors, _build(arguments, new)[1])
        if errors:
            raise ValidationError(_errors_response(errors, single=single))
        raise ApiConflict(_errors_response(conflicts, single=single))

    try:
        # The one write path: it validates (the registry, the subscription's account) and
        # inserts the batch in bulk, all or nothing.
        created = activity_record_bulk(events=[arguments[index] for index in new])
    except DjangoValidationError:
        _merge(errors, _build(arguments, new)[1])
        raise ValidationError(_errors_response(errors, single=single)) from None
    except IntegrityError as exc:
        # Another request stored one of these IDs between our check and our insert.
        raise ApiConflict({"non_field_errors": [CONCURRENT]}) from exc
    by_index = dict(zip(new, created, strict=True))
    events = [
        by_index[index] if index in by_index else stored[arguments[index]["id"]]
        for index in range(len(items))
    ]
    return IngestResult(events=events, created=len(created))


def _build(arguments: dict[int, dict], indices) -> tuple[dict[int, ActivityEvent], dict]:
    """Build (validate, not save) the events at `indices`: the built ones, and the errors of
    the others by index and field."""
    built, errors = {}, {}
    for index in indices:
        try:
            built[index] = build_event(**arguments[index])
        except DjangoValidationError as exc:
            errors[index] = exc.message_dict
    return built, errors


def _merge(errors: dict[int, dict], *more: dict[int, dict]) -> None:
    for other in more:
        for index, fields in other.items():
            for field, messages in fields.items():
                errors.setdefault(index, {}).setdefault(field, []).extend(messages)


def _same_event(stored: ActivityEvent, new: ActivityEvent) -> bool:
    """The same content, as far as a sender can tell: what it sent (after the registry's
    cleaning) and who sent it."""
    return (
        stored.account_id == new.account.pk
        and stored.type == new.type
        and stored.occurred_at == new.occurred_at
        and stored.subscription_id == (new.subscription.pk if new.subscription else None)
        and stored.data == new.data
        and stored.origin == new.origin
        and stored.actor_name == new.actor_name
    )


# --- Views ------------------------------------------------------------------------------------


class EventTypeListView(APIView):
    """Every event type of the registry, with its attributes: what a valid event looks like."""

    @extend_schema(responses={200: EventTypeSerializer(many=True), **ERROR_RESPONSES})
    def get(self, request):
        return Response(EventTypeSerializer(EVENT_TYPES, many=True).data)


class EventIngestView(APIView):
    """Record System events: one event object, or a list of up to 1,000.

    201 when anything was stored, 200 when every event was already stored (same ID and
    content). 400 lists every bad item by its index and field; 409 names the items whose ID is
    stored with other content. In both cases nothing of the request is stored.
    """

    @extend_schema(
        request=EVENT_OR_BATCH_IN,
        responses={
            201: EVENT_OR_BATCH_OUT,
            200: OpenApiResponse(EVENT_OR_BATCH_OUT, description="Already stored; nothing new."),
            409: OpenApiResponse(OpenApiTypes.OBJECT, description="ID stored with other content."),
            **ERROR_RESPONSES,
        },
    )
    def post(self, request):
        result = events_ingest(integration=request.auth, payload=request.data)
        many = not isinstance(request.data, dict)
        data = EventSerializer(result.events if many else result.events[0], many=many).data
        return Response(
            data, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        )


class AccountEventListView(APIView):
    """An account's events, newest first, with the Recent Activity page's filters.

    Pages follow a cursor: `next` leads to older events, `previous` to newer ones.
    """

    @extend_schema(
        parameters=[
            OpenApiParameter("date_from", OpenApiTypes.DATE, description="First local day."),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="Last local day."),
            OpenApiParameter(
                "type",
                {"type": "array", "items": {"type": "string", "enum": list(REGISTRY)}},
                description="Type codes; repeat the parameter for several.",
                explode=True,
            ),
            OpenApiParameter("category", OpenApiTypes.STR, enum=[c.code for c in Category]),
            OpenApiParameter("actor", OpenApiTypes.STR, enum=list(ActivityEvent.ActorKind.values)),
            OpenApiParameter("cursor", OpenApiTypes.STR, description="From `next`/`previous`."),
            OpenApiParameter("limit", LIMIT_SCHEMA, description="Events per page."),
        ],
        responses={200: EventPageSerializer, **ERROR_RESPONSES, **NOT_FOUND_RESPONSE},
    )
    def get(self, request, customer_number):
        account = account_get(customer_number=customer_number)
        events = events_for_account(account).select_related("account", "subscription")
        filterset = ActivityFilter(request.query_params, queryset=events)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        size = page_size(request)
        try:
            page = keyset_page(filterset.qs, request.query_params.get("cursor"), size=size)
        except InvalidCursor:
            raise ValidationError({"cursor": [INVALID_CURSOR]}) from None
        return Response(
            {
                **cursor_links(request, older=page.older_cursor, newer=page.newer_cursor),
                "results": EventSerializer(page.events, many=True).data,
            }
        )
