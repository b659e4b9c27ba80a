"""Post a day of billing to a running server through the integration API, as a billing engine
would: for every subscription due that day, consume credit before billing
(`POST /api/v1/charges/apply-credits/`), then record what happened as System events in
batches (`POST /api/v1/events/`): the billing result, the renewal and the e-mailed receipt.

    API_TOKEN=KEY python -m bench.post_billing_day --url http://127.0.0.1:8103
    python -m bench.post_billing_day --url ... --token=KEY --date 2026-11-21 --every-subscription

(`--token=KEY` with the equals sign: a token may begin with a dash.)

The due subscriptions are read from the database the server uses (DATABASE_URL), as the
billing engine knows its own subscriptions; everything is written over HTTP only. Event IDs
and idempotency keys derive from the order ID and the date, so posting the same day again
stores nothing new (the API answers 200). Prints what was posted and the events per second of
the event batches.
"""

import argparse
import datetime as dt
import json
import os
import sys
import time
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib import error, request

# Fixed namespace: the same subscription, day and type always give the same event ID.
EVENT_NAMESPACE = uuid.UUID("5f1d9a52-3c1e-4d55-9a57-0b6c2f1e7d10")
# One subscription in FAILURE_EVERY fails to bill (decided by its order ID, so reruns agree).
FAILURE_EVERY = 25


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8103", help="the server's base URL")
    parser.add_argument("--token", default=os.environ.get("API_TOKEN"), help="or API_TOKEN")
    parser.add_argument("--date", type=dt.date.fromisoformat, default=None, help="default today")
    parser.add_argument(
        "--every-subscription",
        action="store_true",
        help="bill every active subscription, not only those whose billing day is the date",
    )
    parser.add_argument("--batch-size", type=int, default=1000, help="events per request")
    parser.add_argument("--no-charges", action="store_true", help="post the events only")
    parser.add_argument(
        "--concurrency", type=int, default=1, help="event batches in flight at once (default 1)"
    )
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("give --token or set API_TOKEN (create one with create_integration NAME)")
    if not 1 <= args.batch_size <= 1000:
        parser.error("--batch-size is 1 to 1000")
    return args


class Api:
    def __init__(self, base_url: str, token: str):
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def post(self, path: str, body: object) -> tuple[int, Any]:
        data = json.dumps(body).encode()
        req = request.Request(self.base_url + path, data=data, headers=self.headers)
        try:
            with request.urlopen(req, timeout=120) as response:
                return response.status, json.load(response)
        except error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            raise SystemExit(f"POST {path}: {exc.code} {detail[:2000]}") from None


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def due_subscriptions(day: dt.date, every: bool) -> list[dict]:
    """The active subscriptions billed on `day`: what the billing engine would read from its
    own records (here, the back-office's database)."""
    from accounts.models import Subscription

    subscriptions = Subscription.objects.filter(status=Subscription.Status.ACTIVE)
    if not every:
        subscriptions = subscriptions.filter(account__billing_day=day.day)
    rows = subscriptions.order_by("pk").values_list(
        "order_id",
        "account__customer_number",
        "account__email",
        "product__name",
        "product__price",
        "product__currency",
    )
    return [
        {
            "order_id": order_id,
            "account": customer_number,
            "email": email,
            "product": product,
            "price": price,
            "currency": currency,
        }
        for order_id, customer_number, email, product, price, currency in rows
    ]


def _event(sub: dict, day: dt.date, type_code: str, at: dt.datetime, attributes: dict) -> dict:
    return {
        "id": str(uuid.uuid5(EVENT_NAMESPACE, f"{sub['order_id']}/{day}/{type_code}")),
        "account": sub["account"],
        "subscription": sub["order_id"],
        "type": type_code,
        "occurred_at": at.isoformat(),
        "attributes": attributes,
    }


def day_events(sub: dict, day: dt.date) -> list[dict]:
    """The events of billing one subscription: success, renewal and receipt, or a failure and
    the start of dunning."""
    # The run spreads over the night (01:00-05:00 UTC); each subscription's moment derives
    # from its order ID, so that a rerun sends the very same events.
    digest = zlib.crc32(sub["order_id"].encode())
    at = dt.datetime.combine(day, dt.time(1, 0), tzinfo=dt.UTC) + dt.timedelta(
        seconds=digest % (4 * 3600)
    )
    base = {"product": sub["product"], "order_id": sub["order_id"]}
    if digest % FAILURE_EVERY == 0:
        return [
            _event(
                sub,
                day,
                "subscription_billing_success_failed",
                at,
                {**base, "dibs_response_code": "116"},
            ),
            _event(
                sub,
                day,
                "credit_control_cycle_entered",
                at + dt.timedelta(milliseconds=1),
                {"dibs_response_code": "116"},
            ),
        ]
    return [
        _event(sub, day, "subscription_billing_success", at, base),
        _event(sub, day, "subscription_renewed", at + dt.timedelta(milliseconds=1), base),
        _event(
            sub,
            day,
            "email_sent",
            at + dt.timedelta(milliseconds=2),
            {"subject": f"Your receipt for {sub['product']}", "to": sub["email"]},
        ),
    ]


def charge(api: Api, sub: dict, day: dt.date) -> tuple[int, dict]:
    """Consume the subscription's (then the account's) currency credit toward its price."""
    transaction_id = f"BILL-{sub['order_id']}-{day:%Y%m%d}"
    return api.post(
        "/api/v1/charges/apply-credits/",
        {
            "idempotency_key": transaction_id,
            "account": sub["account"],
            "subscription": sub["order_id"],
            "amount": str(sub["price"]),
            "credit_type": "currency",
            "currency": sub["currency"],
            "transaction_id": transaction_id,
        },
    )


def main(argv=None) -> int:
    args = parse(argv)
    setup_django()
    from django.utils import timezone

    day = args.date or timezone.localdate()
    api = Api(args.url, args.token)
    subscriptions = due_subscriptions(day, args.every_subscription)
    print(f"{len(subscriptions)} subscriptions to bill on {day}.")

    consumed, charged = 0, 0
    if not args.no_charges:
        started = time.perf_counter()
        for sub in subscriptions:
            status, body = charge(api, sub, day)
            charged += status == 201
            consumed += bool(body["entries"])
        seconds = time.perf_counter() - started
        print(
            f"apply-credits: {len(subscriptions)} charges ({charged} new, "
            f"{consumed} drawing on credit) in {seconds:.1f} s"
        )

    events = [e for sub in subscriptions for e in day_events(sub, day)]
    batches = [
        events[start : start + args.batch_size] for start in range(0, len(events), args.batch_size)
    ]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        statuses = list(pool.map(lambda batch: api.post("/api/v1/events/", batch)[0], batches))
    seconds = time.perf_counter() - started
    rate = len(events) / seconds if seconds else 0.0
    created = statuses.count(201)
    print(
        f"events: {len(events)} in {len(batches)} batches ({created} stored something new, "
        f"{args.concurrency} in flight) in {seconds:.2f} s = {rate:,.0f} events/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
