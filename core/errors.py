"""The errors the services raise, and the messages that several of them (and the API) share.

Services refuse bad input with Django's `ValidationError`, naming each field, and a request that
contradicts what is stored (an event ID or an idempotency key reused for other content) with
`Conflict`. The pages show the messages; the API's one exception handler (`core.api`) turns
the first into a 400 and the second into a 409, with the same field-by-field body.
"""

from collections.abc import Mapping

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, OperationalError

# Where a batch's item or a request has errors that belong to no single field.
NON_FIELD = "non_field_errors"

# Records looked up by the keys people and integrations know them by.
NO_ACCOUNT = "No account with customer number “{}”."
NO_SUBSCRIPTION = "No subscription with order ID “{}”."

# Input shared by several endpoints.
UNKNOWN_FIELD = "Unknown field."
NOT_USED = "Not used by this operation."
NAIVE_TIME = "Give the time with its UTC offset, e.g. 2026-06-01T12:00:00+02:00."
TOO_DEEP = "JSON parse error - nested too deeply."
INTEGRATION_DISABLED = "This integration is disabled."
INVALID_CURSOR = "This cursor is not valid: use a `next` or `previous` link as it was given."

# Batches of events.
BODY_SHAPE = "Send one event object or a list of them."
EMPTY_BATCH = "Send at least one event."
BATCH_TOO_LARGE = "At most {max} events per request; this one has {count}."
NOT_AN_OBJECT = "Each event must be a JSON object."
REPEATED_ID = "This ID is used by an earlier event of the same batch (item {})."
EVENT_CONFLICT = "An event with this ID is already stored with other content."

# Idempotency keys: a caller's name for one request, so that a retry does it once.
MAX_KEY_LENGTH = 100
KEY_INVALID = f"An idempotency key is 1 to {MAX_KEY_LENGTH} characters."
KEY_REUSED = "This idempotency key was already used for a different request."

FieldErrors = Mapping[str, list[str]]


class Conflict(ValidationError):
    """The request contradicts what is stored: an ID or an idempotency key used before for
    other content. Named by field like any validation error; the API answers it with a 409."""


def field_errors(exc: ValidationError) -> dict[str, list[str]]:
    """A validation error's messages by field, with errors of no field under `non_field_errors`
    (the API's name for them)."""
    if not hasattr(exc, "error_dict"):
        return {NON_FIELD: list(exc.messages)}
    return {
        NON_FIELD if name == NON_FIELD_ERRORS else name: list(messages)
        for name, messages in exc.message_dict.items()
    }


def item_errors(
    errors: Mapping[int, FieldErrors],
    *,
    single: bool,
    error: type[ValidationError] = ValidationError,
) -> ValidationError:
    """The errors of a batch, by each bad item's position and then by field.

    A request that posted a single object (not a list) gets its fields' errors alone. The
    returned error's `by_item` holds the nested form the API answers with; its messages, for a
    page or a command, are keyed `<position>.<field>`.
    """
    if single:
        return error({name: list(messages) for name, messages in errors[0].items()})
    exc = error(
        {
            f"{position}.{name}": list(messages)
            for position, fields in sorted(errors.items())
            for name, messages in fields.items()
        }
    )
    exc.by_item = {  # type: ignore[attr-defined]
        str(position): {name: list(messages) for name, messages in fields.items()}
        for position, fields in sorted(errors.items())
    }
    return exc


def check_idempotency_key(key: object) -> str | None:
    """The key as given, None without one (`None` or empty); a ValidationError on
    `idempotency_key` for anything that is not 1 to MAX_KEY_LENGTH characters of text."""
    if key is None or key == "":
        return None
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or not key.strip():
        raise ValidationError({"idempotency_key": KEY_INVALID})
    return key


# SQLSTATE of the errors after which the whole transaction can simply be run again.
RETRYABLE = {"40001", "40P01"}  # serialization_failure, deadlock_detected
UNIQUE_VIOLATION = "23505"

# Unique keys that refuse a write only when it raced another one and built on what that one had
# just replaced: on a Citus cluster, a ledger write that read its wallet's last `seq` as the
# wallet's shard switched nodes. The key refuses the write whole (nothing is stored) and the
# same request sent again is safe. Each app adds its own keys' names when it is ready.
RACING_KEYS: set[str] = set()


def met_another_write(exc: BaseException) -> bool:
    """Whether the database cancelled a transaction because it met another one (a deadlock, a
    serialization failure, or a racing unique key): nothing was written, and running the whole
    transaction again is safe."""
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if isinstance(exc, OperationalError):
        return sqlstate in RETRYABLE
    if isinstance(exc, IntegrityError) and sqlstate == UNIQUE_VIOLATION:
        # On a cluster the key is named with its shard's number ("..._102087"), and the
        # worker's error reaches the coordinator as text.
        diag = getattr(cause, "diag", None)
        text = f"{getattr(diag, 'constraint_name', None) or ''} {cause}"
        return any(key in text for key in RACING_KEYS)
    return False
