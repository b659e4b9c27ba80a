"""The pages' measurements: Recent Activity, Credit Activity and its totals, the searches, and the
credit roll-forward; each page beside its queries alone or a baseline."""

import statistics

from django.core.paginator import Paginator
from django.db import connection, transaction

from accounts.models import Account
from activity.selectors import events_for_account, keyset_page
from bench.timing import Result, _get, timed
from core.paging import OLDER, encode_cursor

# A search with exactly one match answers with the account's address (302): it ran in full.
SEARCH_ANSWERS = (200, 302)


def recent_activity(client, whale: str, repeat: int, depth: int) -> list[Result]:
    account = Account.objects.get(customer_number=whale)
    events = events_for_account(account)
    base = f"/accounts/{whale}/activity/"
    # The edge event of page `depth`: where a reader who clicked Older depth-1 times would be.
    edge = events[(depth - 1) * 25 - 1]
    cursor = encode_cursor(OLDER, edge.occurred_at, edge.id)
    results = [
        Result("Recent Activity: whale first page", "ms", timed(_get(client, base), repeat)),
        Result(
            f"Recent Activity: whale page {depth:,} by cursor",
            "ms",
            timed(_get(client, f"{base}?cursor={cursor}"), repeat),
        ),
        Result(
            "Recent Activity: two types + 30 days",
            "ms",
            timed(
                _get(
                    client,
                    f"{base}?type=email_sent&type=subscription_renewed"
                    "&date_from=2026-09-01&date_to=2026-09-30",
                ),
                repeat,
            ),
        ),
        Result(
            f"  query only: page {depth:,} by cursor",
            "ms",
            timed(lambda: keyset_page(events, cursor).events, repeat),
        ),
        Result(
            f"  query only: page {depth:,} by OFFSET (Paginator)",
            "ms",
            timed(lambda: list(Paginator(events, 25).page(depth).object_list), repeat),
            note="baseline",
        ),
    ]
    # Search inside the timeline (target <= 30 ms): a word of most events (the matches read
    # newest first), of a few types' (some thousands), and of none (its index alone).
    for label, word in (
        ("a word in most events", "premium"),
        ("a word of a few types", "postcode"),
        ("a word in none", "zqxv"),
    ):
        results.append(
            Result(
                f"Recent Activity: search, {label}",
                "ms",
                timed(_get(client, f"{base}?q={word}"), repeat),
                note="target <= 30 ms",
            )
        )
    # The account list should cost no more than the timeline's first page (within 1.25x).
    first_page = statistics.median(results[0].samples)
    for name, address in (
        ("Account list: first page", "/accounts/"),
        ("Account list: one country (SE)", "/accounts/?country=SE"),
    ):
        samples = timed(_get(client, address), repeat)
        ratio = statistics.median(samples) / first_page
        results.append(
            Result(name, "ms", samples, note=f"{ratio:.2f}x Recent Activity's first page")
        )
    return results


def credit_activity(client, email: str, repeat: int) -> list[Result]:
    return [
        Result(
            "Credit Activity: unfiltered", "ms", timed(_get(client, "/credits/activity/"), repeat)
        ),
        Result(
            "Credit Activity: filtered by account e-mail",
            "ms",
            timed(_get(client, f"/credits/activity/?account_email={email}"), repeat),
        ),
        Result(
            "Credit Activity: a year, one activity",
            "ms",
            timed(
                _get(
                    client,
                    "/credits/activity/?created_from=2025-01-01&created_to=2025-12-31"
                    "&activity=consumption",
                ),
                repeat,
            ),
        ),
    ]


# Account search and Credit Activity's text filters, over the search accounts (bench.generate).
SEARCH_NAME_PART = "nilss"  # Nilsson, Nilsen...: about 1 account in 400


def search_pages(account: int) -> list[tuple[str, str]]:
    """(row name, address) of the searches measured; `account` is one of the accounts with
    credit entries, whose e-mail, customer number and order ID are searched for."""
    from bench import generate

    return [
        (f"Account search: a name part ({SEARCH_NAME_PART})", f"/accounts/?q={SEARCH_NAME_PART}"),
        ("Account search: an e-mail", f"/accounts/?q={generate.account_email(account)}"),
        ("Account search: a customer number", f"/accounts/?q={generate.customer_number(account)}"),
        ("Account search: an order ID", f"/accounts/?q={generate.order_id(account)}"),
        ("Account search: a term that matches nothing", "/accounts/?q=zzqx"),
        (
            f"Credit Activity: account name contains {SEARCH_NAME_PART}",
            f"/credits/activity/?account_name={SEARCH_NAME_PART}",
        ),
        (
            "Credit Activity: subscription name contains sport",
            "/credits/activity/?subscription_name=sport",
        ),
    ]


def search(client, account: int, repeat: int) -> list[Result]:
    """Each search with the trigram indexes, and the same without them: they are dropped in a
    transaction, measured, and the transaction rolled back (which restores them unbuilt)."""
    from bench.generate import trigram_indexes

    pages = search_pages(account)
    results = [
        Result(name, "ms", timed(_get(client, url, SEARCH_ANSWERS), repeat), note="target <= 30 ms")
        for name, url in pages
    ]
    with transaction.atomic():
        with connection.cursor() as cursor:
            for name, _definition in trigram_indexes():
                cursor.execute(f'DROP INDEX "{name}"')
        for result, (_name, url) in zip(results, pages, strict=True):
            result.baseline = statistics.median(
                timed(_get(client, url, SEARCH_ANSWERS), max(repeat // 4, 1))
            )
            result.note = f"without trigram indexes: {result.baseline:,.1f} ms; {result.note}"
        transaction.set_rollback(True)
    return results


# The credit roll-forward: a month of the ledger (bench.generate spreads every wallet's entries
# over START..END, so any month holds about 1/46 of them).
ROLLFORWARD_MONTH = ("2026-09-01", "2026-09-30")
LEDGER_SUM_SQL = (
    "SELECT credit_type, currency, SUM(amount) FROM credits_creditentry"
    " GROUP BY credit_type, currency"
)


def rollforward(client, repeat: int, account: str) -> list[Result]:
    """The Credit Balances page for a month, and its queries alone, beside the cost of summing
    every amount of the ledger once (what a roll-forward computed from sums would pay twice);
    the balances at the month's end of `account` (a customer number) and of every wallet."""
    import datetime as dt

    from credits.rollforward import Period, credit_rollforward

    first, last = ROLLFORWARD_MONTH
    period = Period(dt.date.fromisoformat(first), dt.date.fromisoformat(last))

    def ledger_sum():
        with connection.cursor() as cursor:
            cursor.execute(LEDGER_SUM_SQL)
            cursor.fetchall()

    baseline = statistics.median(timed(ledger_sum, repeat))
    return [
        Result(
            "Credit Balances: one month (page)",
            "ms",
            timed(_get(client, f"/credits/balances/?date_from={first}&date_to={last}"), repeat),
            note="target < 300 ms",
        ),
        Result(
            "  query only: the month's roll-forward",
            "ms",
            timed(lambda: credit_rollforward(period), repeat),
            note=f"SUM(amount) of the whole ledger per unit: {baseline:,.1f} ms",
            baseline=baseline,
        ),
        Result(
            "  Credit Balances: one unit's wallets (page 1)",
            "ms",
            timed(_get(client, f"/credits/balances/SEK/?date_from={first}&date_to={last}"), repeat),
        ),
        # An account's balances at the end of the month (its wallets' as-of probes), and the
        # first page of every SEK wallet then with the unit's sum (every wallet's probes).
        Result(
            "Balances at a moment: one account",
            "ms",
            timed(_get(client, f"/credits/balances/at/?on={last}&account={account}"), repeat),
            note="target <= 50 ms",
        ),
        Result(
            "Balances at a moment: every SEK wallet (page 1)",
            "ms",
            timed(_get(client, f"/credits/balances/at/?on={last}&currency=SEK"), repeat),
        ),
    ]


def totals(email: str, repeat: int) -> list[Result]:
    """The totals above Credit Activity (their queries alone), as the page computes them
    (`CreditActivityFilter.totals`): over whole wallets (no filter, or an account's) from the
    wallets' running totals, under the entries' own filters (dates, an activity, a product name)
    from the day totals; each beside the same totals aggregated from the entries."""
    from credits.filters import CreditActivityFilter
    from credits.selectors import credit_activity, credit_totals

    def page_totals(query):
        filterset = CreditActivityFilter(query or None, queryset=credit_activity())
        assert not filterset.is_bound or filterset.is_valid()
        return filterset.totals()

    results = []
    for label, query in (
        ("unfiltered", {}),
        ("by account e-mail", {"account_email": email}),
        # Inside the generated ledger's span (January 2023 to November 2026).
        ("one month", {"created_from": "2026-09-01", "created_to": "2026-09-30"}),
        ("a year", {"created_from": "2025-01-01", "created_to": "2025-12-31"}),
        ("an activity", {"activity": "consumption"}),
        ("a product name", {"subscription_name": "sport"}),
    ):
        from_entries = timed(
            lambda q=query: credit_totals(CreditActivityFilter(q, queryset=credit_activity()).qs),
            max(repeat // 4, 1),
        )
        result = Result(
            f"Credit Activity totals: {label} (queries only)",
            "ms",
            timed(lambda q=query: page_totals(q), repeat),
            note=f"from the entries: {statistics.median(from_entries):,.1f} ms; target <= 30 ms",
        )
        result.baseline = statistics.median(from_entries)
        results.append(result)
    return results
