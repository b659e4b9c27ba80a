"""A customer's data export (GDPR art. 15): everything held on one customer as one ZIP of CSV
and JSON files, written file by file into a file on disk (each file's rows come in chunks
from a server-side cursor, or from COPY for the ledger), so that memory stays bounded whatever
the size of the account.

The account's own files come from here; the other apps add theirs through their
`customer_export` modules (core.personal_data.export_modules): the timeline, the ledger, the
legacy history. A `manifest.json` lists every file with its row count.
"""

import json
import zipfile
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Account, AccountAccess, PaymentMethod, Subscription
from accounts.selectors import account_accesses
from core.csvfiles import CHUNK_ROWS, header_bytes, write_rows
from core.personal_data import export_modules

ACCOUNT_FIELDS = (
    "customer_number",
    "name",
    "email",
    "phone",
    "street",
    "postcode",
    "city",
    "country",
    "billing_day",
    "status",
    "created_at",
    "updated_at",
)
SUBSCRIPTION_FIELDS = (
    "order_id",
    "product__name",
    "product__code",
    "status",
    "started_on",
    "next_billing_on",
    "ended_on",
    "cancellation_scheduled_for",
    "downgrade_to__name",
    "downgrade_scheduled_for",
    "pause_scheduled_for",
    "pause_months",
    "paused_until",
    "created_at",
)
PAYMENT_METHOD_FIELDS = (
    "kind",
    "brand",
    "masked_details",
    "expires_on",
    "is_default",
    "created_at",
)
ACCESS_FIELDS = ("created_at", "actor_name", "page", "filters")


@dataclass
class Archive:
    """What an export wrote: each file's name and row count."""

    customer_number: str
    files: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(self.files.values())


def _cell(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        if hasattr(value, "tzinfo") and value.tzinfo is not None:
            return timezone.localtime(value).isoformat()
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


def _csv(rows: QuerySet, columns: Sequence[str]) -> Generator[bytes, None, int]:
    yield header_bytes(list(columns))
    values = rows.values_list(*columns).iterator(chunk_size=CHUNK_ROWS)
    return (yield from write_rows([_cell(v) for v in row] for row in values))


def _json(value: Any) -> Generator[bytes, None, int]:
    yield json.dumps(value, ensure_ascii=False, indent=2, default=str).encode()
    return 1


def _account(account: Account) -> dict[str, Any]:
    return {
        name: str(getattr(account, name)) if name == "country" else _cell(getattr(account, name))
        for name in ACCOUNT_FIELDS
    }


def customer_files(account: Account) -> Iterator[tuple[str, Generator[bytes, None, int]]]:
    """The account's own files: its details (JSON), its subscriptions and payment methods,
    and its access log."""
    yield "account.json", _json(_account(account))
    subscriptions = Subscription.objects.filter(account=account).order_by("started_on", "pk")
    yield "subscriptions.csv", _csv(subscriptions, SUBSCRIPTION_FIELDS)
    methods = PaymentMethod.objects.filter(account=account).order_by("created_at", "pk")
    yield "payment_methods.csv", _csv(methods, PAYMENT_METHOD_FIELDS)
    yield "access_log.csv", _csv(account_accesses(account), ACCESS_FIELDS)


def _drain(chunks: Generator[bytes, None, int], out: IO[bytes]) -> int:
    """Write a file's chunks; the number of rows its generator returned."""
    while True:
        try:
            out.write(next(chunks))
        except StopIteration as done:
            return int(done.value or 0)


def customer_archive(account: Account, file: IO[bytes]) -> Archive:
    """Write the ZIP of everything held on `account` into `file` (opened for binary writing)
    and say what it holds. Reads only: recording the export is the caller's
    (accounts.services.account_data_export_record)."""
    archive = Archive(account.customer_number)
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for module in export_modules():
            for name, chunks in module.customer_files(account):
                with zipped.open(name, "w", force_zip64=True) as out:
                    archive.files[name] = _drain(chunks, out)
        manifest = {
            "customer_number": account.customer_number,
            "created_at": timezone.localtime().isoformat(),
            "time_zone": settings.TIME_ZONE,
            "files": archive.files,
            "access_log_pages": dict(AccountAccess.Page.choices),
        }
        zipped.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return archive
