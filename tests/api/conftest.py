"""Fixtures of the API tests: an integration with its token, clients that send it, and the
account the requests are about."""

import pytest
from rest_framework.test import APIClient

from integrations.services import integration_create, integration_set_active
from tests.factories import AccountFactory

INTEGRATION_NAME = "Billing engine"
CUSTOMER = "700001"  # the customer number of `account`


@pytest.fixture
def integration_and_key(db):
    return integration_create(name=INTEGRATION_NAME)


@pytest.fixture
def integration(integration_and_key):
    return integration_and_key[0]


@pytest.fixture
def api(integration_and_key):
    """A client that sends the integration's token on every request."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {integration_and_key[1]}")
    return client


@pytest.fixture
def anonymous_api():
    return APIClient()


@pytest.fixture
def disabled_api(db):
    integration, key = integration_create(name="Old portal")
    integration_set_active(integration=integration, active=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def account(db):
    return AccountFactory(customer_number=CUSTOMER)
