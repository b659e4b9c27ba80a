"""Staff activity: what the people who use the back-office did to their own and each other's
access — sign-ins and failed ones, lockouts and unlocks, second factors, passwords, roles and
flags. Each row says who acted, whom it concerned, what happened, when, and from which address.

Rows are never changed or deleted (a trigger refuses it on PostgreSQL): the record is evidence.
Each kind is declared once below, with the keys its details may hold and the sentence that
describes it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from core import triggers
from core.actors import MAX_ACTOR_NAME, Attributed
from core.downloads import DownloadRecord

APPEND_ONLY_TRIGGER = "staff.StaffEvent:append_only"


class Kind(models.TextChoices):
    SIGNED_IN = "signed_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    LOCKED_OUT = "locked_out", "Sign-in locked"
    UNLOCKED = "unlocked", "Sign-in unlocked"
    SECOND_FACTOR_VERIFIED = "second_factor_verified", "Second factor verified"
    SECOND_FACTOR_FAILED = "second_factor_failed", "Second-factor code refused"
    SECOND_FACTOR_ENROLLED = "second_factor_enrolled", "Second factor enrolled"
    RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated", "Recovery codes regenerated"
    SECOND_FACTOR_REMOVED = "second_factor_removed", "Second factor removed"
    SECOND_FACTOR_RESET = "second_factor_reset", "Second factor reset"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    USER_CREATED = "user_created", "User created"
    ROLES_CHANGED = "roles_changed", "Roles changed"
    STAFF_CHANGED = "staff_changed", "Staff status changed"
    SUPERUSER_CHANGED = "superuser_changed", "Superuser status changed"
    ACTIVE_CHANGED = "active_changed", "Active status changed"
    ROLE_GRANT_REQUESTED = "role_grant_requested", "Money role requested"
    ROLE_GRANT_APPROVED = "role_grant_approved", "Money role approved"
    ROLE_GRANT_REFUSED = "role_grant_refused", "Money role refused"
    ROLE_CHANGE_REFUSED = "role_change_refused", "Role change refused"
    ENROLMENT_CODE_ISSUED = "enrolment_code_issued", "Enrolment code issued"
    DECISION_REFUSED = "decision_refused", "Decision refused: not a second person"
    TIME_ZONE_CHANGED = "time_zone_changed", "Time zone changed"
    SAVED_VIEW_SAVED = "saved_view_saved", "Saved view saved"
    SAVED_VIEW_DELETED = "saved_view_deleted", "Saved view deleted"
    CUSTOMER_DATA_EXPORTED = "customer_data_exported", "Customer data exported"


def _yes_no(value: Any) -> str:
    return "yes" if value else "no"


def _names(values: Any) -> str:
    return ", ".join(str(v) for v in values or [])


def _flag(label: str) -> Callable[[dict[str, Any]], str]:
    def describe(d: dict[str, Any]) -> str:
        return f"{label}: {_yes_no(d['from'])} → {_yes_no(d['to'])}"

    return describe


def _roles(d: dict[str, Any]) -> str:
    parts = []
    if d.get("added"):
        parts.append(f"added {_names(d['added'])}")
    if d.get("removed"):
        parts.append(f"removed {_names(d['removed'])}")
    text = "Roles: " + ("; ".join(parts) or "unchanged")
    if "from" in d and "to" in d:
        # The user's roles before and after (rows written before they were kept have none).
        text += f" ({_names(d['from']) or 'none'} → {_names(d['to']) or 'none'})"
    return text


@dataclass(frozen=True)
class KindSpec:
    """What one kind's details may hold (`keys`; each required unless in `optional`) and the
    sentence the page and the CSV show for them."""

    keys: frozenset[str]
    describe: Callable[[dict[str, Any]], str]
    optional: frozenset[str] = frozenset()


SPECS: dict[str, KindSpec] = {
    Kind.SIGNED_IN: KindSpec(frozenset({"via"}), lambda d: f"Password accepted at {d['via']}"),
    Kind.SIGN_IN_FAILED: KindSpec(
        frozenset({"username", "via", "locked"}),
        lambda d: (
            f"Refused while sign-in is locked, as “{d['username']}” at {d['via']}"
            if d["locked"]
            else f"Wrong username or password, as “{d['username']}” at {d['via']}"
        ),
    ),
    Kind.LOCKED_OUT: KindSpec(
        frozenset({"username", "until"}),
        lambda d: f"Sign-in locked for “{d['username']}” and this address until {d['until']}",
    ),
    Kind.UNLOCKED: KindSpec(
        frozenset({"username", "ip", "attempts"}),
        lambda d: (
            "Failed sign-ins cleared"
            + (f" for “{d['username']}”" if d["username"] else "")
            + (f" from {d['ip']}" if d["ip"] else "")
            + ("" if d["username"] or d["ip"] else " for everyone")
            + f" ({d['attempts']} records)"
        ),
    ),
    Kind.SECOND_FACTOR_VERIFIED: KindSpec(
        frozenset({"method", "codes_left"}),
        lambda d: (
            f"Code accepted from {d['method']}"
            + (
                f" ({d['codes_left']} recovery codes left)"
                if d["method"] == "a recovery code"
                else ""
            )
        ),
        optional=frozenset({"codes_left"}),
    ),
    Kind.SECOND_FACTOR_FAILED: KindSpec(frozenset({"reason"}), lambda d: d["reason"]),
    Kind.SECOND_FACTOR_ENROLLED: KindSpec(
        frozenset({"device", "codes"}),
        lambda d: f"Enrolled {d['device']} and {d['codes']} recovery codes",
    ),
    Kind.RECOVERY_CODES_REGENERATED: KindSpec(
        frozenset({"codes"}),
        lambda d: f"{d['codes']} new recovery codes; the old ones stop working",
    ),
    Kind.SECOND_FACTOR_REMOVED: KindSpec(
        frozenset({"devices"}), lambda d: f"Removed by the user ({_names(d['devices'])})"
    ),
    Kind.SECOND_FACTOR_RESET: KindSpec(
        frozenset({"devices"}),
        lambda d: f"Removed by an administrator ({_names(d['devices']) or 'no device'})",
    ),
    Kind.PASSWORD_CHANGED: KindSpec(
        frozenset(), lambda d: "Password changed; the user's other sessions are signed out"
    ),
    Kind.USER_CREATED: KindSpec(
        frozenset({"staff", "superuser", "active"}),
        lambda d: (
            f"Created (staff {_yes_no(d['staff'])}, superuser {_yes_no(d['superuser'])},"
            f" active {_yes_no(d['active'])})"
        ),
    ),
    Kind.ROLES_CHANGED: KindSpec(
        frozenset({"added", "removed", "from", "to"}),
        _roles,
        optional=frozenset({"added", "removed", "from", "to"}),
    ),
    Kind.STAFF_CHANGED: KindSpec(frozenset({"from", "to"}), _flag("Staff status")),
    Kind.SUPERUSER_CHANGED: KindSpec(frozenset({"from", "to"}), _flag("Superuser status")),
    Kind.ACTIVE_CHANGED: KindSpec(frozenset({"from", "to"}), _flag("Active")),
    Kind.ROLE_GRANT_REQUESTED: KindSpec(
        frozenset({"role"}),
        lambda d: f"{d['role']} asked for; it waits for a second administrator's approval",
    ),
    Kind.ROLE_GRANT_APPROVED: KindSpec(
        frozenset({"role", "requested_by"}),
        lambda d: f"{d['role']} given, as {d['requested_by']} asked",
    ),
    Kind.ROLE_GRANT_REFUSED: KindSpec(
        frozenset({"role", "requested_by"}),
        lambda d: f"{d['role']} refused, which {d['requested_by']} asked for",
    ),
    Kind.ROLE_CHANGE_REFUSED: KindSpec(frozenset({"reason"}), lambda d: d["reason"]),
    Kind.DECISION_REFUSED: KindSpec(
        frozenset({"request", "reason"}), lambda d: f"{d['request']}: {d['reason']}"
    ),
    Kind.TIME_ZONE_CHANGED: KindSpec(
        frozenset({"from", "to"}), lambda d: f"Time zone: {d['from']} → {d['to']}"
    ),
    Kind.SAVED_VIEW_SAVED: KindSpec(
        frozenset({"name", "page", "shared_with"}),
        lambda d: (
            f"Saved view “{d['name']}” on {d['page']}"
            + (f", shared with {d['shared_with']}" if d["shared_with"] else "")
        ),
    ),
    Kind.SAVED_VIEW_DELETED: KindSpec(
        frozenset({"name", "page"}), lambda d: f"Saved view “{d['name']}” on {d['page']} deleted"
    ),
    Kind.CUSTOMER_DATA_EXPORTED: KindSpec(
        frozenset({"customer", "files", "rows"}),
        lambda d: (
            f"Downloaded everything held on customer {d['customer']} "
            f"({d['files']} files, {d['rows']} rows)"
        ),
    ),
    Kind.ENROLMENT_CODE_ISSUED: KindSpec(
        frozenset({"expires"}),
        lambda d: f"A one-time code to set up a second factor, valid until {d['expires']}",
    ),
}


class StaffEventQuerySet(models.QuerySet):
    def newest_first(self) -> "StaffEventQuerySet":
        return self.order_by("-occurred_at", "-id")


class StaffEvent(Attributed):
    """One thing a person (or the system) did to a user's access. `actor`/`actor_name` is who
    acted; `subject`/`subject_name` whom it concerned (for a failed sign-in: the username typed,
    which may name nobody)."""

    occurred_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=40, choices=Kind)
    # No database constraint: a user may be deleted while their record stays.
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    subject_name = models.CharField("username", max_length=MAX_ACTOR_NAME, blank=True)
    details = models.JSONField(default=dict, blank=True)
    address = models.GenericIPAddressField("from address", null=True, blank=True)

    objects = StaffEventQuerySet.as_manager()

    # Personal data, field by field (core.personal_data): the staff member's own, not a
    # customer's, so a customer's erasure touches none of it; the address goes after
    # RETENTION_DAYS (purge_retention), who did what and when stays.
    PERSONAL_DATA = {"address": "removed after RETENTION_DAYS (purge_retention)"}
    NO_PERSONAL_DATA = ("kind", "subject_name", "details", "actor_name")
    RETENTION = {"address": lambda: None}
    RETENTION_DATE = "occurred_at"

    class Meta:
        ordering = ["-occurred_at", "-id"]
        default_permissions = ("view",)
        permissions = [
            ("export_staffevent", "Can download staff activity as CSV"),
            # Held by the roles of config.roles.SECOND_FACTOR_ROLES (see there).
            ("sign_in_with_second_factor", "Must sign in with a second factor"),
        ]
        indexes = [
            models.Index(fields=["-occurred_at", "-id"], name="staffevent_time_idx"),
            models.Index(fields=["subject", "-occurred_at"], name="staffevent_subject_idx"),
            models.Index(fields=["kind", "-occurred_at"], name="staffevent_kind_idx"),
        ]
        triggers = [triggers.append_only(), triggers.no_truncate()]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} · {self.subject_name} · {self.occurred_at:%Y-%m-%d %H:%M}"
        )

    @property
    def description(self) -> str:
        """The sentence that says what happened (the page's and the CSV's "What")."""
        spec = SPECS.get(self.kind)
        if spec is None:
            return self.get_kind_display()
        try:
            return spec.describe(self.details)
        except (KeyError, TypeError):
            # A row written before its kind's details changed still shows something.
            return self.get_kind_display()


class StaffActivityExport(DownloadRecord):
    """One CSV download of the staff activity (see DownloadRecord)."""

    # Personal data, field by field (core.personal_data).
    PERSONAL_DATA = {"filters": "all values removed after RETENTION_DAYS"}
    NO_PERSONAL_DATA = ("actor_name",)

    class Meta(DownloadRecord.Meta):
        verbose_name = "staff activity download"


class EnrolmentCode(models.Model):
    """A one-time code an administrator gives a user of a second-factor role, out of band, to
    set up their second factor with: a password alone does not complete enrolment. Kept as a
    hash; shown once, when issued; expires; used once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolment_codes"
    )
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    issued_by_name = models.CharField(max_length=150)
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    # Personal data, field by field (core.personal_data): staff, not customers.
    PERSONAL_DATA: dict[str, str] = {}
    NO_PERSONAL_DATA = ("code_hash", "issued_by_name")

    class Meta:
        ordering = ["-issued_at", "-id"]
        default_permissions = ("view",)
        triggers = [triggers.no_truncate()]

    def __str__(self) -> str:
        return f"Enrolment code for {self.user} ({self.issued_at:%Y-%m-%d %H:%M})"


class Preferences(Attributed):
    """One user's own settings: the time zone pages, filters and CSV files use for them (empty:
    the site's `TIME_ZONE`), and the columns they hide, per page. `actor` is who changed them
    last. Read once per session (at sign-in) and kept in the session, so that no page reads
    this row."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences"
    )
    time_zone = models.CharField(max_length=64, blank=True)
    # {page code: [column names hidden]}; a column added to a page later shows.
    hidden_columns = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    # Personal data, field by field (core.personal_data): staff, not customers.
    PERSONAL_DATA: dict[str, str] = {}
    NO_PERSONAL_DATA = ("time_zone", "hidden_columns", "actor_name")

    class Meta:
        verbose_name = "user preferences"
        verbose_name_plural = "user preferences"
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"Preferences of {self.user}"


class SavedView(Attributed):
    """The filters of a list page saved under a name by `actor` (its owner), for themselves or
    shared with one role. `page` is a code of core.savedviews; `query` the filters as they were
    (checked again whenever the view is opened: types and filters change)."""

    page = models.CharField(max_length=40)
    name = models.CharField(max_length=80)
    query = models.TextField(blank=True)
    shared_with = models.ForeignKey(
        "auth.Group", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    # Personal data, field by field (core.personal_data): a filter may hold a customer's name
    # or e-mail as typed; the view is the staff member's own and deleted with it.
    PERSONAL_DATA = {"query": "the filters as typed; deleted with the view"}
    NO_PERSONAL_DATA = ("page", "name", "actor_name")

    class Meta:
        ordering = ["name", "id"]
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(
                fields=["actor", "page", "name"], name="savedview_one_name_per_owner_page"
            )
        ]
        indexes = [models.Index(fields=["page", "shared_with"], name="savedview_shared_idx")]

    def __str__(self) -> str:
        return self.name
