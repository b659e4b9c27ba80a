"""One paging policy for every table: at most 100 rows a page, nonsense ignored, never a 500;
one keyset cursor for the timeline and every API list."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import Account
from core.paging import (
    PER_PAGE,
    CappedPaginator,
    InvalidCursor,
    keyset_page,
    page_number,
    page_size,
    requested_size,
)
from credits.models import CreditEntry
from credits.services import credit_grant
from tests.factories import AccountFactory


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, 1), ("", 1), ("1", 1), ("27", 27), (" 3 ", 3), ("999999999", 999999999)]
    + [(bad, None) for bad in ("0", "-1", "1.5", "1e9", "abc", "\x00", "9" * 10, "٣")],
)
def test_page_numbers(raw, expected):
    assert page_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, PER_PAGE), ("10", 10), ("100", 100), ("101", PER_PAGE), ("0", PER_PAGE)]
    + [(bad, PER_PAGE) for bad in ("-1", "1e3", "10000", "200000", "abc", "\x00", "9" * 40)],
)
def test_page_sizes_are_capped_and_nonsense_ignored(raw, expected):
    assert page_size(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [(None, None), ("", None), (" 7 ", 7), ("100", 100)])
def test_a_requested_size_is_a_whole_number_within_the_cap(raw, expected):
    assert requested_size(raw) == expected


@pytest.mark.parametrize("bad", ["0", "101", "-1", "1e3", "abc", "\x00", "9" * 40, "٣"])
def test_a_bad_requested_size_is_refused_for_the_api_to_say_so(bad):
    with pytest.raises(ValueError):
        requested_size(bad)


@pytest.mark.django_db
def test_a_capped_paginator_counts_no_further_than_its_cap():
    AccountFactory.create_batch(5)
    accounts = Account.objects.all()
    assert CappedPaginator(accounts, 2, cap=3).count == 4
    assert CappedPaginator(accounts, 2, cap=3).capped
    assert CappedPaginator(accounts, 2, cap=3).num_pages == 2
    assert CappedPaginator(accounts, 2, cap=5).count == 5
    assert not CappedPaginator(accounts, 2, cap=5).capped


@pytest.mark.django_db
def test_a_keyset_walks_every_row_once_each_way_through_ties():
    """30 entries, 20 of them at one time: older to the end, then newer back."""
    account = AccountFactory()
    tied = timezone.now() - dt.timedelta(days=1)
    for number in range(30):
        credit_grant(
            actor=None,
            account=account,
            amount=str(number + 1),
            credit_type="currency",
            currency="SEK",
            transaction_id=f"TX-{number}",
            created_at=tied if number < 20 else None,
        )
    entries = CreditEntry.objects.filter(account=account)
    expected = list(entries.order_by("-created_at", "-pk").values_list("pk", flat=True))
    assert entries.filter(created_at=tied).count() == 20

    seen, pages, cursor = [], [], None
    while True:
        page = keyset_page(entries, cursor, size=7, time="created_at")
        pages.append([row.pk for row in page.rows])
        seen += pages[-1]
        if page.older_cursor is None:
            break
        cursor = page.older_cursor
    assert seen == expected
    assert [len(rows) for rows in pages] == [7, 7, 7, 7, 2]

    # From the oldest page, "newer" leads back through every row.
    back = [pages[-1]]
    cursor = page.newer_cursor
    while cursor:
        page = keyset_page(entries, cursor, size=7, time="created_at")
        back.append([row.pk for row in page.rows])
        cursor = page.newer_cursor
    assert [pk for rows in reversed(back) for pk in rows] == expected


@pytest.mark.parametrize("cursor", ["garbage", "bz0xJnA9MjAyNg", "bnwyMDI2LTA2LTAxfA"])
def test_a_malformed_keyset_cursor_is_refused(db, cursor):
    with pytest.raises(InvalidCursor):
        keyset_page(CreditEntry.objects.all(), cursor, time="created_at")
