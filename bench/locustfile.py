"""The load of a working day, for `make loadtest` (bench/loadtest.py starts it).

Agents search, open accounts, page Recent Activity and add comments; Finance filters Credit
Activity and downloads CSVs; an integration posts batches of events. The accounts and the
token come from the file that bench/loadtest.py writes (LOADTEST_FIXTURE).
"""

import json
import os
import random
import re

from locust import HttpUser, between, task

with open(os.environ["LOADTEST_FIXTURE"]) as file:
    FIXTURE = json.load(file)
ACCOUNTS: list[str] = FIXTURE["accounts"]
NAME_PARTS: list[str] = FIXTURE["name_parts"]
TOKEN: str = FIXTURE["token"]
PASSWORD: str = FIXTURE["password"]
OLDER = re.compile(r'href="\?([^"]*cursor=[^"]+)"[^>]*>\s*Older')


class SignedIn(HttpUser):
    abstract = True
    username = ""

    def on_start(self) -> None:
        self.client.get("/login/", name="sign-in page")
        self.client.post(
            "/login/",
            {
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.client.cookies["csrftoken"],
            },
            name="sign in",
        )

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken") or ""


class Agent(SignedIn):
    weight = 6
    wait_time = between(1, 3)
    username = "demo-service"

    @task(4)
    def search(self) -> None:
        self.client.get(
            "/accounts/", params={"q": random.choice(NAME_PARTS)}, name="account search"
        )

    @task(3)
    def open_account(self) -> None:
        self.client.get(f"/accounts/{random.choice(ACCOUNTS)}/", name="account page")

    @task(4)
    def page_recent_activity(self) -> None:
        number = random.choice(ACCOUNTS)
        base = f"/accounts/{number}/activity/"
        response = self.client.get(base, name="Recent Activity")
        for _ in range(random.randint(0, 3)):
            older = OLDER.search(response.text)
            if not older:
                break
            query = older.group(1).replace("&amp;", "&")
            response = self.client.get(f"{base}?{query}", name="Recent Activity, older page")

    @task(1)
    def add_comment(self) -> None:
        number = random.choice(ACCOUNTS)
        self.client.post(
            f"/accounts/{number}/activity/comment/",
            {
                "comment": "Called the customer about the invoice.",
                "csrfmiddlewaretoken": self.csrf(),
            },
            headers={"Referer": f"{self.host}/accounts/{number}/"},
            allow_redirects=False,
            name="add comment",
        )


class Finance(SignedIn):
    weight = 2
    wait_time = between(2, 5)
    username = "demo-finance"

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
        self.client.get("/credits/activity/", params=filters, name="Credit Activity")

    @task(1)
    def download_csv(self) -> None:
        params = random.choice([{}, {"activity": "grant"}])
        with self.client.get(
            "/credits/activity/export.csv", params=params, name="Credit Activity CSV", stream=True
        ) as response:
            for _chunk in response.iter_content(65536):
                pass


class Integration(HttpUser):
    weight = 1
    wait_time = between(1, 2)

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
                response.failure(f"{response.status_code}: {response.text[:300]}")
