"""Fill the benchmark database with PostgreSQL COPY (psycopg 3).

Sizes are parameters. Rows are valid for the application: event attributes follow the registry,
ledger entries carry correct sequence numbers and running balances (verify_ledger passes).
"""

import datetime as dt
import functools
import json
import random
import unicodedata
import uuid
from decimal import Decimal

import pgtrigger
from django.db import connection, transaction
from django.utils.text import slugify

from activity.registry import EVENT_TYPES, Kind
from activity.verification import counts_rebuild
from core import partitions
from credits import chain
from credits.services import day_totals, wallet_months

WHALE = "B0000001"
START = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def customer_number(i: int) -> str:
    return f"B{i:07d}"


# Names as the demo's six countries write them, from Faker's lists: a search by a name part
# then matches about as many accounts as it would in a real customer base.
NAME_LOCALES = ("sv_SE", "no_NO", "da_DK", "fi_FI", "de_DE", "en_GB")
PRODUCT_NAMES = (
    "Digital Basic",
    "Digital Plus",
    "Premium All Access",
    "Weekend Paper",
    "Family Bundle",
    "Sport Extra",
)
# One subscription in SUBSCRIPTION_WALLET_EVERY has its own wallet (the others' credit is the
# account's), so that the Credit Activity page has entries to find by subscription name.
SUBSCRIPTION_WALLET_EVERY = 3


@functools.cache
def _name_pools() -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    import importlib

    pools = []
    for locale in NAME_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        pools.append((tuple(provider.first_names), tuple(provider.last_names)))
    return tuple(pools)


def _mix(i: int, salt: int) -> int:
    """A fixed pseudo-random number for account `i` (Knuth's multiplicative hash)."""
    return ((i * 2654435761 + salt * 40503) % 2**32) >> 7


def _name_parts(i: int) -> tuple[str, str]:
    pools = _name_pools()
    firsts, lasts = pools[_mix(i, 1) % len(pools)]
    return firsts[_mix(i, 2) % len(firsts)], lasts[_mix(i, 3) % len(lasts)]


def account_name(i: int) -> str:
    first, last = _name_parts(i)
    return f"{first} {last}"


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "".join(c for c in plain if c.isalnum() or c == "-")


def account_email(i: int) -> str:
    first, last = _name_parts(i)
    return f"{_ascii(first)}.{_ascii(last)}{i}@bench.example.com"


def order_id(i: int) -> str:
    return f"ORD-B{i:07d}"


def product_id(i: int) -> int:
    return 1 + _mix(i, 4) % len(PRODUCT_NAMES)


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
    # TRUNCATE of the ledger and the timeline (core.triggers). In a transaction: on a Citus
    # coordinator the ignore list is a SET LOCAL, which reaches the workers only inside one.
    with transaction.atomic(), pgtrigger.ignore(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def accounts(count: int, rng: random.Random) -> None:
    """`count` accounts with one subscription each (subscription id = account id), over the
    products of PRODUCT_NAMES."""
    _truncate(["accounts_account", "accounts_product"])
    with connection.cursor() as cursor:
        cursor.cursor.executemany(
            "INSERT INTO accounts_product"
            " (id, name, code, price, currency, period_months, is_active)"
            " VALUES (%s, %s, %s, 99.00, 'SEK', 1, true)",
            [(n, name, slugify(name)) for n, name in enumerate(PRODUCT_NAMES, start=1)],
        )
    _copy_accounts(1, count, rng)


def search_accounts(total: int, rng: random.Random) -> None:
    """More accounts after the first ones, up to `total`, for the search measurements.

    The trigram indexes are dropped while the rows are copied and built again after (building
    a GIN index at once is many times faster than growing it row by row)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM accounts_account")
        first = cursor.fetchone()[0] + 1
    if first > total:
        return
    indexes = trigram_indexes()
    with connection.cursor() as cursor:
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    _copy_accounts(first, total, rng)
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        cursor.execute("RESET maintenance_work_mem")
        for table in ("accounts_account", "accounts_subscription"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def trigram_indexes() -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of every pg_trgm index of the accounts' tables: the
    account search's (not the timeline's or Legacy mode's search indexes)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_class t ON t.oid = i.indrelid"
            " JOIN pg_opclass o ON o.oid = ANY(i.indclass::oid[])"
            " WHERE o.opcname = 'gin_trgm_ops' AND c.relnamespace = 'public'::regnamespace"
            " AND t.relname LIKE 'accounts\\_%%'"
            " ORDER BY 1"
        )
        return cursor.fetchall()


def _copy_accounts(first: int, last: int, rng: random.Random) -> None:
    now = dt.datetime.now(dt.UTC)
    with connection.cursor() as cursor:
        raw = cursor.connection  # the psycopg 3 connection under Django's wrapper
        with raw.cursor().copy(
            "COPY accounts_account (id, customer_number, name, email, phone, street, postcode,"
            " city, country, billing_day, status, created_at, updated_at) FROM STDIN"
        ) as copy:
            for i in range(first, last + 1):
                copy.write_row(
                    (
                        i,
                        customer_number(i),
                        account_name(i),
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
            for i in range(first, last + 1):
                copy.write_row((i, i, product_id(i), order_id(i), "active", START.date(), now, now))
        for table in ("accounts_account", "accounts_subscription", "accounts_product"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT max(id) FROM {table}))"
            )
            # Statistics, as autovacuum would have them on a live database: without them the
            # planner guesses 1 in 200 accounts match an e-mail and walks the whole ledger.
            cursor.execute(f"ANALYZE {table}")


def _months_of_span(label: str) -> None:
    """Each month of the span in a partition of its own (core.partitions), not the default one."""
    for spec in partitions.configured():
        if spec.label == label and partitions.is_partitioned(connection, spec.table):
            partitions.ensure(spec, partitions.months_between(START, END))


def events(total: int, account_count: int, whale_events: int, rng: random.Random) -> None:
    """`whale_events` for account 1, the rest spread evenly over the other accounts."""
    _truncate(["activity_activityevent"])
    types = [(t.code, _sample_data(t)) for t in EVENT_TYPES]
    span = (END - START).total_seconds()
    now = dt.datetime.now(dt.UTC)
    others = max(account_count - 1, 1)
    _months_of_span("activity.ActivityEvent")
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
    # COPY went past the services, which count each event into its month: count them all.
    counts_rebuild()
    with connection.cursor() as cursor:
        # Like autovacuum on a live database: statistics, hint bits and the visibility map.
        cursor.execute("VACUUM ANALYZE activity_activityevent")
        cursor.execute("VACUUM ANALYZE activity_eventmonthcount")


LEDGER_NOTES = ("Goodwill after a missed delivery", "Billing run", '=HYPERLINK("x")', "")


def ledger(total: int, account_count: int, rng: random.Random) -> None:
    """One SEK wallet per account (every third one its subscription's) and `total` entries
    spread over them, in time order per wallet, with gap-free seq numbers and exact running
    balances (verify_ledger passes)."""
    _truncate(
        [
            "credits_creditallocation",
            "credits_creditlot",
            "credits_creditwalletmonth",
            "credits_creditentry",
            "credits_creditwallet",
        ]
    )
    _months_of_span("credits.CreditEntry")
    per_wallet, extra = divmod(total, account_count)
    span = (END - START).total_seconds()
    balances = {}
    # One transaction: the entries are copied before their wallets (whose balances they
    # produce), and the deferred foreign keys are checked at commit.
    key_id, key = chain.signing_key()
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.connection
        with raw.cursor().copy(
            "COPY credits_creditentry (wallet_id, account_id, subscription_id, credit_type,"
            " currency, seq, activity, gift_card, gift_card_status, amount, balance_after,"
            " transaction_id, note, created_at, actor_name, text_digest, hash, key_id)"
            " FROM STDIN"
        ) as copy:
            for account in range(1, account_count + 1):
                count = per_wallet + (1 if account <= extra else 0)
                subscription = _wallet_subscription(account)
                stamps = sorted(START.timestamp() + rng.random() * span for _ in range(count))
                balance = added = 0
                previous = ""
                for seq, stamp in enumerate(stamps, start=1):
                    if balance < 5000 or rng.random() < 0.3:
                        activity, amount = "grant", rng.randint(5000, 50000)
                    else:
                        activity = rng.choice(("consumption", "consumption", "revocation"))
                        amount = -rng.randint(1, balance)
                    balance += amount
                    added += max(amount, 0)
                    note = rng.choice(LEDGER_NOTES)
                    created_at = dt.datetime.fromtimestamp(stamp, dt.UTC)
                    digest = chain.text_digest(note, "")
                    previous = chain.entry_hash(
                        previous=previous,
                        wallet_id=account,
                        seq=seq,
                        subscription_id=subscription,
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
                        key=key,
                    )
                    copy.write_row(
                        (
                            account,
                            account,
                            subscription,
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
                            key_id,
                        )
                    )
                balances[account] = (balance, added, count, previous)
        with raw.cursor().copy(
            "COPY credits_creditwallet (id, account_id, subscription_id, credit_type, currency,"
            " balance, added, removed, last_seq, last_hash, created_at) FROM STDIN"
        ) as copy:
            for account, (balance, added, count, last_hash) in balances.items():
                copy.write_row(
                    (
                        account,
                        account,
                        _wallet_subscription(account),
                        "currency",
                        "SEK",
                        f"{balance / 100:.2f}",
                        f"{added / 100:.2f}",
                        f"{(balance - added) / 100:.2f}",
                        count,
                        last_hash,
                        START,
                    )
                )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('credits_creditwallet', 'id'),"
            " (SELECT max(id) FROM credits_creditwallet))"
        )
        # Each wallet's balance as one opening lot (paid, no expiry), as the migration that
        # introduced lots made for balances older than them: the balance is its lots' sum.
        with raw.cursor().copy(
            "COPY credits_creditlot (wallet_id, account_id, credit_type, currency, kind,"
            " amount, remaining, created_at) FROM STDIN"
        ) as copy:
            for account, (balance, _added, _count, _hash) in balances.items():
                if balance > 0:
                    held = f"{balance / 100:.2f}"
                    copy.write_row((account, account, "currency", "SEK", "paid", held, held, END))
    # COPY went past the services, which count each entry into its day total: count them all.
    day_totals.rebuild()
    wallet_months.rebuild()
    with connection.cursor() as cursor:  # VACUUM cannot run inside the transaction above
        cursor.execute("VACUUM ANALYZE credits_creditentry")
        cursor.execute("VACUUM ANALYZE credits_creditwallet")
        cursor.execute("VACUUM ANALYZE credits_creditlot")
        cursor.execute("VACUUM ANALYZE credits_creditdaytotal")
        cursor.execute("VACUUM ANALYZE credits_creditwalletmonth")


def _wallet_subscription(account: int) -> int | None:
    """The subscription whose wallet is the account's one wallet, or None (its own)."""
    return account if account % SUBSCRIPTION_WALLET_EVERY == 0 else None


def settle() -> None:
    """Statistics of every table as they are now, and the load's dirty pages written out, so
    that the measurements pay for neither. Autovacuum may be off, or may not have reached a table
    yet: a table written since its last ANALYZE (the previous run's allocations of
    `apply_credits`) was planned from no statistics at all, a hash join over every credit lot
    in Credit Activity's page (5.7 ms where the index takes 0.1)."""
    from django.db import DatabaseError

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError as exc:  # CHECKPOINT needs a superuser or pg_checkpoint
        print(f"no CHECKPOINT before measuring ({exc}); expect noisier first figures")
