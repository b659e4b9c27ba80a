"""Read replicas: heavy reads go to the replica, everything else to the primary.

With `DATABASE_REPLICA_URL` set, the settings add the database alias `replica` and install
`ReplicaRouter`. A page or an API list that only reads many rows (Credit Activity and its CSV,
Recent Activity, Legacy mode, the API's lists) asks for the replica with `ReplicaReadsMixin`
(or `prefer_replica(request)`); every other read, and every write, uses the primary.

Read-your-writes: a request that writes reads from the primary from then on, and so does every
request of the same user (or integration) for `REPLICA_STICKY_SECONDS` after it. The time of a
user's last write is kept in Django's cache (`CACHE_URL`): with several server processes the
cache must be shared (Redis) for every process to see it.

A replica that does not answer is not a failure: the request reads from the primary, the
fallback is logged, and the replica is tried again after `RETRY_SECONDS`.
"""

import contextvars
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse

from core.downloads import DownloadRecord

REPLICA = "replica"
PRIMARY = "default"
# After a replica failed to answer, how long requests read from the primary without trying it.
RETRY_SECONDS = 10
PIN_KEY = "replica-pin:{}"
ROUTER = "core.replicas.ReplicaRouter"

logger = logging.getLogger(__name__)


@dataclass
class RequestReads:
    """Where the current request reads from."""

    request: HttpRequest
    use_replica: bool = False  # the view asked for the replica and may have it
    wrote: bool = False


_current: contextvars.ContextVar[RequestReads | None] = contextvars.ContextVar(
    "replica_reads", default=None
)
# (host, port, name) of a replica that did not answer -> when to try it again.
_down_until: dict[tuple[str, str, str], float] = {}


def configured() -> bool:
    """Whether there is a replica and the router that uses it."""
    return REPLICA in settings.DATABASES and ROUTER in settings.DATABASE_ROUTERS


def _who(request: HttpRequest) -> str | None:
    """The user or integration behind a request, as a cache key; None when anonymous."""
    auth = getattr(request, "auth", None)  # DRF's: the integration of an API token
    if auth is not None and getattr(auth, "pk", None) is not None:
        return PIN_KEY.format(f"{type(auth).__name__}:{auth.pk}")
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.pk is not None:
        return PIN_KEY.format(f"user:{user.pk}")
    return None


def _replica_answers() -> bool:
    """Whether the replica takes a connection now. A failure is logged once per retry period
    and reads go to the primary meanwhile."""
    replica = connections[REPLICA]
    config = replica.settings_dict
    key = (str(config.get("HOST")), str(config.get("PORT")), str(config.get("NAME")))
    if _down_until.get(key, 0) > time.monotonic():
        return False
    try:
        replica.close_if_health_check_failed()
        replica.ensure_connection()
    except DatabaseError as exc:
        _down_until[key] = time.monotonic() + RETRY_SECONDS
        logger.warning("Read replica does not answer; reading from the primary: %s", exc)
        return False
    _down_until.pop(key, None)
    return True


def prefer_replica(request: HttpRequest) -> None:
    """Let the rest of this request read from the replica, unless the user wrote recently (or
    this request wrote), or the replica does not answer. Call it once the request's user is
    known (after authentication)."""
    state = _current.get()
    if state is None or not configured() or state.wrote:
        return
    who = _who(request)
    if who is not None and cache.get(who) is not None:
        return  # read-your-writes: the user's last write is recent
    state.use_replica = _replica_answers()


def read_alias() -> str:
    """The alias the current request reads its heavy rows from (for a stream read after the
    view has returned, bind it with `queryset.using(read_alias())`)."""
    state = _current.get()
    if state is not None and state.use_replica and not state.wrote:
        return REPLICA
    return PRIMARY


class ReplicaReadsMixin:
    """For a view that only reads: its queries (and its template's) may use the replica."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        prefer_replica(request)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def _records_a_read(model: type) -> bool:
    """A record of what someone read (a download's, an account's access log): writing it does
    not make the reader's next reads need the primary."""
    return issubclass(model, DownloadRecord) or getattr(model, "RECORDS_A_READ", False)


class ReplicaRouter:
    """Reads go where the current request may read (`read_alias`); writes to the primary.

    A write marks the request: its later reads, and the same user's requests for
    `REPLICA_STICKY_SECONDS`, use the primary. The record of a download or of an opened
    account is the exception (`_records_a_read`): it says who read what, and nobody reads it
    back at once.
    """

    def db_for_read(self, model: type, **hints: Any) -> str:
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY  # a read inside a transaction belongs with its writes
        return read_alias()

    def db_for_write(self, model: type, **hints: Any) -> str:
        state = _current.get()
        if state is not None and not _records_a_read(model):
            state.wrote = True
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == PRIMARY  # the replica changes only by replication


class ReplicaMiddleware:
    """Keeps where the request reads from; after a request that wrote, pins its user to the
    primary for `REPLICA_STICKY_SECONDS`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        state = RequestReads(request)
        token = _current.set(state)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        if state.wrote and configured():
            who = _who(request)
            if who is not None:
                cache.set(who, time.time(), timeout=settings.REPLICA_STICKY_SECONDS)
        return response
