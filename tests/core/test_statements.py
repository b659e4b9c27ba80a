"""Rows streamed by COPY (core.statements.copy_in) are stored as Django's own insert stores
them, and a refusal reaches the caller as Django's error."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from activity.models import ActivityEvent
from activity.services import build_event
from core.actors import Actor
from core.statements import Prepared, copy_in
from credits.models import CreditAllocation
from tests.factories import AccountFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db

STORED = [f.attname for f in ActivityEvent._meta.concrete_fields if not f.generated]


def events(account, subscription):
    when = dt.datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    return [
        build_event(
            account=account,
            type="email_sent",
            occurred_at=when,
            data={"subject": "Kvitto för mars — “välkommen” \\ tab\there", "to": "a@example.com"},
            origin=ActivityEvent.Origin.API,
            actor=Actor.integration("Billing"),
        ),
        build_event(
            account=account,
            type="comment_added",
            actor=Actor.named("Karin Nilsson"),
            occurred_at=when - dt.timedelta(days=400),
            subscription=subscription,
            data={"comment": "Line one\nline two, with a NULL-looking \\N and a comma"},
            message="",
        ),
    ]


def search_text(event) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_text FROM activity_activityevent WHERE id = %s", [event.pk])
        return cursor.fetchone()[0]


def test_copied_rows_read_back_as_a_bulk_insert_stores_them():
    account = AccountFactory()
    subscription = SubscriptionFactory(account=account)
    copied, inserted = events(account, subscription), events(account, subscription)
    for event in inserted:
        event.id = uuid.uuid4()

    copy_in(copied)
    ActivityEvent.objects.bulk_create(inserted)

    assert all(not event._state.adding for event in copied)
    for ours, django in zip(copied, inserted, strict=True):
        a = ActivityEvent.objects.filter(pk=ours.pk).values(*STORED).get()
        b = ActivityEvent.objects.filter(pk=django.pk).values(*STORED).get()
        assert a.pop("id") == ours.id and b.pop("id") == django.id
        assert a.pop("recorded_at") == ours.recorded_at and b.pop("recorded_at")
        assert a == b
        assert a["data"] == ours.data and a["occurred_at"] == ours.occurred_at
        # The database's own column, computed from the copied row as from the inserted one.
        assert search_text(ours) == search_text(django) != ""


@pytest.mark.single_node("a Citus coordinator reports a COPY's duplicate key as XX000")
def test_a_key_already_stored_is_djangos_integrity_error_and_nothing_is_stored():
    account = AccountFactory()
    first, second = events(account, None)
    copy_in([first])
    again = build_event(
        account=account, type="email_sent", data={"subject": "Again", "to": "a@example.com"}
    )
    again.id, again.occurred_at = first.id, first.occurred_at

    with pytest.raises(IntegrityError), transaction.atomic():
        copy_in([second, again])

    assert ActivityEvent.objects.filter(account=account).count() == 1


def test_values_django_prepares_are_prepared():
    # Decimal amounts and a model without a generated column, whose row holds no text at all.
    from credits.services import apply_credits, credit_grant

    account = AccountFactory()
    credit_grant(actor=None, account=account, amount="10", credit_type="currency", currency="SEK")
    apply_credits(
        account=account, amount="2.5", credit_type="currency", currency="SEK", transaction_id="T"
    )
    allocation = CreditAllocation.objects.get(account=account)
    copy = CreditAllocation(
        **{
            f.attname: getattr(allocation, f.attname)
            for f in CreditAllocation._meta.concrete_fields
        }
    )
    copy.pk = None
    with pytest.raises(ValueError, match="primary key is set"):
        copy_in([copy])
    copy.pk = 10**9
    copy.amount = Decimal("-0.0001")
    with transaction.atomic():
        copy_in([copy])
        assert CreditAllocation.objects.get(pk=10**9).amount == Decimal("-0.0001")
        transaction.set_rollback(True)


def test_nothing_to_copy_sends_nothing_and_a_copy_counts_as_one_query(
    django_assert_num_queries,
):
    with django_assert_num_queries(0):
        copy_in([])
    account = AccountFactory()
    with django_assert_num_queries(1) as captured:
        copy_in(events(account, None))
    assert captured.captured_queries[0]["sql"].startswith('COPY "activity_activityevent"')
    assert captured.captured_queries[0]["sql"].endswith("(2 rows)")


def test_a_prepared_query_reads_what_its_queryset_reads_with_each_calls_values():
    from accounts.models import Account

    first, second = AccountFactory(country="SE"), AccountFactory(country="NO")
    named = Prepared(
        lambda number, country: Account.objects.filter(customer_number=number, country=country),
        number="\x00number",
        country="\x00country",
    )

    assert named(number=first.customer_number, country="SE") == [first]
    assert named(number=second.customer_number, country="NO") == [second]
    assert named(number=second.customer_number, country="SE") == []


def test_a_sentinel_that_is_not_exactly_one_parameter_is_refused():
    from accounts.models import Account

    twice = Prepared(
        lambda number: Account.objects.filter(customer_number=number, email=number),
        number="\x00number",
    )
    with pytest.raises(ValueError, match="one parameter"):
        twice(number="A1")
