"""The OpenAPI schema, fuzzed: schemathesis generates requests for every operation of
/api/schema/ (valid and invalid ones) and sends them to the app with a valid token; no input
may produce a server error.

Bounded to keep the suite quick: 50 derandomised examples per operation and mode.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.factories import AccountFactory, ActivityEventFactory, SubscriptionFactory

OPERATIONS = [
    "GET /api/v1/event-types/",
    "POST /api/v1/events/",
    "GET /api/v1/accounts/{customer_number}/events/",
    "POST /api/v1/credits/",
    "POST /api/v1/charges/apply-credits/",
    "GET /api/v1/accounts/{customer_number}/credit-entries/",
    "POST /api/v1/accounts/{customer_number}/anonymise/",
]
# Invalid input for every operation that takes any; event-types takes none.
TAKES_NO_INPUT = {"GET /api/v1/event-types/"}
RUNS = [
    (label, mode)
    for label in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if not (mode == GenerationMode.NEGATIVE and label in TAKES_NO_INPUT)
]
EXAMPLES_PER_RUN = 50


@pytest.fixture
def wsgi_app():
    """The project's WSGI app, called in the test's transaction. As Django's test client does,
    keep the app from closing the connection at the end of each request: the test's
    transaction (and its data) lives on that connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def schema(settings, integration_and_key, wsgi_app):
    # schemathesis' WSGI client calls the app as host "localhost".
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    headers = {"Authorization": f"Token {integration_and_key[1]}"}
    loaded = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app, headers=headers)
    # The token is sent by the test; generated Authorization headers would only test 401s.
    loaded.config.generation.update(with_security_parameters=False)
    return loaded, headers


KNOWN = "1"  # the customer number and the order ID of `world`


@pytest.fixture
def world(db):
    """Something for generated requests to find: an account with a subscription and events."""
    account = AccountFactory(customer_number=KNOWN)
    SubscriptionFactory(account=account, order_id=KNOWN)
    ActivityEventFactory.create_batch(3, account=account)


def _towards_known_rows(case):
    """Point valid generated bodies at the known account and subscription, so that requests
    get past the lookups into the registry's validation and the writes."""
    items = case.body if isinstance(case.body, list) else [case.body]
    for item in items:
        if isinstance(item, dict):
            if "account" in item:
                item["account"] = KNOWN
            if item.get("subscription"):
                item["subscription"] = KNOWN
    return case


def test_the_schema_lists_every_operation(schema):
    loaded, _ = schema
    labels = {result.ok().label for result in loaded.get_all_operations()}
    assert labels == set(OPERATIONS)


@pytest.mark.parametrize(("label", "mode"), RUNS)
def test_no_generated_request_causes_a_server_error(schema, world, label, mode):
    loaded, headers = schema
    method, path = label.split(" ", 1)
    operation = loaded[path][method]

    strategy = operation.as_strategy(
        generation_mode=mode,
        path_parameters={"customer_number": KNOWN} if "{customer_number}" in path else None,
    )
    if mode == GenerationMode.POSITIVE:
        strategy = strategy.map(_towards_known_rows)

    @settings(
        max_examples=EXAMPLES_PER_RUN,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error], headers=headers)

    run()
