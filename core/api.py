"""Pieces every endpoint of the integration API shares: the JSON parser with its limits, the one
exception handler that maps the services' errors to HTTP, the strict input fields, and pages.

The views are adapters: an input serializer parses the request's shape, one service call does
the work (and refuses what is wrong with Django's ValidationError or `Conflict`), an output
serializer writes the answer. Errors are mapped to HTTP here only.
"""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import parsers, serializers, status
from rest_framework.exceptions import (
    APIException,
    AuthenticationFailed,
    ParseError,
    ValidationError,
)
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.utils.urls import replace_query_param

from core.errors import (
    INTEGRATION_DISABLED,
    INVALID_CURSOR,
    NAIVE_TIME,
    NON_FIELD,
    TOO_DEEP,
    UNKNOWN_FIELD,
    Conflict,
    field_errors,
    met_another_write,
)
from core.paging import MAX_PER_PAGE, PER_PAGE, InvalidCursor, keyset_page, requested_size
from core.replicas import prefer_replica

DEFAULT_PAGE_SIZE = PER_PAGE
MAX_PAGE_SIZE = MAX_PER_PAGE
BAD_LIMIT = f"Give a whole number from 1 to {MAX_PAGE_SIZE}."

# The OpenAPI schema of the `limit` query parameter.
LIMIT_SCHEMA = {
    "type": "integer",
    "minimum": 1,
    "maximum": MAX_PAGE_SIZE,
    "default": DEFAULT_PAGE_SIZE,
}

ERROR_RESPONSES = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid input, by field."),
    401: OpenApiResponse(OpenApiTypes.OBJECT, description="No valid integration token."),
}
NOT_FOUND_RESPONSE = {
    404: OpenApiResponse(OpenApiTypes.OBJECT, description="No account with this number."),
}


class ReplicaReadsAPIMixin:
    """For an API view that only reads: once the request is authenticated (so that an
    integration's recent writes keep it on the primary), its queries may use the replica."""

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        prefer_replica(request)


class WritingAPIMixin:
    """For an API view that writes: the request runs in one transaction, which first takes the
    calling integration's row FOR SHARE and reads whether it is still enabled.

    The token was checked when the request began; an integration disabled since then is
    refused here, before anything is written. A disable that comes while the request writes
    waits (its UPDATE needs the row) until the request has committed: every write of an
    integration either happened before it was disabled or not at all.
    """

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        with transaction.atomic():
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        hold_caller(request.auth)


def hold_caller(caller: Any) -> None:
    """Lock the caller's row (an integration: a model with `is_active`) FOR SHARE in the
    current transaction; AuthenticationFailed when it is disabled by now."""
    if caller is None or not hasattr(caller, "_meta"):
        return
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    table = connection.ops.quote_name(caller._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT is_active FROM {table} WHERE id = %s{lock}", [caller.pk])
        row = cursor.fetchone()
    if not row or not row[0]:
        raise AuthenticationFailed(INTEGRATION_DISABLED)


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large; send smaller batches."
    default_code = "payload_too_large"


class TryAgain(APIException):
    """503 with Retry-After: the database cancelled the request's transaction because it met
    another one (a deadlock, or a serialization failure; on a Citus cluster also a shard's
    move: core.errors.met_another_write). Nothing was written; the same request sent again
    (with its idempotency key) is safe."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The request met another one and was rolled back; send it again."
    default_code = "try_again"


class ApiConflict(APIException):
    """409: the request contradicts what is stored (an ID or an idempotency key reused for
    other content). The detail names the fields, like a validation error."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with what is stored."
    default_code = "conflict"


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering 400 (not 500) to JSON nested deeper than Python's recursion
    limit."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None


class IntegrationRateThrottle(SimpleRateThrottle):
    """At most API_THROTTLE_RATE requests per integration (e.g. `6000/minute`), counted per
    integration whatever address it calls from; a request over the rate is a 429 with
    Retry-After. Requests without an integration are not counted here (they get a 401)."""

    scope = "integration"

    def get_rate(self) -> str:
        # Read when used, not when the class is defined, so that a setting can change it.
        return str(settings.API_THROTTLE_RATE)

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        ident = getattr(getattr(request, "auth", None), "pk", None)
        if ident is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


def exception_handler(exc: Exception, context: dict[str, Any]) -> "Response | None":
    """DRF's handler, plus the services' errors: a Django ValidationError is a 400 and a
    Conflict a 409, each with the errors by field (a batch's by item, then field); a JSON 413
    for a body over DATA_UPLOAD_MAX_MEMORY_SIZE (Django would answer a bare 400 page); and a
    503 with Retry-After for a transaction that met another one (a deadlock, a racing key)."""
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif met_another_write(exc):
        response = Response({"detail": TryAgain.default_detail}, status=TryAgain.status_code)
        response["Retry-After"] = "1"
        return response
    elif isinstance(exc, DjangoValidationError):
        body = getattr(exc, "by_item", None) or field_errors(exc)
        exc = ApiConflict(body) if isinstance(exc, Conflict) else ValidationError(body)
    # Imported here: DRF's views read the API settings, which name this module's parser.
    from rest_framework.views import exception_handler as drf_exception_handler

    return drf_exception_handler(exc, context)


def as_domain_error(exc: ValidationError) -> DjangoValidationError:
    """A serializer's errors as the services raise them, for a parser that a service calls."""
    detail = exc.detail
    if not isinstance(detail, Mapping):
        detail = {NON_FIELD: detail}
    return DjangoValidationError(
        {
            name: [str(message) for message in messages]
            if isinstance(messages, list)
            else [str(messages)]
            for name, messages in detail.items()
        }
    )


class OffsetDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time that must carry its UTC offset: a time without one is ambiguous."""

    default_error_messages = {"naive": NAIVE_TIME}

    def enforce_timezone(self, value):
        if settings.USE_TZ and value.utcoffset() is None:
            self.fail("naive")
        return super().enforce_timezone(value)


class StrictFieldsMixin(serializers.Serializer):
    """Refuses keys the serializer does not declare, so that a misspelt field is an error
    rather than silently ignored."""

    def to_internal_value(self, data: Any) -> Any:
        unknown = {}
        if isinstance(data, Mapping):
            unknown = {str(key): [UNKNOWN_FIELD] for key in data if key not in self.fields}
        try:
            value = super().to_internal_value(data)
        except ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise ValidationError({**exc.detail, **unknown}) from exc
            raise
        if unknown:
            raise ValidationError(unknown)
        return value


class StrictFieldsScheme(OpenApiSerializerExtension):
    """Says in the schema what StrictFieldsMixin does: no properties beyond the declared ones."""

    target_class = StrictFieldsMixin
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        return {**schema, "additionalProperties": False}


def page_size(request) -> int:
    """The `limit` query parameter, or the default page size; a bad one is refused (the pages,
    by the same parser, ignore it)."""
    try:
        return requested_size(request.query_params.get("limit")) or DEFAULT_PAGE_SIZE
    except ValueError:
        raise ValidationError({"limit": [BAD_LIMIT]}) from None


def keyset_response(request, rows, *, time: str, serializer) -> Response:
    """One page of `rows` by the request's `cursor` and `limit` (core.paging.keyset_page), as
    `{next, previous, results}` with full links; a bad cursor is refused."""
    try:
        page = keyset_page(
            rows, request.query_params.get("cursor"), size=page_size(request), time=time
        )
    except InvalidCursor:
        raise ValidationError({"cursor": [INVALID_CURSOR]}) from None
    return Response(
        {
            **cursor_links(request, older=page.older_cursor, newer=page.newer_cursor),
            "results": serializer(page.rows, many=True).data,
        }
    )


def cursor_links(request, *, older: str | None, newer: str | None) -> dict:
    """`next` (older rows) and `previous` (newer rows) as full URLs: this request's address
    with its `cursor` replaced."""
    url = request.build_absolute_uri()
    return {
        "next": replace_query_param(url, "cursor", older) if older else None,
        "previous": replace_query_param(url, "cursor", newer) if newer else None,
    }
