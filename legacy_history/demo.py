"""Demo legacy history; run by `manage.py load_demo` after the demo accounts exist.

Writes a legacy Account History file for the demo accounts (every event name the old product
logged, each several times), imports it through the same path as `import_legacy_history`, then
migrates it. Deterministic (seeded by customer number) and idempotent: a second run finds every
row imported and every mapped entry migrated, and adds nothing.
"""

import csv
import datetime as dt
import math
import random
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model

from accounts.models import Account
from core.actors import Actor
from legacy_history.csvfile import COLUMNS, read_batches, text_lines
from legacy_history.mapping import LEGACY_EVENTS, legacy_event
from legacy_history.services import legacy_history_import, legacy_history_migrate

DEMO_CUSTOMER_NUMBERS = [str(n) for n in range(100001, 100201)]
LARGE_ACCOUNT_NUMBER = "100000"
LARGE_ACCOUNT_ENTRIES = 60
MIN_ENTRIES_PER_ACCOUNT = 6
IMPORTER = "demo-admin"
HISTORY_START = dt.datetime(2018, 8, 8, 8, 0, tzinfo=dt.UTC)
HISTORY_DAYS = 1050  # up to mid-2021, when the old product was retired
OLD_AGENTS = ("jonas.ek@payway.example", "lina.strand@payway.example", "mira.aho@payway.example")
INTEGRATIONS = ("System", "System", "CProfit")
ZONES = (dt.timezone(dt.timedelta(hours=1)), dt.timezone(dt.timedelta(hours=2)), dt.UTC)

# The demo's own wording for some events; the others get a plain sentence from their name.
MESSAGES = {
    "Account created": "Account registered through the web shop.",
    "Customer number changed": "Customer number replaced after merging two duplicate accounts.",
    "Renewal date changed": "Renewal moved from the 3rd to the 18th of the month on request.",
    "Request password reset": "Password reset link requested from the sign-in page.",
    "Cancellation of subscription": "Customer cancelled by phone: moving abroad.",
    "Subscription freeze": "Subscription frozen for two months over the summer.",
    "Payment received": "Monthly payment captured by card.",
    "Payment failed, will try again": "Card declined (insufficient funds); retry in three days.",
    "Payment retry successful": "Second attempt captured the outstanding amount.",
    "Voucher redeemed": "Gift voucher for three months applied.",
    "Change credit card details": "New card registered; the old one had expired.",
    "Set marketing permissions": "Newsletter by e-mail accepted, text messages declined.",
    "Order address changed": "Delivery address updated after a move.",
    "Product distribution address changed": "Paper delivered to the summer house until August.",
    "Subscription in intermission": "Delivery paused during a long stay abroad.",
}
PERSON_TYPES = {"comment", "account", "subscription"}


def _message(name: str) -> str:
    return MESSAGES.get(name, f"{name} (as logged by the old Account History).")


def _rows_for(customer_number: str, email: str, names: list[str]) -> list[list[str]]:
    """One account's entries: `names` in time order.

    No "Account created" entry: every demo account has its own New Customer Created (from its
    creation, before this history), and that name would migrate into a second one."""
    rng = random.Random(f"legacy-{customer_number}")
    moments = sorted(HISTORY_START + dt.timedelta(days=rng.uniform(0, HISTORY_DAYS)) for _ in names)
    rows = []
    entries = zip(names, moments, strict=True)
    for k, (name, moment) in enumerate(entries):
        event = legacy_event(name)
        assert event is not None, name  # the demo writes listed names only
        if event.type in PERSON_TYPES and rng.random() < 0.6:
            producer = rng.choice(OLD_AGENTS)
        else:
            producer = rng.choice(INTEGRATIONS)
        local = moment.replace(microsecond=0).astimezone(rng.choice(ZONES))
        updated = local + dt.timedelta(hours=rng.randint(1, 48)) if k % 5 == 4 else None
        # The old exports were not consistent: show the variants the import accepts.
        proprietor = customer_number if k % 7 == 3 else email.upper() if k % 7 == 5 else email
        rows.append(
            [
                f"AH-{customer_number}-{k:03d}",
                name,
                f":{event.type}" if k % 2 == 0 else event.type,
                _message(name),
                producer,
                proprietor,
                local.isoformat(),
                updated.isoformat() if updated else "",
            ]
        )
    return rows


def build_rows(accounts: list[tuple[str, str]]) -> list[list[str]]:
    """Rows for the (customer number, e-mail) accounts, using every listed event name."""
    others = [e.name for e in LEGACY_EVENTS if e.name != "Account created"]
    rows = []
    regular = [a for a in accounts if a[0] != LARGE_ACCOUNT_NUMBER]
    per_account = max(MIN_ENTRIES_PER_ACCOUNT, math.ceil(len(others) / max(len(regular), 1)))
    for i, (number, email) in enumerate(regular):
        names = [others[(i * per_account + j) % len(others)] for j in range(per_account)]
        rows += _rows_for(number, email, names)
    for number, email in accounts:
        if number == LARGE_ACCOUNT_NUMBER:
            # Enough history left in Legacy mode to page through.
            stays = [e.name for e in LEGACY_EVENTS if e.maps_to is None]
            names = [stays[j % len(stays)] for j in range(LARGE_ACCOUNT_ENTRIES)]
            rows += _rows_for(number, email, names)
    return rows


def write_file(path: Path, rows: list[list[str]]) -> None:
    # With a byte-order mark, as spreadsheet programs write UTF-8.
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def load(*, password: str = "", stdout) -> None:
    # Only customers who were customers while the old product logged (not this month's trials).
    accounts = list(
        Account.objects.filter(customer_number__in=[LARGE_ACCOUNT_NUMBER, *DEMO_CUSTOMER_NUMBERS])
        .filter(created_at__lt=HISTORY_START)
        .order_by("customer_number")
        .values_list("customer_number", "email")
    )
    if not accounts:
        stdout.write("No demo accounts: no legacy history loaded.")
        return
    actor = get_user_model().objects.filter(username=IMPORTER).first()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "account_history_export.csv"
        write_file(path, build_rows(accounts))
        with path.open("rb") as stream:
            report = legacy_history_import(
                actor=actor or Actor.system("load_demo"),
                datasets=read_batches(text_lines(stream), batch_size=1000),
                file_name=path.name,
            )
    if not report.committed:
        errors = "; ".join(f"line {line}: {message}" for line, message in report.errors[:5])
        raise RuntimeError(f"The demo legacy file did not import: {errors}")
    migration = legacy_history_migrate()
    stdout.write(
        f"Legacy history: {report.created} entries imported ({report.skipped} already there); "
        f"{migration.migrated} migrated into the timeline, {migration.left} in Legacy mode."
    )
