"""Shared fixtures: users per role, and a Chromium browser driven by Playwright."""

import os

import pytest
from rest_framework.test import APIClient

from config import roles
from integrations.services import integration_create, integration_set_active
from tests.factories import UserFactory

# Playwright's sync API runs an event loop in the test thread; the ORM calls that tests make
# around it are ordinary synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "secret-password"
# Tests create many users; the production hasher is slow on purpose.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


@pytest.fixture(autouse=True)
def reads_from_the_primary(request, settings):
    """With a replica configured (DATABASE_REPLICA_URL), only the tests marked `replica` use
    it: the others write in a transaction that the replica never sees."""
    if "replica" in settings.DATABASES and request.node.get_closest_marker("replica") is None:
        settings.DATABASE_ROUTERS = []


# --- Roles --------------------------------------------------------------------------------
# The role groups hold the matrix's permissions in the test database as in any other: every
# `migrate`, and every flush of a transactional test, ends with config's post_migrate handler
# (config.roles.sync_roles_after_migrate). UserFactory only looks them up.


@pytest.fixture
def make_user(db):
    """make_user(role) -> a user holding that role (None: a user with no role)."""

    def make(role=None, **kwargs):
        return UserFactory(roles=[role] if role else None, **kwargs)

    return make


@pytest.fixture
def service_user(make_user):
    return make_user(roles.CUSTOMER_SERVICE)


@pytest.fixture
def finance_user(make_user):
    return make_user(roles.FINANCE)


@pytest.fixture
def agent(make_user):
    """A Customer Service agent with a known name (events record it as the actor's name)."""
    return make_user(roles.CUSTOMER_SERVICE, first_name="Sara", last_name="Lind")


@pytest.fixture
def admin_user_role(make_user):
    return make_user(roles.SYSTEM_ADMINISTRATOR, is_staff=True)


@pytest.fixture
def service_client(client, service_user):
    client.force_login(service_user)
    return client


@pytest.fixture
def admin_client(client, admin_user_role):
    """The test client signed in as a System Administrator (staff, no superuser flag).

    Overrides pytest-django's fixture of the same name, whose user is a superuser: here an
    administrator is whoever holds the role, and the tests check what the role may do."""
    client.force_login(admin_user_role)
    return client


def messages_of(response) -> list[str]:
    """The texts of the messages shown on a page (the response of a followed redirect)."""
    return [str(m) for m in response.context["messages"]]


# --- Browser ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Browser tests need Debian's Chromium at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def sign_in(page):
    """sign_in(username, password) through the real sign-in page."""

    def do(username, password=PASSWORD):
        page.goto("/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()

    return do


# --- The integration API ------------------------------------------------------------------

INTEGRATION_NAME = "Billing engine"


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
