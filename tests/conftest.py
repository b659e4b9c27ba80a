"""Shared fixtures: users per role, test clients that sign in, and a Chromium browser driven by
Playwright, which fails a test whose pages broke the Content-Security-Policy."""

import contextlib
import fcntl
import os
import tempfile
import uuid

import pytest
from rest_framework.test import APIClient

from config import roles
from integrations.services import integration_create, integration_set_active
from tests.factories import UserFactory
from tests.signin import VerifiedClient, authenticator_app, browser_signed_in, totp_code

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

# Modules that build much once (the demo, a restored cluster, a small benchmark run) go first:
# pytest-xdist's worksteal hands the tail of a busy worker's queue to an idle one, which at the
# end would build such a module's rows a second time for the tests it took.
BUILT_FIRST = ("tests/test_demo.py", "tests/test_pitr.py", "tests/test_bench.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(BUILT_FIRST))  # stable otherwise


def pytest_configure(config: pytest.Config) -> None:
    """The run's ID, chosen here when pytest-xdist runs workers (it would choose one itself), so
    that the controller knows which template database to drop at the end (django_db_setup)."""
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        config.option.testrunuid = config.option.testrunuid or uuid.uuid4().hex


def pytest_sessionfinish(session: pytest.Session) -> None:
    from django.conf import settings

    uid = getattr(session.config.option, "testrunuid", None)
    postgresql = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    if uid and postgresql and not hasattr(session.config, "workerinput"):
        with _maintenance_connection() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{_template(uid)}" WITH (FORCE)')
        with contextlib.suppress(FileNotFoundError):
            os.remove(_lock_path(_template(uid)))


def _template(uid: str) -> str:
    return f"test_template_{uid}"


def _lock_path(template: str) -> str:
    return os.path.join(tempfile.gettempdir(), f"{template}.lock")


def _maintenance_connection():
    import psycopg
    from django.conf import settings

    database = settings.DATABASES["default"]
    return psycopg.connect(
        host=database["HOST"] or None,
        port=database["PORT"] or None,
        user=database["USER"] or None,
        password=database["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """pytest-django's set-up of the test database, except that under pytest-xdist on
    PostgreSQL only the first worker migrates one: it becomes the run's template, and every
    other worker's database is a copy of it (CREATE DATABASE ... TEMPLATE, half a second
    against about six of migrations, which four workers ran at once on two cores). With
    --reuse-db, or one process (the Citus run), as pytest-django does it."""
    from django.conf import settings
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _get_databases_for_setup

    uid = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    database = settings.DATABASES["default"]
    keepdb = django_db_keepdb and not django_db_createdb
    cloned = (
        uid is not None
        and database["ENGINE"].endswith("postgresql")
        and django_db_use_migrations
        and not keepdb
    )
    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)

    def set_up(*, keepdb: bool):
        return setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            aliases=aliases,
            serialized_aliases=serialized_aliases,
            keepdb=keepdb,
        )

    with django_db_blocker.unblock():
        if not cloned:
            config = set_up(keepdb=keepdb)
        else:
            name, template = database["TEST"]["NAME"], _template(uid)
            with _run_lock(template), _maintenance_connection() as admin:
                found = "SELECT 1 FROM pg_database WHERE datname = %s"
                made = admin.execute(found, [template]).fetchone() is not None
                if made:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                else:
                    config = set_up(keepdb=False)
                    connections.close_all()
                    admin.execute(f'CREATE DATABASE "{template}" TEMPLATE "{name}"')
            if made:
                # Found as copied: its migrations are checked, none is run.
                config = set_up(keepdb=True)

    yield

    if cloned or not keepdb:
        with django_db_blocker.unblock():
            teardown_databases(config, verbosity=request.config.option.verbose)
            if cloned:
                connections.close_all()
                with _maintenance_connection() as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def _run_lock(template: str):
    """One worker at a time, across the run's processes (an advisory lock on a file)."""
    with open(_lock_path(template), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The test databases commit without waiting for the disk (synchronous_commit off): a
    crash of the test server may lose its last commits, which no test needs; every commit's
    visibility and locking stay as they are."""
    from django.conf import settings

    for alias in ("default",):
        options = settings.DATABASES[alias].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c synchronous_commit=off".strip()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


@pytest.fixture(autouse=True)
def fresh_credit_window():
    """Credit Activity's first-page window (kept by the process for minutes, as entries are
    only added) is read again in each test, whose ledger the one before emptied."""
    from credits.selectors import forget_newest_window

    forget_newest_window()


@pytest.fixture(autouse=True)
def reads_from_the_primary(request, settings):
    """With a replica configured (DATABASE_REPLICA_URL), only the tests marked `replica` use
    it: the others write in a transaction that the replica never sees."""
    if "replica" in settings.DATABASES and request.node.get_closest_marker("replica") is None:
        settings.DATABASE_ROUTERS = []


@pytest.fixture(autouse=True)
def skipped_on_a_cluster(request):
    """A test marked `single_node` is skipped on a Citus coordinator, one marked
    `cluster_only` everywhere else; each with its reason."""
    single = request.node.get_closest_marker("single_node")
    cluster = request.node.get_closest_marker("cluster_only")
    if single is None and cluster is None:
        return
    from core import citus

    on_cluster = citus.active()
    if single is not None and on_cluster:
        pytest.skip(f"Not on Citus: {single.args[0]}")
    if cluster is not None and not on_cluster:
        pytest.skip(f"Citus only: {cluster.args[0]}")


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


# --- Clients ------------------------------------------------------------------------------
# MFA_REQUIRED is on in the tests (pyproject.toml), as in production. `client` is Django's test
# client whose force_login also verifies the second factor, so that a test of any other page
# signs in as it always has; tests of sign-in itself use `plain_client` and the real pages.


@pytest.fixture
def client():
    """The test client; force_login(user) gives a verified session (tests/signin.py)."""
    return VerifiedClient()


@pytest.fixture
def plain_client():
    """Django's own test client: force_login leaves the second factor to be entered."""
    from django.test import Client

    return Client()


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


# Every page reports what its Content-Security-Policy blocked: Chromium logs each violation to
# the console, and this listener (added before any page script, outside the policy) logs the
# DOM's securitypolicyviolation events too.
CSP_WATCH = """
document.addEventListener("securitypolicyviolation", (e) => console.error(
  `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
  + ` at ${e.sourceFile}:${e.lineNumber}`
));
"""


def is_csp_violation(text: str) -> bool:
    return text.startswith("CSP violation:") or "Content Security Policy" in text


@pytest.fixture
def csp_violations():
    """What the browser's pages reported as blocked by the Content-Security-Policy; the `page`
    fixture fails the test if any (a test that provokes one on purpose clears the list)."""
    return []


@pytest.fixture
def page(browser, live_server, csp_violations):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on(
        "console",
        lambda message: (
            csp_violations.append(f"{page.url}: {message.text}")
            if is_csp_violation(message.text)
            else None
        ),
    )
    yield page
    context.close()
    assert not csp_violations, "Content-Security-Policy violations:\n" + "\n".join(csp_violations)


@pytest.fixture
def sign_in(page, live_server):
    """sign_in(username, password): the browser holds the session that the sign-in pages
    leave after the password and, for a user with an authenticator app or whose role requires
    one, the app's code (a user who needs an app and has none is given one, as if they had
    enrolled earlier), and opens the home page. `through_pages=True` walks through the real
    sign-in pages instead, entering the code as the app computes it; `code=False` stops there
    after the password."""
    from django.contrib.auth import get_user_model

    from staff.services import second_factor_required

    def do(username, password=PASSWORD, code=True, through_pages=False):
        user = get_user_model().objects.get(username=username)
        if code and not through_pages:
            assert user.check_password(password), f"{username}'s password is not {password!r}"
            browser_signed_in(page, user, live_server.url)
            return
        device = None
        if code and (second_factor_required(user) or user.totpdevice_set.exists()):
            device = authenticator_app(user)
        page.goto("/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        if device is not None and "/account/verify/" in page.url:
            page.get_by_label("Code").fill(totp_code(device))
            page.get_by_role("button", name="Verify").click()
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


# --- Background jobs ----------------------------------------------------------------------


@pytest.fixture
def export_storage(settings, tmp_path):
    """Files written in the background go to this test's own directory."""
    location = tmp_path / "exports"
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    return location


@pytest.fixture
def run_worker(monkeypatch, export_storage):
    """run_worker() runs the queued tasks that are due with django-tasks' own database worker
    (its batch mode: until none is left), in this process and this test's transaction."""
    from django_tasks_db.management.commands import db_worker

    # Between tasks the worker closes connections it finds in a transaction: in a test, the
    # one that holds the test's. Nothing else of the worker is changed.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run():
        db_worker.Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="test-worker",
            excluded_queue_names=[],
        ).run()

    return run
