"""Demo data for the accounts and their timelines; run by `manage.py load_demo`.

Deterministic (fixed seeds) and idempotent: a second run finds the demo accounts and adds
nothing. Everything goes through the services, so the timeline tells how the data came to be.
"""

import datetime as dt
import random
import unicodedata
from decimal import Decimal
from typing import TextIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from faker import Faker

from accounts import services
from accounts.models import Account, AccountAccess, Product, Subscription
from activity.services import activity_record, activity_record_bulk
from core.roles import Role

DEMO_PASSWORD = "demo-password"
DEMO_USERS = (
    # username, first name, last name, role, staff (may open the admin)
    ("demo-admin", "Alva", "Berg", Role.SYSTEM_ADMINISTRATOR, True),
    ("demo-service", "Sara", "Lind", Role.CUSTOMER_SERVICE, False),
    ("demo-sales", "Oskar", "Holm", Role.SALES_AGENT, False),
    ("demo-finance", "Maja", "Ek", Role.FINANCE, False),
)
ACCOUNT_COUNT = 200
FIRST_CUSTOMER_NUMBER = 100001
# The story: customers joined from autumn 2016 on; the old Account History product logged their
# accounts until mid-2021 (legacy_history.demo), when this back-office's timeline took over.
# Trials are new customers of the last two weeks.
FIRST_JOINED = dt.datetime(2016, 9, 1, 9, 0, tzinfo=dt.UTC)
JOINING_DAYS = 690
TIMELINE_START = dt.datetime(2021, 7, 1, 3, 0, tzinfo=dt.UTC)
ANONYMISED_NUMBER = "100201"
LARGE_ACCOUNT_NUMBER = "100000"
LOCALES = {
    "SE": ("sv_SE", "se"),
    "NO": ("no_NO", "no"),
    "DK": ("da_DK", "dk"),
    "FI": ("fi_FI", "fi"),
    "DE": ("de_DE", "de"),
    "GB": ("en_GB", "co.uk"),
}
PRODUCTS = (
    # code, name, price, currency
    ("digital-basic", "Digital Basic", "99.00", "SEK"),
    ("digital-plus", "Digital Plus", "149.00", "SEK"),
    ("premium", "Premium All Access", "249.00", "SEK"),
    ("weekend-paper", "Weekend Paper", "199.00", "SEK"),
    ("family", "Family Bundle", "299.00", "SEK"),
    ("digital-basic-eur", "Digital Basic (EUR)", "9.90", "EUR"),
    ("premium-eur", "Premium All Access (EUR)", "24.90", "EUR"),
    ("digital-basic-nok", "Digital Basic (NOK)", "99.00", "NOK"),
    ("digital-basic-gbp", "Digital Basic (GBP)", "7.99", "GBP"),
)
CURRENCY_BY_COUNTRY = {"SE": "SEK", "NO": "NOK", "DK": "SEK", "FI": "EUR", "DE": "EUR", "GB": "GBP"}
COMMENTS = (
    "Customer called about a missing delivery; explained the weekend schedule.",
    "Asked for a copy of the latest receipt, re-sent by e-mail.",
    "Wants to pause over the summer; advised to schedule the pause online.",
    "Complained about the price increase; offered the Digital Basic plan.",
    "Card expired; customer will add a new one in the app.",
    "Verified identity by phone before changing the address.",
    "Customer reports login problems; reset instructions sent.",
)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def ensure_users(password: str, stdout) -> list:
    User = get_user_model()
    users = []
    for username, first, last, role, staff in DEMO_USERS:
        user, created = User.objects.get_or_create(username=username)
        user.first_name, user.last_name = first, last
        user.email = f"{username}@example.com"
        user.is_staff = staff
        user.is_active = True
        if created:  # a second load keeps a password someone has changed since
            user.set_password(password)
        user.save()
        user.groups.set([Group.objects.get(name=role)])
        users.append(user)
    return users


def ensure_products() -> dict[str, Product]:
    products = {}
    for code, name, price, currency in PRODUCTS:
        products[code], _ = Product.objects.get_or_create(
            code=code, defaults={"name": name, "price": Decimal(price), "currency": currency}
        )
    return products


def _product_for(rng, products, currency) -> Product:
    choices = [p for p in products.values() if p.currency == currency]
    return rng.choice(choices or list(products.values()))


@transaction.atomic
def load(*, password: str = DEMO_PASSWORD, stdout: TextIO) -> list[str]:
    """Load the demo users, products and accounts; return the demo logins, one line each."""
    users = ensure_users(password, stdout)
    products = ensure_products()
    if Account.objects.filter(customer_number=str(FIRST_CUSTOMER_NUMBER)).exists():
        stdout.write("Demo accounts already present; left as they are.")
    else:
        _load_accounts(users, products, stdout)
    return [f"{username:<14} {role.value}" for username, _first, _last, role, _staff in DEMO_USERS]


def _load_accounts(users: list, products: dict[str, Product], stdout: TextIO) -> None:
    rng = random.Random(20261121)
    fakers = {country: Faker(locale) for country, (locale, _) in LOCALES.items()}
    for i, faker in enumerate(fakers.values()):
        faker.seed_instance(1000 + i)
    agent = users[1]
    today = timezone.localdate()
    history: list[dict] = []
    statuses = [s for s, _ in Subscription.Status.choices]
    for n in range(ACCOUNT_COUNT):
        country = list(LOCALES)[n % len(LOCALES)]
        faker, tld = fakers[country], LOCALES[country][1]
        first, last = faker.first_name(), faker.last_name()
        status = statuses[n % len(statuses)]
        if status == "trial":
            created = timezone.now() - dt.timedelta(
                days=rng.randint(1, 13), minutes=rng.randint(0, 1440)
            )
        else:
            created = FIRST_JOINED + dt.timedelta(
                days=rng.randint(0, JOINING_DAYS), minutes=rng.randint(0, 1440)
            )
        account = services.account_create(
            actor=None,
            customer_number=str(FIRST_CUSTOMER_NUMBER + n),
            name=f"{first} {last}",
            email=f"{_ascii(first)}.{_ascii(last)}{n}@example.{tld}".replace(" ", ""),
            phone=faker.phone_number()[:40],
            street=faker.street_address()[:200],
            postcode=faker.postcode(),
            city=faker.city()[:100],
            country=country,
            billing_day=rng.randint(1, 28),
            created_at=created,
            status=Account.Status.SUSPENDED if n % 37 == 5 else Account.Status.ACTIVE,
        )
        _add_payment_methods(rng, account, n)
        currency = CURRENCY_BY_COUNTRY[country]
        subscription = _add_subscription(rng, account, products, currency, status, created, n)
        _agent_touches(rng, subscription, products, agent, n)
        if n % 50 == 0:
            _agent_edits(account, agent, faker.city()[:100])
        history.extend(_history(rng, account, subscription, created, agent, today))
    large = _large_account(rng, products, agent, today)
    history.extend(_large_history(rng, large, agent))
    activity_record_bulk(events=history)
    _anonymised_account(users[0])
    _access_log(users)
    stdout.write(
        f"Created {ACCOUNT_COUNT + 1} demo accounts and {len(history)} timeline events "
        f"(account {LARGE_ACCOUNT_NUMBER} has {settings.DEMO_LARGE_ACCOUNT_EVENTS:,})."
    )


def _agent_touches(rng, subscription, products, agent, n):
    """Changes of mind an agent records on the phone: a cancellation or a downgrade scheduled
    and withdrawn, a pause scheduled and called off, a pause ended early."""
    if subscription.status == "active" and n % 30 == 21:
        services.subscription_schedule_cancellation(
            actor=agent,
            subscription=subscription,
            cancel_on=timezone.localdate() + dt.timedelta(days=rng.randint(10, 40)),
        )
        services.subscription_withdraw_cancellation(actor=agent, subscription=subscription)
    cheaper = [
        p
        for p in products.values()
        if p.currency == subscription.product.currency and p.price < subscription.product.price
    ]
    if subscription.status == "active" and n % 10 == 6 and cheaper:
        services.subscription_schedule_downgrade(
            actor=agent,
            subscription=subscription,
            product=cheaper[0],
            downgrade_on=timezone.localdate() + dt.timedelta(days=rng.randint(5, 25)),
        )
        services.subscription_withdraw_downgrade(actor=agent, subscription=subscription)
    if subscription.status == "active" and n % 20 == 11:
        services.subscription_schedule_pause(
            actor=agent,
            subscription=subscription,
            pause_on=timezone.localdate() + dt.timedelta(days=rng.randint(5, 20)),
            months=1,
        )
        services.subscription_cancel_scheduled_pause(actor=agent, subscription=subscription)
    if subscription.status == "paused" and n % 15 == 7:
        services.subscription_end_pause_early(actor=agent, subscription=subscription)


def _agent_edits(account: Account, agent, city: str) -> None:
    """A customer who moved and asked for another billing day: two diffs on the timeline."""
    if city != account.city:
        services.account_update_address(actor=agent, account=account, city=city)
    services.account_change_billing_day(
        actor=agent, account=account, billing_day=account.billing_day % 28 + 1
    )


def _access_log(users: list) -> None:
    """Who opened the first demo account in the last days: the agent's calls (the account,
    its Recent Activity with filters, Legacy mode, a download) and an administrator's look."""
    account = Account.objects.get(customer_number=str(FIRST_CUSTOMER_NUMBER))
    admin, agent, sales = users[0], users[1], users[2]
    now = timezone.now()
    Page = AccountAccess.Page
    visits = [
        (agent, Page.ACCOUNT, {}, 50),
        (agent, Page.RECENT_ACTIVITY, {}, 49),
        (agent, Page.RECENT_ACTIVITY, {"category": "billing", "date_from": "2026-01-01"}, 48),
        (sales, Page.ACCOUNT, {}, 30),
        (sales, Page.LEGACY_MODE, {"page": "2"}, 29),
        (agent, Page.ACTIVITY_CSV, {"type": "billing_date_changed"}, 20),
        (admin, Page.ACCOUNT, {}, 3),
    ]
    for user, page, filters, hours_ago in visits:
        services.account_access_record(
            actor=user,
            account=account,
            page=page,
            filters=filters,
            at=now - dt.timedelta(hours=hours_ago),
        )


def _anonymised_account(admin) -> None:
    """A customer who asked to be forgotten: no personal data left, and the event that says so."""
    account = services.account_create(
        actor=None,
        customer_number=ANONYMISED_NUMBER,
        name="Anonymised customer",
        email=f"anonymised-{ANONYMISED_NUMBER}@invalid.example",
        created_at=FIRST_JOINED + dt.timedelta(days=400),
        status=Account.Status.ANONYMISED,
    )
    activity_record(account=account, type="customer_anonymised", actor=admin)


def _add_payment_methods(rng, account, n):
    if n % 4 == 3:
        services.payment_method_add(
            actor=None,
            account=account,
            occurred_at=account.created_at,
            kind="klarna",
            masked_details=f"{account.email[0]}***@{account.email.split('@')[1]}",
        )
    else:
        brand = rng.choice(["Visa", "Mastercard", "American Express"])
        services.payment_method_add(
            actor=None,
            account=account,
            occurred_at=account.created_at,
            kind="card",
            brand=brand,
            masked_details=f"•••• {rng.randint(0, 9999):04d}",
            expires_on=dt.date(2027 + rng.randint(0, 3), rng.randint(1, 12), 1),
        )
    if n % 9 == 0:
        services.payment_method_add(
            actor=None,
            account=account,
            occurred_at=account.created_at,
            kind="invoice",
            masked_details="Paper invoice",
        )


def _add_subscription(rng, account, products, currency, status, created, n):
    product = _product_for(rng, products, currency)
    started = timezone.localdate(created)
    live = status in ("trial", "active", "paused")
    subscription = services.subscription_create(
        actor=None,
        account=account,
        product=product,
        order_id=f"ORD-{200000 + n}",
        started_on=started,
        status="active" if status == "paused" else status,
        ended_on=None if live else timezone.localdate() - dt.timedelta(days=rng.randint(5, 60)),
        discount_name="Welcome offer" if n % 5 == 0 else "",
        discount_occurrences=3 if n % 5 == 0 else None,
        occurred_at=created + dt.timedelta(minutes=2),
    )
    if status == "paused":
        subscription = services.subscription_activate_pause(
            actor=None, subscription=subscription, months=rng.randint(1, 3)
        )
    elif status == "active" and n % 6 == 1:
        services.subscription_schedule_cancellation(
            actor=None,
            subscription=subscription,
            cancel_on=timezone.localdate() + dt.timedelta(days=rng.randint(10, 40)),
        )
    return subscription


def _sub(subscription, **extra):
    return {"product": subscription.product.name, "order_id": subscription.order_id, **extra}


def _history(rng, account, subscription, created, agent, today) -> list[dict]:
    """Monthly billing, receipts, the odd dunning episode and a few agent touches."""
    events = []
    moment = max(created, TIMELINE_START) + dt.timedelta(days=30)
    end = timezone.now() - dt.timedelta(days=1)
    paused_until = None  # no billing while a pause runs
    if subscription.ended_on:  # an ended subscription stops billing when it ends
        end = min(end, dt.datetime.combine(subscription.ended_on, dt.time.min, tzinfo=dt.UTC))
    while moment < end:
        at = moment.replace(hour=3, minute=rng.randint(0, 59))
        base = {"account": account, "subscription": subscription}
        if paused_until is not None and at < paused_until:
            moment += dt.timedelta(days=30)
            continue
        if rng.random() < 0.08:
            code = {"dibs_response_code": rng.choice(["05", "51", "54"])}
            events += [
                dict(
                    base,
                    type="subscription_billing_success_failed",
                    occurred_at=at,
                    data=_sub(subscription, **code),
                ),
                dict(
                    base,
                    type="credit_control_cycle_entered",
                    occurred_at=at + dt.timedelta(minutes=1),
                    data=code,
                ),
                dict(
                    base,
                    type="subscription_billing_resubmission_failed",
                    occurred_at=at + dt.timedelta(days=3),
                    data=_sub(subscription, **code),
                ),
                dict(
                    base, type="credit_control_cycle_exited", occurred_at=at + dt.timedelta(days=6)
                ),
            ]
        else:
            events += [
                dict(base, type="subscription_renewed", occurred_at=at, data=_sub(subscription)),
                dict(
                    base,
                    type="subscription_billing_success",
                    occurred_at=at + dt.timedelta(seconds=40),
                    data=_sub(subscription),
                ),
                dict(
                    base,
                    type="email_sent",
                    occurred_at=at + dt.timedelta(minutes=1),
                    data={
                        "subject": f"Your receipt for {subscription.product.name}",
                        "to": account.email,
                    },
                ),
            ]
        if rng.random() < 0.12:
            events.append(
                dict(
                    account=account,
                    type="comment_added",
                    actor=agent,
                    occurred_at=at + dt.timedelta(hours=rng.randint(6, 10)),
                    data={"comment": rng.choice(COMMENTS)},
                )
            )
        if rng.random() < 0.04:
            events.append(
                dict(
                    account=account,
                    type="pause_scheduled",
                    actor=agent,
                    occurred_at=at + dt.timedelta(hours=7),
                    data=_sub(
                        subscription, pause_date=(at + dt.timedelta(days=14)).date(), months=1
                    ),
                )
            )
            events.append(
                dict(
                    base,
                    type="pause_activated",
                    occurred_at=at + dt.timedelta(days=14),
                    data=_sub(subscription, months=1),
                )
            )
            events.append(
                dict(
                    base,
                    type="pause_ended",
                    occurred_at=at + dt.timedelta(days=44),
                    data=_sub(subscription),
                )
            )
            paused_until = at + dt.timedelta(days=44)
        moment += dt.timedelta(days=30)
    # What would happen after today (the end of a late dunning episode or pause) has not yet.
    now = timezone.now()
    return [event for event in events if event["occurred_at"] <= now]


def _large_account(rng, products, agent, today):
    account = services.account_create(
        actor=None,
        customer_number=LARGE_ACCOUNT_NUMBER,
        name="Nordic Media Group AB",
        email="billing@nordicmedia.example.se",
        phone="+46 8 555 010 00",
        street="Sveavägen 44",
        postcode="111 34",
        city="Stockholm",
        country="SE",
        billing_day=1,
        created_at=FIRST_JOINED - dt.timedelta(days=120),
    )
    services.payment_method_add(
        actor=None,
        account=account,
        occurred_at=account.created_at,
        kind="invoice",
        masked_details="E-invoice (Peppol)",
    )
    return services.subscription_create(
        actor=None,
        account=account,
        product=products["premium"],
        order_id="ORD-CORP-0001",
        started_on=timezone.localdate(account.created_at),
        occurred_at=account.created_at + dt.timedelta(minutes=5),
    )


def _large_history(rng, subscription, agent) -> list[dict]:
    """A company account with thousands of seats: many events a day for three years."""
    account = subscription.account
    start = max(account.created_at, TIMELINE_START) + dt.timedelta(hours=1)
    span = (timezone.now() - dt.timedelta(hours=1) - start).total_seconds()
    events = []
    size = settings.DEMO_LARGE_ACCOUNT_EVENTS
    for i in range(size):
        at = start + dt.timedelta(seconds=span * i / size)
        kind = i % 10
        if kind in (0, 1, 2, 3):
            events.append(
                dict(
                    account=account,
                    subscription=subscription,
                    type="email_sent",
                    occurred_at=at,
                    data={
                        "subject": f"Seat invitation #{i}",
                        "to": f"seat{i}@nordicmedia.example.se",
                    },
                )
            )
        elif kind in (4, 5):
            events.append(
                dict(
                    account=account,
                    subscription=subscription,
                    type="subscription_billing_success",
                    occurred_at=at,
                    data=_sub(subscription),
                )
            )
        elif kind == 6:
            events.append(
                dict(
                    account=account,
                    subscription=subscription,
                    type="entitlements_refreshed",
                    occurred_at=at,
                    data=_sub(subscription),
                )
            )
        elif kind == 7:
            events.append(
                dict(
                    account=account,
                    type="comment_added",
                    actor=agent,
                    occurred_at=at,
                    data={"comment": rng.choice(COMMENTS)},
                )
            )
        elif kind == 8:
            events.append(
                dict(
                    account=account,
                    subscription=subscription,
                    type="subscription_renewed",
                    occurred_at=at,
                    data=_sub(
                        subscription,
                        discount_name="Volume discount",
                        discount_occurrence=i % 12 + 1,
                    ),
                )
            )
        else:
            # Extra seats bought between billing runs, paid by the account's e-invoice.
            events.append(
                dict(
                    account=account,
                    subscription=subscription,
                    type="additional_payment_made",
                    occurred_at=at,
                    data={
                        "payment_method": "E-invoice (Peppol)",
                        "amount": {"amount": f"{249 * (1 + i % 5)}.00", "currency": "SEK"},
                        "transaction_id": f"SEAT-{i:05d}",
                    },
                )
            )
    return events
