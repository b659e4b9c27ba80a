"""Fill the benchmark database with PostgreSQL COPY (psycopg 3).

Sizes are parameters. Rows are valid for the application: event attributes follow the registry,
ledger entries carry correct sequence numbers and running balances (verify_ledger passes).
"""

import datetime as dt
import json
import random
import uuid
from decimal import Decimal

import pgtrigger
from django.db import connection, transaction

from activity.registry import EVENT_TYPES, Kind
from credits import chain

WHALE = "B0000001"
START = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def customer_number(i: int) -> str:
    return f"B{i:07d}"


def account_email(i: int) -> str:
    return f"customer{i}@bench.example.com"


def _sample_data(event_type) -> str:
    values = {
        Kind.TEXT: "Premium",
        Kind.INTEGER: 3,
        Kind.DATE: "2026-12-01",
        Kind.MONEY: {"amount": "99.00", "currency": "SEK"},
        Kind.TEXT_LIST: ["City", "Postcode"],
    }
    return json.dumps({a.key: values[a.kind] for a in event_type.attributes if a.required})


def _truncate(tables):
    # The benchmark's own database is refilled on every run: past the triggers that refuse
    # TRUNCATE of the ledger and the timeline (config.triggers).
    with pgtrigger.ignore(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def accounts(count: int, rng: random.Random) -> None:
    """`count` accounts, one product, one subscription each (subscription id = account id)."""
    _truncate(["accounts_account", "accounts_product"])
    now = dt.datetime.now(dt.UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_product"
            " (id, name, code, price, currency, period_months, is_active)"
            " VALUES (1, 'Premium', 'premium', 99.00, 'SEK', 1, true)"
        )
        raw = cursor.connection  # the psycopg 3 connection under Django's wrapper
        with raw.cursor().copy(
            "COPY accounts_account (id, customer_number, name, email, phone, street, postcode,"
            " city, country, billing_day, status, created_at, updated_at) FROM STDIN"
        ) as copy:
            for i in range(1, count + 1):
                copy.write_row(
                    (
                        i,
                        customer_number(i),
                        f"Customer {i}",
                        account_email(i),
                        "",
                        "Street 1",
                        "11122",
                        "Stockholm",
                        "SE",
                        rng.randint(1, 28),
                        "active",
                        START,
                        now,
                    )
                )
        with raw.cursor().copy(
            "COPY accounts_subscription (id, account_id, product_id, order_id, status,"
            " started_on, created_at, updated_at) FROM STDIN"
        ) as copy:
            for i in range(1, count + 1):
                copy.write_row((i, i, 1, f"ORD-B{i:07d}", "active", START.date(), now, now))
        for table in ("accounts_account", "accounts_subscription", "accounts_product"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT max(id) FROM {table}))"
            )
            # Statistics, as autovacuum would have them on a live database: without them the
            # planner guesses 1 in 200 accounts match an e-mail and walks the whole ledger.
            cursor.execute(f"ANALYZE {table}")


def events(total: int, account_count: int, whale_events: int, rng: random.Random) -> None:
    """`whale_events` for account 1, the rest spread evenly over the other accounts."""
    _truncate(["activity_activityevent"])
    types = [(t.code, _sample_data(t)) for t in EVENT_TYPES]
    span = (END - START).total_seconds()
    now = dt.datetime.now(dt.UTC)
    others = max(account_count - 1, 1)
    with connection.cursor() as cursor:
        raw = cursor.connection
        with raw.cursor().copy(
            "COPY activity_activityevent (id, account_id, subscription_id, type, occurred_at,"
            " recorded_at, actor_kind, actor_name, data, origin, message) FROM STDIN"
        ) as copy:
            for n in range(total):
                account = 1 if n < whale_events else 2 + (n % others)
                code, data = types[n % len(types)]
                at = START + dt.timedelta(seconds=rng.random() * span)
                copy.write_row(
                    (
                        uuid.UUID(int=rng.getrandbits(128), version=4),
                        account,
                        account,
                        code,
                        at,
                        now,
                        "system",
                        "System",
                        data,
                        "system",
                        "",
                    )
                )
        # Like autovacuum on a live database: statistics, hint bits and the visibility map.
        cursor.execute("VACUUM ANALYZE activity_activityevent")


LEDGER_NOTES = ("Goodwill after a missed delivery", "Billing run", '=HYPERLINK("x")', "")


def ledger(total: int, account_count: int, rng: random.Random) -> None:
    """One SEK wallet per account and `total` entries spread over them, in time order per
    wallet, with gap-free seq numbers and exact running balances (verify_ledger passes)."""
    _truncate(["credits_creditentry", "credits_creditwallet"])
    per_wallet, extra = divmod(total, account_count)
    span = (END - START).total_seconds()
    balances = {}
    # One transaction: the entries are copied before their wallets (whose balances they
    # produce), and the deferred foreign keys are checked at commit.
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.connection
        with raw.cursor().copy(
            "COPY credits_creditentry (wallet_id, account_id, subscription_id, credit_type,"
            " currency, seq, activity, gift_card, gift_card_status, amount, balance_after,"
            " transaction_id, note, created_at, actor_name, text_digest, hash) FROM STDIN"
        ) as copy:
            for account in range(1, account_count + 1):
                count = per_wallet + (1 if account <= extra else 0)
                stamps = sorted(START.timestamp() + rng.random() * span for _ in range(count))
                balance = 0
                previous = ""
                for seq, stamp in enumerate(stamps, start=1):
                    if balance < 5000 or rng.random() < 0.3:
                        activity, amount = "grant", rng.randint(5000, 50000)
                    else:
                        activity = rng.choice(("consumption", "consumption", "revocation"))
                        amount = -rng.randint(1, balance)
                    balance += amount
                    note = rng.choice(LEDGER_NOTES)
                    created_at = dt.datetime.fromtimestamp(stamp, dt.UTC)
                    digest = chain.text_digest(note, "")
                    previous = chain.entry_hash(
                        previous=previous,
                        wallet_id=account,
                        seq=seq,
                        subscription_id=None,
                        activity=activity,
                        gift_card_status="",
                        amount=Decimal(amount) / 100,
                        balance_after=Decimal(balance) / 100,
                        credit_type="currency",
                        currency="SEK",
                        created_at=created_at,
                        transaction_id=f"TX-{account}-{seq}",
                        operation_id=None,
                        text_digest=digest,
                    )
                    copy.write_row(
                        (
                            account,
                            account,
                            None,
                            "currency",
                            "SEK",
                            seq,
                            activity,
                            "",
                            "",
                            f"{amount / 100:.2f}",
                            f"{balance / 100:.2f}",
                            f"TX-{account}-{seq}",
                            note,
                            created_at,
                            "System",
                            digest,
                            previous,
                        )
                    )
                balances[account] = (balance, count, previous)
        with raw.cursor().copy(
            "COPY credits_creditwallet (id, account_id, subscription_id, credit_type, currency,"
            " balance, last_seq, last_hash, created_at) FROM STDIN"
        ) as copy:
            for account, (balance, count, last_hash) in balances.items():
                copy.write_row(
                    (
                        account,
                        account,
                        None,
                        "currency",
                        "SEK",
                        f"{balance / 100:.2f}",
                        count,
                        last_hash,
                        START,
                    )
                )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('credits_creditwallet', 'id'),"
            " (SELECT max(id) FROM credits_creditwallet))"
        )
    with connection.cursor() as cursor:  # VACUUM cannot run inside the transaction above
        cursor.execute("VACUUM ANALYZE credits_creditentry")
        cursor.execute("VACUUM ANALYZE credits_creditwallet")


def settle() -> None:
    """Write the load's dirty pages out now, so that the measurements do not pay for it."""
    from django.db import DatabaseError

    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError as exc:  # CHECKPOINT needs a superuser or pg_checkpoint
        print(f"no CHECKPOINT before measuring ({exc}); expect noisier first figures")
