"""The django-import-export resource for legacy Account History files.

One resource serves the admin's upload (preview, then confirm) and the management command (in
batches). It checks every row itself, so that each error names the file's column and the row's
line: a row that is malformed, has an unknown type or a bad timestamp, repeats an ID of the same
file, or names no account is invalid and is written nowhere. A row whose ID was imported before
for the same account, or for the same proprietor as the file writes it, is skipped, whatever
it says now: re-importing a file adds nothing. (An ID is unique per account, not alone.)
"""

import builtins
import datetime as dt

from django.core.exceptions import NON_FIELD_ERRORS, ImproperlyConfigured, ValidationError
from django.db.models import Q
from django.db.models.functions import Upper
from import_export import fields, resources, widgets
from import_export.formats.base_formats import CSV

from accounts.models import Account
from core.cards import mask_card_numbers
from core.personal_data import ACCOUNT_ANONYMISED
from legacy_history.csvfile import COLUMNS, check_header, read_dataset
from legacy_history.models import LegacyEntry
from legacy_history.previews import StyleFreeDiff

MAX_MESSAGE_LENGTH = 10_000
TYPES = tuple(LegacyEntry.Type.values)
TIME_EXAMPLE = "2019-05-01T23:59:59+01:00"
SHOWN = "%Y-%m-%d %H:%M:%S %Z"  # times in the admin's preview, in the site's zone


class StrippedText(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return "" if value is None else str(value).strip()


class LegacyCSV(CSV):
    """CSV read by `csvfile.read_dataset`: checks the header, keeps each row's line number."""

    def get_title(self):
        return "csv (legacy history)"

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode("utf-8-sig")
        return read_dataset(in_stream)


class LegacyEntryResource(resources.ModelResource):
    id = fields.Field(attribute="source_id", column_name="id", widget=StrippedText())
    event = fields.Field(attribute="event_name", column_name="event")
    type = fields.Field(attribute="type", column_name="type")
    message = fields.Field(attribute="message", column_name="message")
    producer = fields.Field(attribute="producer", column_name="producer")
    proprietor = fields.Field(attribute="proprietor", column_name="proprietor")
    created_at = fields.Field(
        attribute="created_at", column_name="created_at", widget=widgets.DateTimeWidget(SHOWN)
    )
    updated_at = fields.Field(
        attribute="updated_at", column_name="updated_at", widget=widgets.DateTimeWidget(SHOWN)
    )

    def get_diff_class(self) -> "builtins.type[StyleFreeDiff]":
        """The preview's diff, without inline style (legacy_history.previews)."""
        return StyleFreeDiff

    class Meta:
        model = LegacyEntry
        fields = COLUMNS
        import_id_fields = ("id",)
        use_bulk = True
        batch_size = 1000
        report_skipped = True

    def __init__(self, *, batch=None, **kwargs):
        """`batch` is the LegacyImport the new entries belong to (None for a preview)."""
        super().__init__(**kwargs)
        self.batch = batch
        # source ID -> the line it was first seen on, across all datasets of one file.
        self.seen: dict[str, int] = {}
        self.line_numbers: list[int] | None = None
        self.malformed: dict[int, str] = {}
        self.accounts_by_email: dict[str, list[int]] = {}
        self.accounts_by_number: dict[str, int] = {}
        self.anonymised: set[int] = set()
        # (source ID, account ID) and (source ID, proprietor as written, casefolded) -> the
        # entry imported before.
        self.imported: dict[tuple[str, object], LegacyEntry] = {}

    # --- the dataset ------------------------------------------------------------------------

    def before_import(self, dataset, **kwargs):
        # Datasets from csvfile carry line numbers; others (a test's) count from line 2.
        self.line_numbers = getattr(dataset, "line_numbers", None)
        self.malformed = getattr(dataset, "malformed", {})
        try:
            check_header(list(dataset.headers or []))
        except ValueError:
            del dataset[:]  # no row of a file with a wrong header is read
            raise
        self._refuse_nul_characters(dataset)
        self._load_accounts(dataset)
        self._load_imported(dataset)

    def _refuse_nul_characters(self, dataset):
        """Mark rows with a NUL character as malformed and blank the character out: PostgreSQL
        cannot store it, nor take it in a query (the lookups of IDs and accounts would fail for
        the whole file, without a line number)."""
        for index, values in enumerate(dataset):
            columns = [
                name
                for name, value in zip(dataset.headers, values, strict=True)
                if isinstance(value, str) and "\x00" in value
            ]
            if columns:
                self.malformed.setdefault(
                    index + 1,
                    f"{', '.join(columns)}: contains a NUL character, which cannot be kept.",
                )
                dataset[index] = [
                    v.replace("\x00", "") if isinstance(v, str) else v for v in values
                ]

    def _load_accounts(self, dataset):
        """The accounts the dataset's proprietors name, in one query."""
        proprietors = {str(p or "").strip() for p in dataset["proprietor"]}
        emails = {p.upper() for p in proprietors if "@" in p}
        numbers = {p for p in proprietors if p and "@" not in p}
        self.accounts_by_email, self.accounts_by_number = {}, {}
        if not emails and not numbers:
            return
        rows = (
            Account.objects.annotate(email_key=Upper("email"))
            .filter(Q(email_key__in=emails) | Q(customer_number__in=numbers))
            .values_list("pk", "email", "customer_number", "status")
        )
        self.anonymised = set()
        for pk, email, number, status in rows:
            self.accounts_by_email.setdefault(email.casefold(), []).append(pk)
            self.accounts_by_number[number] = pk
            if status == Account.Status.ANONYMISED:
                self.anonymised.add(pk)

    def _load_imported(self, dataset):
        """The dataset's rows imported before, in one query (served by the unique index on
        source ID and account)."""
        ids = {str(value or "").strip() for value in dataset["id"]}
        self.imported = {}
        for entry in LegacyEntry.objects.filter(source_id__in=ids):
            self.imported[(entry.source_id, entry.account_id)] = entry
            self.imported[(entry.source_id, entry.proprietor.casefold())] = entry

    def get_instance(self, instance_loader, row):
        """The entry this row was imported as before, if any: the same ID for the same
        account, or for the same proprietor as written (its account may have changed since)."""
        source_id = str(row.get("id") or "").strip()
        proprietor = str(row.get("proprietor") or "").strip()
        found = self.imported.get((source_id, proprietor.casefold()))
        if found is None:
            try:
                found = self.imported.get((source_id, self._account(row)))
            except ValidationError:
                return None
        return found

    def line(self, row_number: int) -> int:
        if self.line_numbers is not None:
            return self.line_numbers[row_number - 1]
        return row_number + 1

    def after_import(self, dataset, result, **kwargs):
        # Report rows by their line in the file, as the operator sees it in an editor.
        for invalid in result.invalid_rows:
            invalid.number = self.line(invalid.number)
        for error_row in result.error_rows:
            error_row.number = self.line(error_row.number)

    # --- one row ----------------------------------------------------------------------------

    def import_instance(self, instance, row, **kwargs):
        line = self.line(kwargs["row_number"])
        malformed = self.malformed.get(kwargs["row_number"])
        if malformed:
            raise ValidationError({NON_FIELD_ERRORS: [malformed]})
        source_id = self._text(row, "id", max_length=100)
        first = self.seen.setdefault(source_id, line)
        if first != line:
            raise ValidationError({"id": f"The ID “{source_id}” is already on line {first}."})
        if instance.pk is not None:
            return  # imported before: skipped without a second look
        errors: dict[str, list[str]] = {}
        values: dict[str, object] = {"source_id": source_id}
        for column, attribute, clean in (
            ("event", "event_name", lambda r: self._text(r, "event", max_length=200)),
            ("type", "type", self._type),
            ("message", "message", self._message),
            ("producer", "producer", lambda r: self._text(r, "producer", max_length=150)),
            ("proprietor", "account_id", self._account),
            ("created_at", "created_at", lambda r: self._time(r, "created_at", required=True)),
            ("updated_at", "updated_at", lambda r: self._time(r, "updated_at", required=False)),
        ):
            try:
                values[attribute] = clean(row)
            except ValidationError as exc:
                errors[column] = exc.messages
        if errors:
            raise ValidationError(errors)
        values["proprietor"] = str(row["proprietor"]).strip()
        for attribute, value in values.items():
            setattr(instance, attribute, value)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        return instance.pk is not None and not import_validation_errors

    def save_instance(self, instance, is_create, row, **kwargs):
        if kwargs.get("dry_run"):
            return  # a preview writes nothing
        if self.batch is None:
            raise ImproperlyConfigured(
                "Import through legacy_history.services.legacy_history_import."
            )
        instance.imported_by = self.batch
        super().save_instance(instance, is_create, row, **kwargs)

    # --- the columns ------------------------------------------------------------------------

    @staticmethod
    def _text(row, column: str, *, max_length: int) -> str:
        value = str(row.get(column) or "").strip()
        if not value:
            raise ValidationError({column: f"The {column} is empty."})
        if len(value) > max_length:
            raise ValidationError({column: f"At most {max_length} characters, not {len(value)}."})
        return value

    @staticmethod
    def _type(row) -> str:
        raw = str(row.get("type") or "").strip()
        value = raw.removeprefix(":").lower()
        if value not in TYPES:
            shown = f"“{raw}”" if raw else "empty"
            raise ValidationError(
                f"Unknown type {shown}; the type is one of {', '.join(TYPES)} "
                "(with or without a leading colon)."
            )
        return value

    @staticmethod
    def _message(row) -> str:
        """The old message as it was, but for card numbers: their digits are masked (all but the
        last four), since no card number may be stored."""
        value = str(row.get("message") or "")
        if len(value) > MAX_MESSAGE_LENGTH:
            raise ValidationError(f"At most {MAX_MESSAGE_LENGTH} characters, not {len(value)}.")
        return mask_card_numbers(value)

    def _account(self, row) -> int:
        proprietor = str(row.get("proprietor") or "").strip()
        if not proprietor:
            raise ValidationError("The proprietor is empty: give the account's e-mail.")
        if "@" in proprietor:
            matches = self.accounts_by_email.get(proprietor.casefold(), [])
            if len(matches) > 1:
                raise ValidationError(
                    f"{len(matches)} accounts have the e-mail “{proprietor}”; "
                    "give the customer number instead."
                )
            if not matches:
                raise ValidationError(f"No account has the e-mail “{proprietor}”.")
            return self._not_anonymised(matches[0])
        if proprietor not in self.accounts_by_number:
            raise ValidationError(f"No account has the customer number “{proprietor}”.")
        return self._not_anonymised(self.accounts_by_number[proprietor])

    def _not_anonymised(self, pk: int) -> int:
        if pk in self.anonymised:
            raise ValidationError(ACCOUNT_ANONYMISED)
        return pk

    @staticmethod
    def _time(row, column: str, *, required: bool) -> dt.datetime | None:
        raw = str(row.get(column) or "").strip()
        if not raw:
            if required:
                raise ValidationError(f"The {column} is empty.")
            return None
        try:
            value = dt.datetime.fromisoformat(raw)
        except ValueError:
            raise ValidationError(
                f"“{raw}” is not an ISO 8601 time; write it as {TIME_EXAMPLE}."
            ) from None
        if value.tzinfo is None:
            raise ValidationError(f"“{raw}” has no UTC offset; write it as {TIME_EXAMPLE}.")
        return value.astimezone(dt.UTC)


class LegacyEntryBatchResource(LegacyEntryResource):
    """The same checks without the row-by-row preview of changes, for imports that write."""

    class Meta:
        skip_diff = True
