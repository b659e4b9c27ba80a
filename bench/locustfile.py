"""The load of a working day, without think time, for `make loadtest` (bench/loadtest.py runs
it once per step).

Agents search, open accounts, page Recent Activity and add comments; Finance filters Credit
Activity and downloads CSVs; an integration posts batches of events. Each user sends its next
request as soon as the last one is answered. The signed-in sessions (one per user, made before
the measured window), the accounts and the token come from the file bench/loadtest.py writes
(LOADTEST_FIXTURE). A request counts as failed unless it is answered with the page itself (a
redirect to the sign-in or second-factor page is a failure, not a fast page).
"""

import itertools
import json
import os
import random
import re
from typing import Any
from urllib.parse import urlencode

from locust import FastHttpUser, constant, task

with open(os.environ["LOADTEST_FIXTURE"]) as file:
    FIXTURE = json.load(file)
ACCOUNTS: list[str] = FIXTURE["accounts"]
NAME_PARTS: list[str] = FIXTURE["name_parts"]
TOKEN: str = FIXTURE["token"]
SESSIONS: dict[str, list[dict[str, str]]] = FIXTURE["sessions"]
OLDER = re.compile(r'href="\?([^"]*cursor=[^"]+)"[^>]*>\s*Older')
NEXT = itertools.count()


class SignedIn(FastHttpUser):
    abstract = True
    wait_time = constant(0)
    role = ""

    def on_start(self) -> None:
        pool = SESSIONS[self.role]
        self.cookies = pool[next(NEXT) % len(pool)]
        self.headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def page(
        self, path: str, name: str, params: dict[str, str] | None = None, *, to_account=False
    ) -> Any:
        """GET a page; it must answer 200 (or, with `to_account`, may send to an account
        page, as a search with one match does)."""
        url = f"{path}?{urlencode(params)}" if params else path
        with self.client.get(
            url, name=name, headers=self.headers, allow_redirects=False, catch_response=True
        ) as response:
            location = response.headers.get("Location", "")
            found_one = (
                to_account and response.status_code == 302 and location.startswith("/accounts/")
            )
            if response.status_code != 200 and not found_one:
                response.failure(f"{response.status_code} {location}")
            return response


class Agent(SignedIn):
    weight = 6
    role = "agent"

    @task(4)
    def search(self) -> None:
        self.page("/accounts/", "account search", {"q": random.choice(NAME_PARTS)}, to_account=True)

    @task(3)
    def open_account(self) -> None:
        self.page(f"/accounts/{random.choice(ACCOUNTS)}/", "account page")

    @task(4)
    def page_recent_activity(self) -> None:
        base = f"/accounts/{random.choice(ACCOUNTS)}/activity/"
        response = self.page(base, "Recent Activity")
        for _ in range(random.randint(0, 3)):
            older = OLDER.search(response.text or "")
            if not older:
                break
            query = older.group(1).replace("&amp;", "&")
            response = self.page(f"{base}?{query}", "Recent Activity, older page")

    @task(1)
    def add_comment(self) -> None:
        number = random.choice(ACCOUNTS)
        with self.client.post(
            f"/accounts/{number}/activity/comment/",
            data=urlencode(
                {
                    "comment": "Called the customer about the invoice.",
                    "csrfmiddlewaretoken": self.cookies["csrftoken"],
                }
            ),
            headers={
                **self.headers,
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"{self.host}/accounts/{number}/",
            },
            allow_redirects=False,
            catch_response=True,
            name="add comment",
        ) as response:
            if response.status_code != 302 or "/login/" in response.headers.get("Location", ""):
                response.failure(f"{response.status_code} {response.headers.get('Location', '')}")


class Finance(SignedIn):
    weight = 2
    role = "finance"

    @task(4)
    def filter_credit_activity(self) -> None:
        filters = random.choice(
            [
                {},
                {"activity": "consumption"},
                {"type": "currency", "created_from": "2026-01-01"},
                {"account_name": random.choice(NAME_PARTS)},
                {"subscription_name": "digital"},
            ]
        )
        self.page("/credits/activity/", "Credit Activity", filters)

    @task(1)
    def download_csv(self) -> None:
        params = random.choice([{}, {"activity": "grant"}])
        self.page("/credits/activity/export.csv", "Credit Activity CSV", params)


class Integration(FastHttpUser):
    weight = 1
    wait_time = constant(0)

    @task
    def post_events(self) -> None:
        batch = [
            {
                "account": random.choice(ACCOUNTS),
                "type": "email_sent",
                "occurred_at": "2026-11-01T08:00:00+00:00",
                "attributes": {"subject": "Your receipt", "to": "customer@example.com"},
            }
            for _ in range(100)
        ]
        with self.client.post(
            "/api/v1/events/",
            json=batch,
            headers={"Authorization": f"Token {TOKEN}"},
            name="API: 100 events",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code}: {(response.text or '')[:300]}")
