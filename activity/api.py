"""The timeline's part of the integration API: the registry, event ingestion, an account's events.

Adapters only: ingestion parses each item with `EventInSerializer` and calls `events_ingest`,
which checks the batch against the registry and the stored accounts and writes it through the
same service as every other writer; a request's integration is the events' actor.
"""

import datetime as dt
from typing import Any

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

from accounts.selectors import account_get
from activity.filters import ActivityFilter
from activity.ingest import MAX_BATCH, EventIn, events_ingest
from activity.models import ActivityEvent
from activity.registry import EVENT_TYPES, REGISTRY, Category, EventType, Kind, Recorder
from activity.selectors import events_for_account
from core.api import (
    ERROR_RESPONSES,
    LIMIT_SCHEMA,
    NOT_FOUND_RESPONSE,
    OffsetDateTimeField,
    ReplicaReadsAPIMixin,
    StrictFieldsMixin,
    WritingAPIMixin,
    as_domain_error,
    keyset_response,
)

# --- Serializers ------------------------------------------------------------------------------


class AttributeSerializer(serializers.Serializer):
    key = serializers.CharField()
    # `label` and `required` are also attributes of every DRF field; here they are the
    # attribute's own (the stubs see the clash, DRF does not mind).
    label = serializers.CharField()  # type: ignore[assignment]
    kind = serializers.ChoiceField(choices=[k.value for k in Kind])
    required = serializers.BooleanField()  # type: ignore[assignment]


class EventTypeSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The value of an event's `type`.")
    title = serializers.CharField()
    category = serializers.ChoiceField(
        choices=[c.code for c in Category], source="category.code", help_text="Filter value."
    )
    category_title = serializers.CharField(source="category.value")
    description = serializers.CharField()
    attributes = AttributeSerializer(many=True)
    integrations_may_record = serializers.SerializerMethodField(
        help_text="False for the types only the back-office's own services record."
    )

    def get_integrations_may_record(self, event_type: EventType) -> bool:
        return Recorder.INTEGRATION in event_type.recorded_by


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

    def parse(self, item: Any) -> EventIn:
        """One posted item as the ingestion service takes it; a malformed one is refused with
        the errors by field, as the service raises them. One instance parses every item of a
        batch: no per-item copies of the fields."""
        try:
            return EventIn(**self.run_validation(item))
        except ValidationError as exc:
            raise as_domain_error(exc) from None


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
    serializers=[
        EventInSerializer,
        EventInSerializer(many=True, max_length=MAX_BATCH),  # type: ignore[call-arg]
    ],
    resource_type_field_name=None,
    many=False,
)
EVENT_OR_BATCH_OUT = PolymorphicProxySerializer(
    component_name="StoredEventOrBatch",
    serializers=[EventSerializer, EventSerializer(many=True)],
    resource_type_field_name=None,
    many=False,
)


# --- Views ------------------------------------------------------------------------------------


class EventTypeListView(APIView):
    """Every event type of the registry, with its attributes: what a valid event looks like."""

    @extend_schema(responses={200: EventTypeSerializer(many=True), **ERROR_RESPONSES})
    def get(self, request):
        return Response(EventTypeSerializer(EVENT_TYPES, many=True).data)


class EventIngestView(WritingAPIMixin, APIView):
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
        result = events_ingest(
            actor=request.auth.actor, payload=request.data, parse=EventInSerializer().parse
        )
        if result.single:
            data = EventSerializer(result.events[0]).data
        else:
            data = EventSerializer(result.events, many=True).data
        return Response(
            data, status=status.HTTP_200_OK if result.replayed else status.HTTP_201_CREATED
        )


class AccountEventListView(ReplicaReadsAPIMixin, APIView):
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
        return keyset_response(
            request, filterset.qs, time="occurred_at", serializer=EventSerializer
        )
