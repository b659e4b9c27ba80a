"""Who may call the API: an active integration's token, on every address of the `api` namespace.

`test_every_api_address_is_walked` fails when an address is added without a row here.
"""

import threading

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from config import roles
from credits.models import CreditEntry
from integrations.authentication import DISABLED, INVALID_TOKEN, MISSING_KEY
from integrations.models import Integration, token_hash
from integrations.services import integration_create, integration_token_issue
from tests.api.conftest import CUSTOMER
from tests.factories import AccountFactory

# The API's operations: (url name, kwargs, method). Only an integration's token reaches them.
OPERATIONS = [
    ("api:event-types", {}, "get"),
    ("api:events", {}, "post"),
    ("api:account-events", {"customer_number": CUSTOMER}, "get"),
    ("api:credits", {}, "post"),
    ("api:apply-credits", {}, "post"),
    ("api:account-credit-entries", {"customer_number": CUSTOMER}, "get"),
    ("api:account-anonymise", {"customer_number": CUSTOMER}, "post"),
]
# The schema and its docs, for tokens and for signed-in back-office users.
DOCUMENTATION = ["api:schema", "api:docs", "api:redoc"]


def _api_names(patterns, prefix="", inside=False):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = pattern.namespace
            yield from _api_names(
                pattern.url_patterns,
                f"{prefix}{namespace}:" if namespace else prefix,
                inside or namespace == "api",
            )
        elif isinstance(pattern, URLPattern) and pattern.name and inside:
            yield prefix + pattern.name


def test_every_api_address_is_walked():
    walked = {name for name, *_ in OPERATIONS} | set(DOCUMENTATION)
    assert set(_api_names(get_resolver().url_patterns)) == walked


def _call(client, name, kwargs, method):
    return getattr(client, method)(reverse(name, kwargs=kwargs), {} if method == "post" else None)


@pytest.mark.parametrize(("name", "kwargs", "method"), OPERATIONS)
def test_without_a_token_the_answer_is_401(anonymous_api, account, name, kwargs, method):
    response = _call(anonymous_api, name, kwargs, method)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(("name", "kwargs", "method"), OPERATIONS)
def test_an_unknown_token_is_refused(account, name, kwargs, method):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = _call(client, name, kwargs, method)

    assert response.status_code == 401
    assert response.json() == {"detail": INVALID_TOKEN}


@pytest.mark.parametrize(("name", "kwargs", "method"), OPERATIONS)
def test_a_disabled_integration_is_refused(disabled_api, account, name, kwargs, method):
    response = _call(disabled_api, name, kwargs, method)

    assert response.status_code == 401
    assert response.json() == {"detail": DISABLED}


@pytest.mark.parametrize("role", roles.ROLES)
@pytest.mark.parametrize(("name", "kwargs", "method"), OPERATIONS)
def test_a_signed_in_back_office_user_has_no_api_access(
    client, make_user, account, role, name, kwargs, method
):
    client.force_login(make_user(role, is_staff=True, is_superuser=True))

    response = getattr(client, method)(reverse(name, kwargs=kwargs))

    assert response.status_code == 401


@pytest.mark.parametrize(("name", "kwargs", "method"), OPERATIONS)
def test_an_active_token_reaches_every_operation(api, account, name, kwargs, method):
    response = _call(api, name, kwargs, method)

    # A POST gets a validation error for its empty body: it was let in.
    assert response.status_code == (400 if method == "post" else 200)


@pytest.mark.parametrize("keyword", ["Token", "Bearer", "token", "BEARER"])
def test_the_token_may_follow_token_or_bearer(integration_and_key, keyword):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {integration_and_key[1]}")

    assert client.get(reverse("api:event-types")).status_code == 200


@pytest.mark.parametrize(
    ("header", "detail"),
    [("Token", MISSING_KEY), ("Token a b", None), ("Basic dXNlcjpwYXNz", None)],
)
def test_a_malformed_authorization_header_is_refused(db, header, detail):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(reverse("api:event-types"))

    assert response.status_code == 401
    if detail:
        assert response.json() == {"detail": detail}


def test_a_new_token_revokes_the_previous_one(integration_and_key):
    integration, old_key = integration_and_key
    new_key = integration_token_issue(integration=integration)
    client = APIClient()

    client.credentials(HTTP_AUTHORIZATION=f"Token {old_key}")
    assert client.get(reverse("api:event-types")).status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {new_key}")
    assert client.get(reverse("api:event-types")).status_code == 200


def test_only_the_tokens_hash_and_prefix_are_stored(integration_and_key):
    integration, key = integration_and_key
    integration.refresh_from_db()

    assert integration.token_hash == token_hash(key) != key
    assert key.startswith(integration.token_prefix)
    assert len(integration.token_prefix) == 8


# --- Schema and docs ---------------------------------------------------------------------------


def test_the_schema_needs_a_token_or_a_signed_in_user(api, anonymous_api, client, make_user):
    url = reverse("api:schema")
    assert anonymous_api.get(url).status_code == 401
    assert api.get(url).status_code == 200
    client.force_login(make_user(roles.CUSTOMER_SERVICE))
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("name", ["api:docs", "api:redoc"])
def test_the_docs_are_for_signed_in_users(client, make_user, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))

    client.force_login(make_user(roles.FINANCE))
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", ["api:docs", "api:redoc"])
def test_the_docs_load_their_scripts_from_this_site(client, make_user, name):
    client.force_login(make_user(roles.SYSTEM_ADMINISTRATOR))

    html = client.get(reverse(name)).content.decode()

    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn." not in html and "jsdelivr" not in html and "unpkg" not in html


# --- Creating integrations ---------------------------------------------------------------------


def test_create_integration_prints_a_working_token_once(db, capsys):
    call_command("create_integration", "Self-service portal")

    key = capsys.readouterr().out.strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(reverse("api:event-types")).status_code == 200
    assert Integration.objects.get().name == "Self-service portal"


def test_create_integration_refuses_a_name_in_use(db):
    integration_create(name="Self-service portal")

    with pytest.raises(Exception, match="already exists"):
        call_command("create_integration", "Self-service portal")


def test_an_administrator_creates_an_integration_and_sees_its_token_once(admin_client):
    response = admin_client.post(
        "/admin/integrations/integration/add/", {"name": "Billing engine"}, follow=True
    )

    integration = Integration.objects.get(name="Billing engine")
    [(shown, key)] = response.context["issued"]
    assert shown == integration
    assert key in response.content.decode()
    assert token_hash(key) == integration.token_hash
    assert integration.created_by == response.wsgi_request.user
    later = admin_client.get(f"/admin/integrations/integration/{integration.pk}/change/")
    assert key not in later.content.decode()


def test_an_administrator_disables_an_integration(admin_client, integration_and_key):
    integration, key = integration_and_key

    admin_client.post(
        "/admin/integrations/integration/",
        {"action": "disable", "_selected_action": [integration.pk]},
    )

    integration.refresh_from_db()
    assert not integration.is_active
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(reverse("api:event-types")).status_code == 401


def test_an_administrator_issues_a_new_token(admin_client, integration_and_key):
    integration, key = integration_and_key

    response = admin_client.post(
        "/admin/integrations/integration/",
        {"action": "issue_new_token", "_selected_action": [integration.pk]},
        follow=True,
    )

    integration.refresh_from_db()
    assert integration.token_hash != token_hash(key)
    [(_, new_key)] = response.context["issued"]
    assert token_hash(new_key) == integration.token_hash
    assert new_key in response.content.decode()


@pytest.mark.parametrize("action", ["disable", "enable", "issue_new_token"])
def test_a_user_who_may_only_view_integrations_cannot_act_on_them(
    client, make_user, integration_and_key, action
):
    integration, key = integration_and_key
    viewer = make_user(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_integration"))
    client.force_login(viewer)

    listing = client.get("/admin/integrations/integration/")
    assert listing.status_code == 200
    assert f'value="{action}"' not in listing.content.decode()
    client.post(
        "/admin/integrations/integration/", {"action": action, "_selected_action": [integration.pk]}
    )
    integration.refresh_from_db()
    assert integration.is_active
    assert integration.token_hash == token_hash(key)


def test_integrations_cannot_be_deleted_in_the_admin(admin_client, integration):
    url = f"/admin/integrations/integration/{integration.pk}/delete/"
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Integration.objects.filter(pk=integration.pk).exists()


def test_other_roles_do_not_see_integrations_in_the_admin(client, make_user, integration):
    client.force_login(make_user(roles.FINANCE, is_staff=True))
    assert client.get("/admin/integrations/integration/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_an_integration_disabled_while_its_request_runs_writes_nothing():
    """The token is valid when the request begins; the disable commits before the request
    writes: the request waits for it, reads the integration again, and is refused."""
    integration, key = integration_create(name="Billing")
    account = AccountFactory(customer_number=CUSTOMER)
    body = {
        "operation": "grant",
        "idempotency_key": "late-1",
        "account": account.customer_number,
        "amount": "10.00",
        "credit_type": "currency",
        "currency": "SEK",
    }
    locked, answered = threading.Event(), {}

    def request():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        locked.wait(10)
        try:
            answered["response"] = client.post(reverse("api:credits"), body, format="json")
        finally:
            connection.close()

    worker = threading.Thread(target=request)
    worker.start()
    with transaction.atomic():
        # The administrator's disable, not yet committed while the request authenticates.
        Integration.objects.filter(pk=integration.pk).update(is_active=False)
        locked.set()
        worker.join(1)  # the request now waits on the integration's row
        assert worker.is_alive()
    worker.join(10)

    response = answered["response"]
    assert response.status_code == 401
    assert response.json() == {"detail": DISABLED}
    assert not CreditEntry.objects.exists()
