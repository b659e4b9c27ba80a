"""The access log: every opening by staff of an account's pages and every download of its data
(accounts.models.AccountAccess)."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.http import QueryDict
from django.utils import timezone

from accounts.models import Account, AccountAccess
from core.actors import ActorLike, as_actor
from core.personal_data import customer_data_exported

# A filter value is kept up to this many characters (the query string is the user's to make
# as long as they like; the log is not).
MAX_FILTER_VALUE = 200


def typed_filters(query: QueryDict, names: Iterable[str]) -> dict[str, Any]:
    """The query's values of `names`, as typed (a list where one was given several times),
    each cut to MAX_FILTER_VALUE characters; empty ones left out."""
    used: dict[str, Any] = {}
    for name in names:
        values = [v[:MAX_FILTER_VALUE] for v in query.getlist(name) if v]
        if values:
            used[name] = values if len(values) > 1 else values[0]
    return used


def account_access_record(
    *,
    actor: ActorLike,
    account: Account,
    page: AccountAccess.Page,
    filters: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AccountAccess:
    """Record that `actor` opened `page` of `account` with `filters` (as typed), now (or `at`,
    for the demo's history).

    One INSERT and nothing else: no transaction of its own (a statement is atomic, and a
    savepoint inside the request's transaction would be two more statements), no read. The
    replica router lets the reader go on reading from the replica (a record of a read)."""
    return AccountAccess.objects.create(
        account=account,
        page=page,
        filters=filters or {},
        created_at=at or timezone.now(),
        **as_actor(actor).as_fields(),
    )


def account_data_export_record(
    *, actor: ActorLike, account: Account, files: dict[str, int]
) -> AccountAccess:
    """Record that `actor` downloaded everything held on `account` (`files`: each file's name
    and row count): in the account's access log, and in staff activity (through
    core.personal_data.customer_data_exported)."""
    who = as_actor(actor)
    record = account_access_record(
        actor=who,
        account=account,
        page=AccountAccess.Page.DATA_EXPORT,
        filters={"files": len(files), "rows": sum(files.values())},
    )
    customer_data_exported.send(
        sender=Account,
        actor=who,
        customer_number=account.customer_number,
        files=len(files),
        rows=sum(files.values()),
    )
    return record
